// libFuzzer target for the .vtok container reader (every version VTokFile.parse accepts), compiled
// by fuzz/run.sh into one module with Sources/VTokContainer/*.swift (swiftc -sanitize=fuzzer).
//
// Checked on every input: no crash or trap; a file that parses re-serializes (or refuses to) without
// crashing, and what it serializes to parses back to the same file; truncation offsets are monotone
// and cutting the file keeps it parseable.

// A fuzzer cannot forge CRC-32s, so most mutations would stop at the header check. The first byte
// picks: even, the rest is parsed as it is; odd, the rest gets version 1's checksums recomputed
// first (payload CRC at bytes 20..<24 over bytes 28..., header CRC at 24..<28 over 0..<24), which
// lets mutations reach every field check and the payload reader. Other versions' layouts are
// reached through the first mode and the seeds.
@_cdecl("LLVMFuzzerTestOneInput")
public func vtokFuzzContainer(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    var bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    if data[0] & 1 == 1 && bytes.count >= 28 {
        func store(_ value: UInt32, at offset: Int) {
            for i in 0..<4 { bytes[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(i))) }
        }
        store(crc32(of: bytes[28...]), at: 20)
        store(crc32(of: bytes[0..<24]), at: 24)
    }
    guard let (file, _) = try? VTokFile.parse(bytes) else { return 0 }
    let offsets = file.truncationOffsets()
    precondition(offsets.count == file.tokenCount + 1, "one offset per prefix length")
    precondition(zip(offsets, offsets.dropFirst()).allSatisfy { $0 <= $1 }, "offsets grow with k")
    for k in Set([0, file.tokenCount / 2, file.tokenCount]) {
        let cut = file.truncated(toTokens: k)
        guard let again = try? cut.serialized() else { continue }
        guard let (reparsed, warnings) = try? VTokFile.parse(again) else {
            preconditionFailure("a file vtok wrote does not parse")
        }
        precondition(warnings.isEmpty && reparsed == cut, "write then read is not the identity")
        precondition(again.count == cut.truncationOffsets()[k], "the size is the truncation offset")
    }
    return 0
}
