import CImageCodecs
import VTokTestSupport
import XCTest
@testable import VTokImage

final class PNGTests: XCTestCase {
    func testRGBRoundTripIsBitExact() throws {
        let sizes = [(1, 1), (2, 3), (7, 5), (31, 17), (64, 48), (1, 40), (40, 1)]
        for (index, (width, height)) in sizes.enumerated() {
            let image = randomImage(width: width, height: height, seed: UInt64(index))
            let encoded = try PNGCodec.encode(image)
            XCTAssertEqual(ImageFormat.sniff(encoded), .png)
            XCTAssertEqual(try PNGCodec.decode(encoded), image, "\(width)x\(height)")
            XCTAssertEqual(try ImageFile.decode(encoded), image, "\(width)x\(height)")
        }
    }

    // MARK: Every PNG flavour, written through libpng, decoded to the documented RGB

    func testGray8() throws {
        let gray: [UInt8] = [0, 1, 127, 128, 254, 255]
        try assertDecodes(rows: gray, width: 3, height: 2, color: VTOK_PNG_GRAY, bitDepth: 8,
                          to: gray.flatMap { [$0, $0, $0] })
    }

    func testGray16IsRoundedTo8Bit() throws {
        let samples: [UInt16] = [0, 128, 129, 257, 385, 386, 32767, 65278, 65407, 65535]
        let expected = samples.map(round16to8).flatMap { [$0, $0, $0] }
        try assertDecodes(rows: bigEndian(samples), width: 5, height: 2, color: VTOK_PNG_GRAY, bitDepth: 16,
                          to: expected)
    }

    func testGray1Bit() throws {
        // Two rows of 10 pixels: 1-bit rows are padded to whole bytes.
        let rows: [UInt8] = [0b1010_1100, 0b0100_0000, 0b0000_1111, 0b1100_0000]
        let bits = [1, 0, 1, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1]
        try assertDecodes(rows: rows, width: 10, height: 2, color: VTOK_PNG_GRAY, bitDepth: 1,
                          to: bits.flatMap { [UInt8($0 * 255), UInt8($0 * 255), UInt8($0 * 255)] })
    }

    func testGrayAlpha8IsCompositedOverWhite() throws {
        let pairs: [(gray: Int, alpha: Int)] = [(0, 0), (0, 255), (0, 128), (200, 64), (255, 1), (10, 254)]
        let expected = pairs.flatMap { pair in Array(repeating: overWhite(pair.gray, alpha: pair.alpha), count: 3) }
        try assertDecodes(rows: pairs.flatMap { [UInt8($0.gray), UInt8($0.alpha)] }, width: 3, height: 2,
                          color: VTOK_PNG_GRAY_ALPHA, bitDepth: 8, to: expected)
    }

    func testGrayAlpha16() throws {
        let pairs: [(gray: UInt16, alpha: UInt16)] = [(0, 0), (65535, 65535), (30000, 40000), (1000, 300)]
        let expected = pairs.flatMap { pair in
            Array(repeating: overWhite(Int(round16to8(pair.gray)), alpha: Int(round16to8(pair.alpha))), count: 3)
        }
        try assertDecodes(rows: bigEndian(pairs.flatMap { [$0.gray, $0.alpha] }), width: 2, height: 2,
                          color: VTOK_PNG_GRAY_ALPHA, bitDepth: 16, to: expected)
    }

    func testRGB16() throws {
        var generator = SeededGenerator(seed: 16)
        let samples = (0..<(4 * 3 * 3)).map { _ in UInt16.random(in: 0...65535, using: &generator) }
        try assertDecodes(rows: bigEndian(samples), width: 4, height: 3, color: VTOK_PNG_RGB, bitDepth: 16,
                          to: samples.map(round16to8))
    }

    func testRGBA8IsCompositedOverWhite() throws {
        var generator = SeededGenerator(seed: 8)
        let rgba = randomBytes(5 * 4 * 4, using: &generator)
        try assertDecodes(rows: rgba, width: 5, height: 4, color: VTOK_PNG_RGBA, bitDepth: 8,
                          to: compositedRGBA(rgba.map(Int.init)))
    }

    func testRGBA16() throws {
        var generator = SeededGenerator(seed: 61)
        let samples = (0..<(3 * 3 * 4)).map { _ in UInt16.random(in: 0...65535, using: &generator) }
        try assertDecodes(rows: bigEndian(samples), width: 3, height: 3, color: VTOK_PNG_RGBA, bitDepth: 16,
                          to: compositedRGBA(samples.map { Int(round16to8($0)) }))
    }

    func testPalette() throws {
        let palette: [UInt8] = [255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30]
        let indices: [UInt8] = [0, 1, 2, 3, 3, 2]
        try assertDecodes(rows: indices, width: 3, height: 2, color: VTOK_PNG_PALETTE, bitDepth: 8,
                          palette: palette, to: indices.flatMap { palette[3 * Int($0)..<3 * Int($0) + 3] })
    }

    func testPaletteWithTransparency() throws {
        let palette: [UInt8] = [255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30]
        // tRNS may be shorter than the palette: entry 3 stays opaque.
        let alpha: [UInt8] = [0, 128, 255]
        let indices: [UInt8] = [0, 1, 2, 3]
        // 2-bit indices packed four to a byte: one row of 4 pixels per row, two rows.
        let packed: [UInt8] = [0b00_01_10_11, 0b11_10_01_00]
        let order = indices + indices.reversed()
        let expected = order.flatMap { index -> [UInt8] in
            let a = Int(index) < alpha.count ? Int(alpha[Int(index)]) : 255
            return (0..<3).map { overWhite(Int(palette[3 * Int(index) + $0]), alpha: a) }
        }
        try assertDecodes(rows: packed, width: 4, height: 2, color: VTOK_PNG_PALETTE, bitDepth: 2,
                          palette: palette, paletteAlpha: alpha, to: expected)
    }

    func testInterlacedRGB() throws {
        let image = randomImage(width: 13, height: 11, seed: 7)
        let encoded = try PNGCodec.encode(packedRows: image.pixels, width: 13, height: 11, color: VTOK_PNG_RGB,
                                          bitDepth: 8, interlaced: true)
        XCTAssertEqual(encoded[28], 1, "IHDR interlace method should be Adam7")
        XCTAssertEqual(try PNGCodec.decode(encoded), image)
    }

    /// Colour metadata is not applied and broken ancillary chunks do not fail the image: a gamma of
    /// 1.0, a malformed ICC profile, text and a private chunk leave the pixels as they are.
    func testAncillaryChunksAreIgnored() throws {
        let image = randomImage(width: 6, height: 5, seed: 21)
        let plain = try PNGCodec.encode(image)
        let endOfHeader = 8 + 25 // signature, then IHDR: 4 length + 4 type + 13 data + 4 CRC
        let extras = pngChunk("gAMA", bigEndian32(100_000))
            + pngChunk("iCCP", Array("profile".utf8) + [0, 0] + [1, 2, 3, 4, 5])
            + pngChunk("tEXt", Array("Comment".utf8) + [0] + Array("made by a test".utf8))
            + pngChunk("vtOk", [9, 9, 9])
        var decorated = plain
        decorated.insert(contentsOf: extras, at: endOfHeader)
        XCTAssertEqual(try PNGCodec.decode(decorated), image)
    }

    func testInvalidLayoutIsAnEncodingError() {
        // Bit depth 3 does not exist.
        let error = expectImageError {
            try PNGCodec.encode(packedRows: [0, 0], width: 2, height: 1, color: VTOK_PNG_GRAY, bitDepth: 3)
        }
        guard case .encodingFailed(.png, _)? = error else { return XCTFail("got \(String(describing: error))") }
    }

    func testRowsShorterThanTheLayoutAreRefused() {
        let error = expectImageError {
            try PNGCodec.encode(packedRows: [1, 2, 3], width: 2, height: 1, color: VTOK_PNG_RGB, bitDepth: 8)
        }
        XCTAssertEqual(error, .encodingFailed(.png, detail: "3 bytes of rows for a layout that needs 6"))
    }

    // MARK: Helpers

    private func assertDecodes(rows: [UInt8], width: Int, height: Int, color: vtok_png_color, bitDepth: Int,
                               palette: [UInt8] = [], paletteAlpha: [UInt8]? = nil, to expected: [UInt8],
                               file: StaticString = #filePath, line: UInt = #line) throws {
        let encoded = try PNGCodec.encode(packedRows: rows, width: width, height: height, color: color,
                                          bitDepth: bitDepth, palette: palette, paletteAlpha: paletteAlpha)
        XCTAssertEqual(Int(encoded[24]), bitDepth, "IHDR bit depth", file: file, line: line)
        XCTAssertEqual(encoded[25], UInt8(color.rawValue), "IHDR colour type", file: file, line: line)
        let decoded = try ImageFile.decode(encoded)
        XCTAssertEqual(decoded.width, width, file: file, line: line)
        XCTAssertEqual(decoded.height, height, file: file, line: line)
        XCTAssertEqual(decoded.pixels, expected, file: file, line: line)
    }

    private func round16to8(_ sample: UInt16) -> UInt8 { UInt8((Double(sample) / 257).rounded()) }

    private func bigEndian(_ samples: [UInt16]) -> [UInt8] { samples.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] } }

    private func compositedRGBA(_ rgba: [Int]) -> [UInt8] {
        stride(from: 0, to: rgba.count, by: 4).flatMap { i in
            (0..<3).map { overWhite(rgba[i + $0], alpha: rgba[i + 3]) }
        }
    }
}
