// libFuzzer target for the .vtok container reader, every version `VTokFile.read` accepts (1, and 2 or 3
// with raw or range-coded payloads), compiled by fuzz/run.sh into one module with
// Sources/VTokContainer/*.swift (swiftc -sanitize=fuzzer).
//
// The first byte is the harness's, the rest is the file:
//   bit 0: recompute version 1's checksums first (payload CRC at 20..<24 over bytes 28...; header
//          CRC at 24..<28 over 0..<24): no fuzzer forges a CRC-32, and this lets mutations reach
//          every field check and the payload reader. (Version 2's 4-bit header check and 16-bit
//          file check are within a fuzzer's reach, helped by its comparison tracing.)
//   bit 1: read with a uniform prior for layout 4x3 over 256 positions (the shipped model's shape),
//          so coded payloads are decoded; otherwise with no prior.
// The model id is the seeds' (the shipped model's, bb12c0a4), so version 2 seeds verify.
//
// Checked on every input: no crash or trap; a file that reads re-serializes in every format (or
// refuses to) without crashing, and what it writes reads back to the same tokens; file sizes grow
// with the token count and equal the written sizes.

let seedModel = ModelID(hex: "bb12c0a4")!
let uniformPrior = StaticTokenPrior.uniform(layout: TokenLayout(groups: 4, bitsPerGroup: 3), positions: 256)

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
    let model = ModelCoding(id: seedModel, prior: data[0] & 2 != 0 ? uniformPrior : nil)
    _ = try? VTokFile.parse(bytes)
    guard let reading = try? VTokFile.read(bytes, model: model) else { return 0 }
    let file = reading.file
    precondition(file.tokenCount <= reading.declaredTokens, "more tokens than the header declares")
    // Round trips, under the file's own model id (version 2 files are only written for their model).
    let own = ModelCoding(id: file.modelID, prior: model.prior)
    for format in [FileFormat.version1, .version2(.raw), .version2(.arithmetic)] {
        for k in Set([0, file.tokenCount / 2, file.tokenCount]) {
            let cut = file.truncated(toTokens: k)
            guard let written = try? cut.serialized(format: format, model: own) else { continue }
            guard let again = try? VTokFile.read(written, model: own) else {
                preconditionFailure("a file vtok wrote (\(format)) does not read back")
            }
            precondition(again.isComplete && again.file == cut, "write then read is not the identity (\(format))")
            if let sizes = try? cut.fileSizes(format: format, model: own) {
                precondition(zip(sizes, sizes.dropFirst()).allSatisfy { $0 <= $1 }, "sizes grow with k")
                precondition(sizes[k] == written.count, "fileSizes disagrees with the written size (\(format))")
            }
        }
    }
    return 0
}
