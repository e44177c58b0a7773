import XCTest
@testable import VTokContainer

final class IntegrityTests: XCTestCase {
    private let example = FormatTests.tiledExample

    private func parseError(_ bytes: [UInt8]) -> VTokError? {
        thrownError { () throws(VTokError) in try VTokFile.parse(bytes) }
    }

    private func flipping(_ bytes: [UInt8], bit: Int) -> [UInt8] {
        var flipped = bytes
        flipped[bit / 8] ^= 0x80 >> UInt8(bit % 8)
        return flipped
    }

    /// `bytes` with `change` applied to the payload and both CRCs made valid again.
    private func withPayloadChange(_ bytes: [UInt8], _ change: (inout [UInt8]) -> Void) -> [UInt8] {
        var payload = Array(bytes[VTokHeader.size...])
        change(&payload)
        let crc = crc32(of: payload[...])
        var header = Array(bytes[0..<VTokHeader.size])
        for i in 0..<4 { header[20 + i] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(i))) }
        return withValidHeaderCRC(header) + payload
    }

    func testEveryHeaderBitFlipIsAnError() {
        for bit in 0..<(VTokHeader.size * 8) {
            let error = parseError(flipping(example, bit: bit))
            switch bit / 8 {
            case 0..<3: XCTAssertEqual(error, .notVTok, "bit \(bit)")
            case 3: XCTAssertEqual(error, .unsupportedVersion(1 ^ 0x80 >> UInt8(bit % 8)), "bit \(bit)")
            default:
                guard case .headerChecksumMismatch = error else { return XCTFail("bit \(bit): \(String(describing: error))") }
            }
        }
    }

    func testEveryPayloadBitFlipOfACompleteFileIsACorruptPayloadError() throws {
        for file in [FormatTests.singleTileExample, example] {
            for bit in (VTokHeader.size * 8)..<(file.count * 8) {
                let error = try XCTUnwrap(parseError(flipping(file, bit: bit)), "bit \(bit)")
                guard case .corruptPayload = error else { return XCTFail("bit \(bit): \(error)") }
                XCTAssertTrue(error.description.hasPrefix("corrupt payload (checksum mismatch"), error.description)
            }
        }
    }

    func testFieldsOutOfRangeAreErrorsEvenWithAValidChecksum() {
        func error(_ change: (inout [UInt8]) -> Void) -> VTokError? {
            var bytes = example
            change(&bytes)
            return parseError(withValidHeaderCRC(bytes))
        }
        XCTAssertEqual(error { $0[14] = 1 }, .unsupportedPayloadCoding(1))
        XCTAssertEqual(error { $0[15] = 0x01 }, .invalidField(name: "flags", value: 1, allowed: "0"))
        XCTAssertEqual(error { $0[4] = 0; $0[5] = 0 }, .invalidField(name: "width", value: 0, allowed: "1...65535"))
        XCTAssertEqual(error { $0[6] = 0; $0[7] = 0 }, .invalidField(name: "height", value: 0, allowed: "1...65535"))
        XCTAssertEqual(error { $0[4...9] = [0xff, 0xff, 0xff, 0xff, 0x01, 0x00] },
                       .invalidField(name: "tile count", value: 65535 * 65535, allowed: "1...65536"))
        XCTAssertEqual(error { $0[12] = 0 }, .invalidField(name: "groups", value: 0, allowed: "1...32"))
        XCTAssertEqual(error { $0[13] = 0 }, .invalidField(name: "bits per group", value: 0, allowed: "1...32"))
        XCTAssertEqual(error { $0[12] = 3; $0[13] = 11 }, .invalidField(name: "bits per token", value: 33, allowed: "1...32"))
    }

    func testLargestTileGridIsAccepted() throws {
        var bytes = example
        bytes[4...9] = [0xff, 0xff, 0xff, 0xff, 0x00, 0x01]  // 65535 × 65535 in 256-pixel tiles
        bytes[10] = 0; bytes[11] = 0                             // no tokens: header only
        let (file, warnings) = try VTokFile.parse(withPayloadChange(Array(bytes.prefix(VTokHeader.size))) { _ in })
        XCTAssertEqual(file.tokens.count, 65536)
        XCTAssertEqual(warnings, [])
    }

    func testNonzeroPaddingIsCorruptEvenWithValidChecksums() {
        let tampered = withPayloadChange(example) { $0[$0.count - 1] |= 0x01 }
        XCTAssertEqual(parseError(tampered), .nonzeroPadding)
        XCTAssertTrue(VTokError.nonzeroPadding.description.contains("corrupt"))
    }

    func testTrailingBytesAreAnError() {
        XCTAssertEqual(parseError(example + [0]), .trailingBytes(count: 1))
        XCTAssertEqual(parseError(example + example), .trailingBytes(count: example.count))
    }

    func testShortOrForeignInputs() {
        XCTAssertEqual(parseError([]), .headerTruncated(byteCount: 0))
        XCTAssertEqual(parseError(Array("VT".utf8)), .headerTruncated(byteCount: 2))
        XCTAssertEqual(parseError(Array("VTK".utf8) + [2]), .unsupportedVersion(2))
        XCTAssertEqual(parseError(Array("\u{89}PNG\r\n".utf8)), .notVTok)
        XCTAssertEqual(parseError(Array("V".utf8) + [0]), .notVTok)
    }

    func testCorruptionAndTruncationAreDistinguishable() throws {
        let cut = Array(example.dropLast())
        XCTAssertNil(parseError(cut))
        XCTAssertEqual(try VTokFile.parse(cut).warnings.count, 1)
        guard case .corruptPayload = parseError(flipping(example, bit: example.count * 8 - 9)) else {
            return XCTFail("a flipped payload bit must be a corrupt-payload error")
        }
    }
}
