import CImageCodecs
import Foundation
import VTokTestSupport
import XCTest
@testable import VTokImage

/// JPEG is lossy: decodes are compared with the source by tolerance. At quality 95 on smooth content
/// the mean absolute error must stay within 1.0 and the maximum within 4 (4:4:4) or 6 (4:2:0)
/// (measured with libjpeg-turbo 2.1: 0.55 / 3 and 0.69 / 5); quality 100 at 4:4:4 within 3.
final class JPEGTests: XCTestCase {
    let source = smoothImage(width: 48, height: 40)

    func testBaseline444() throws {
        let encoded = try JPEGCodec.encode(source, quality: 95, chroma: .full444)
        XCTAssertEqual(startOfFrame(encoded)?.marker, 0xC0, "baseline SOF0")
        XCTAssertEqual(startOfFrame(encoded)?.lumaSampling, 0x11, "4:4:4")
        try assertClose(try JPEGCodec.decode(encoded), source, maxError: 4)
    }

    func testBaseline420() throws {
        let encoded = try JPEGCodec.encode(source, quality: 95)
        XCTAssertEqual(startOfFrame(encoded)?.lumaSampling, 0x22, "4:2:0 is the default")
        try assertClose(try ImageFile.decode(encoded), source, maxError: 6)
    }

    func testProgressive() throws {
        let encoded = try JPEGCodec.encode(source, quality: 95, progressive: true)
        XCTAssertEqual(startOfFrame(encoded)?.marker, 0xC2, "progressive SOF2")
        try assertClose(try ImageFile.decode(encoded), source, maxError: 6)
    }

    func testOddSizesAndOnePixel() throws {
        for (width, height) in [(1, 1), (3, 5), (17, 9)] {
            let image = RGBImage(width: width, height: height,
                                 pixels: Array(source.pixels.prefix(width * height * 3)))
            let decoded = try ImageFile.decode(try JPEGCodec.encode(image, quality: 100, chroma: .full444))
            XCTAssertEqual(decoded.width, width)
            XCTAssertEqual(decoded.height, height)
            XCTAssertLessThanOrEqual(maxAbsDifference(decoded, image), 3, "\(width)x\(height)")
        }
    }

    func testGrayscaleJPEGDecodesToEqualChannels() throws {
        let grayPixels = source.pixels.enumerated().map { index, _ in source.pixels[index - index % 3 + 1] }
        let gray = RGBImage(width: source.width, height: source.height, pixels: grayPixels)
        let encoded = try JPEGCodec.encode(interleaved: gray.pixels, width: gray.width, height: gray.height,
                                           options: jpegOptions(color: VTOK_JPEG_RGB_AS_GRAY))
        XCTAssertEqual(startOfFrame(encoded)?.components, 1)
        let decoded = try ImageFile.decode(encoded)
        for pixel in stride(from: 0, to: decoded.pixels.count, by: 3) {
            XCTAssertEqual(decoded.pixels[pixel], decoded.pixels[pixel + 1])
            XCTAssertEqual(decoded.pixels[pixel], decoded.pixels[pixel + 2])
        }
        try assertClose(decoded, gray, maxError: 4)
    }

    func testOptimizedHuffmanIsSmallerAndDecodesIdentically() throws {
        let plain = try JPEGCodec.encode(source, quality: 80, optimizeHuffman: false)
        let optimized = try JPEGCodec.encode(source, quality: 80, optimizeHuffman: true)
        XCTAssertLessThan(optimized.count, plain.count)
        XCTAssertEqual(try JPEGCodec.decode(optimized), try JPEGCodec.decode(plain))
    }

    func testLowerQualityIsSmaller() throws {
        let image = randomImage(width: 32, height: 32, seed: 3)
        let low = try JPEGCodec.encode(image, quality: 20), high = try JPEGCodec.encode(image, quality: 90)
        XCTAssertLessThan(low.count, high.count)
    }

    func testCMYKAndYCCKAreRefused() throws {
        var generator = SeededGenerator(seed: 4)
        let cmyk = randomBytes(8 * 8 * 4, using: &generator)
        for (color, name) in [(VTOK_JPEG_CMYK, "CMYK"), (VTOK_JPEG_CMYK_AS_YCCK, "YCCK")] {
            let encoded = try JPEGCodec.encode(interleaved: cmyk, width: 8, height: 8,
                                               options: jpegOptions(color: color))
            XCTAssertEqual(startOfFrame(encoded)?.components, 4)
            let error = expectImageError { try ImageFile.decode(encoded) }
            guard case .unsupported(.jpeg, let detail)? = error else {
                return XCTFail("\(name): \(String(describing: error))")
            }
            XCTAssertTrue(detail.hasPrefix(name), detail)
            XCTAssertTrue(error!.description.contains("convert it to sRGB"), error!.description)
        }
    }

    func testPixelsShorterThanTheImageAreRefused() {
        let error = expectImageError {
            try JPEGCodec.encode(interleaved: [1, 2, 3], width: 2, height: 1, options: jpegOptions())
        }
        XCTAssertEqual(error, .encodingFailed(.jpeg, detail: "3 bytes of pixels for 2x1 with 3 channels"))
    }

    /// libjpeg-turbo's djpeg defaults to the same accurate integer IDCT and fancy upsampling as our
    /// decoder, so the pixels must be identical, not merely close.
    func testDecoderMatchesDjpeg() throws {
        guard let djpeg = ["/usr/bin/djpeg", "/usr/local/bin/djpeg", "/opt/homebrew/bin/djpeg"]
            .first(where: FileManager.default.isExecutableFile(atPath:)) else {
            throw XCTSkip("djpeg (libjpeg-turbo-progs) is not installed; cross-check skipped")
        }
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        for progressive in [false, true] {
            let encoded = try JPEGCodec.encode(randomImage(width: 37, height: 29, seed: 9), quality: 75,
                                               progressive: progressive)
            let input = directory.appendingPathComponent("input.jpg")
            try Data(encoded).write(to: input)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: djpeg)
            process.arguments = ["-ppm", input.path]
            let output = Pipe()
            process.standardOutput = output
            try process.run()
            let ppm = [UInt8](output.fileHandleForReading.readDataToEndOfFile())
            process.waitUntilExit()
            XCTAssertEqual(process.terminationStatus, 0)
            XCTAssertEqual(try JPEGCodec.decode(encoded), try parseBinaryPPM(ppm), "progressive: \(progressive)")
        }
    }

    // MARK: Helpers

    private func assertClose(_ decoded: RGBImage, _ expected: RGBImage, maxError: Int,
                             file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(decoded.width, expected.width, file: file, line: line)
        XCTAssertEqual(decoded.height, expected.height, file: file, line: line)
        XCTAssertLessThanOrEqual(maxAbsDifference(decoded, expected), maxError, file: file, line: line)
        XCTAssertLessThanOrEqual(meanAbsDifference(decoded, expected), 1.0, file: file, line: line)
    }

    private func parseBinaryPPM(_ bytes: [UInt8]) throws -> RGBImage {
        // "P6\n<width> <height>\n255\n" then the samples; djpeg writes no comments.
        var fields: [String] = [], field = "", offset = 0
        while fields.count < 4 {
            let character = Character(UnicodeScalar(bytes[offset]))
            offset += 1
            if character.isWhitespace {
                if !field.isEmpty { fields.append(field); field = "" }
            } else {
                field.append(character)
            }
        }
        XCTAssertEqual(fields[0], "P6")
        XCTAssertEqual(fields[3], "255")
        let width = try XCTUnwrap(Int(fields[1])), height = try XCTUnwrap(Int(fields[2]))
        return RGBImage(width: width, height: height, pixels: Array(bytes[offset...]))
    }
}

/// The frame header of a JPEG: its SOFn marker, component count and the first component's sampling
/// factors (0x22 for 4:2:0 luma, 0x11 for 4:4:4).
func startOfFrame(_ jpeg: [UInt8]) -> (marker: UInt8, components: Int, lumaSampling: UInt8, offset: Int)? {
    var offset = 2
    while offset + 4 <= jpeg.count, jpeg[offset] == 0xFF {
        let marker = jpeg[offset + 1]
        let length = Int(jpeg[offset + 2]) << 8 | Int(jpeg[offset + 3])
        if (0xC0...0xC2).contains(marker) {
            return (marker, Int(jpeg[offset + 9]), jpeg[offset + 11], offset)
        }
        offset += 2 + length
    }
    return nil
}
