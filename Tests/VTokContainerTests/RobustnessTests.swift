import VTokTestSupport
import XCTest
@testable import VTokContainer

final class RobustnessTests: XCTestCase {
    /// Whatever `parse` accepts must be self-consistent: a complete file re-serializes to the same bytes
    /// (the encoding is canonical), and a cut file decodes exactly its complete token prefix.
    private func assertParseIsConsistent(_ bytes: [UInt8], file: StaticString = #filePath, line: UInt = #line) {
        guard let (parsed, warnings) = try? VTokFile.parse(bytes) else { return }
        if warnings.isEmpty {
            XCTAssertEqual(try? parsed.serialized(), bytes, file: file, line: line)
        } else {
            let header = try? VTokHeader(parsing: bytes)
            XCTAssertEqual(parsed.tokenCount, header?.decodableTokens(payloadBytes: bytes.count - VTokHeader.size), file: file, line: line)
            XCTAssertLessThan(bytes.count, header.map { $0.fileSize(forTokens: $0.tokensPerTile) } ?? 0, file: file, line: line)
        }
    }

    func testRandomBytesNeverCrashTheParser() {
        var rng = SeededGenerator(seed: 21)
        for _ in 0..<3000 {
            let bytes = (0..<Int.random(in: 0...80, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            assertParseIsConsistent(bytes)
        }
    }

    // Random headers that pass the magic, version and CRC checks reach every field check and the payload reader.
    func testRandomHeadersWithValidChecksumsNeverCrashTheParser() {
        var rng = SeededGenerator(seed: 22)
        var (complete, cut) = (0, 0)
        for _ in 0..<3000 {
            var bytes = Array("VTK".utf8) + [1] + (4..<VTokHeader.size).map { _ in UInt8.random(in: 0...255, using: &rng) }
            // Bias the fields towards their valid ranges, or almost nothing gets past the first check.
            bytes[5] = UInt8.random(in: 0...7, using: &rng) == 0 ? bytes[5] : 0
            bytes[7] = UInt8.random(in: 0...7, using: &rng) == 0 ? bytes[7] : 0
            bytes[8] = UInt8.random(in: 0...3, using: &rng) == 0 ? 0 : bytes[8]
            bytes[9] = UInt8.random(in: 0...1, using: &rng)
            bytes[11] = 0
            bytes[12] = UInt8.random(in: 0...4, using: &rng)
            bytes[13] = UInt8.random(in: 0...12, using: &rng)
            bytes[14] = UInt8.random(in: 0...7, using: &rng) == 0 ? 1 : 0
            bytes[15] = UInt8.random(in: 0...7, using: &rng) == 0 ? 4 : 0
            // Half the payloads have exactly the declared length and a matching CRC, to reach the
            // complete-file path; the others have a random length.
            var payloadLength = Int.random(in: 0...200, using: &rng)
            if let header = try? VTokHeader(parsing: withValidHeaderCRC(bytes)), Bool.random(using: &rng) {
                payloadLength = min(header.payloadSize(forTokens: header.tokensPerTile), 5000)
            }
            var payload = (0..<payloadLength).map { _ in UInt8.random(in: 0...255, using: &rng) }
            if payloadLength > 0, Bool.random(using: &rng) { payload[payloadLength - 1] = 0 }  // zero padding
            let crc = crc32(of: payload[...])
            for i in 0..<4 { bytes[20 + i] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(i))) }
            let candidate = withValidHeaderCRC(bytes) + payload
            switch (try? VTokFile.parse(candidate))?.warnings.isEmpty {
            case true?: complete += 1
            case false?: cut += 1
            case nil: break
            }
            assertParseIsConsistent(candidate)
        }
        XCTAssertGreaterThan(complete, 100, "the generator should often reach the complete-payload checks")
        XCTAssertGreaterThan(cut, 100, "the generator should often reach the truncated-payload reader")
    }

    func testMutatedValidFilesNeverCrashTheParser() throws {
        var rng = SeededGenerator(seed: 23)
        let layouts = [TokenLayout(groups: 1, bitsPerGroup: 12), TokenLayout(groups: 2, bitsPerGroup: 5), TokenLayout(groups: 1, bitsPerGroup: 32)]
        for round in 0..<3000 {
            let tiles: TileLayout = round % 2 == 0 ? .single : .tiled(side: 64)
            let file = randomFile(width: 150, height: 100, tiles: tiles, layout: layouts[round % layouts.count],
                                  tokens: Int.random(in: 0...20, using: &rng), using: &rng)
            var bytes = try file.serialized()
            for _ in 0..<Int.random(in: 1...3, using: &rng) {
                let position = Int.random(in: 0..<max(bytes.count, 1), using: &rng)
                switch Int.random(in: 0..<4, using: &rng) {
                case 0 where !bytes.isEmpty: bytes[position] ^= UInt8(1) << UInt8.random(in: 0...7, using: &rng)
                case 1: bytes.insert(UInt8.random(in: 0...255, using: &rng), at: min(position, bytes.count))
                case 2 where !bytes.isEmpty: bytes.remove(at: position)
                default: bytes = Array(bytes.prefix(position))
                }
            }
            assertParseIsConsistent(bytes)
            assertParseIsConsistent(withValidHeaderCRC(bytes))
        }
    }

    // A header may declare a payload of gigabytes; the reader must only allocate for the bytes present.
    func testEnormousDeclaredSizesDoNotAllocateEnormousMemory() throws {
        let huge = VTokHeader(width: 65535, height: 65535, tiles: .tiled(side: 256), tokensPerTile: 65535,
                              layout: TokenLayout(groups: 1, bitsPerGroup: 32), modelID: testModelID)
        XCTAssertEqual(huge.payloadSize(forTokens: huge.tokensPerTile), 65535 * 65536 * 4)
        let bytes = huge.encoded(payloadCRC: 0) + [UInt8](repeating: 0xab, count: 1000)
        let (file, warnings) = try VTokFile.parse(bytes)
        XCTAssertEqual(file.tokenCount, 0)
        XCTAssertEqual(warnings.count, 1)

        var single = huge
        single.tiles = .single
        let (singleFile, _) = try VTokFile.parse(single.encoded(payloadCRC: 0) + [UInt8](repeating: 0xab, count: 1000))
        XCTAssertEqual(singleFile.tokens, [[UInt32]](repeating: [0xabab_abab], count: 250).transposedSingleTile)
        XCTAssertLessThanOrEqual(singleFile.tokens[0].capacity, 1000)
    }
}

private extension Array where Element == [UInt32] {
    var transposedSingleTile: [[UInt32]] { [flatMap { $0 }] }
}
