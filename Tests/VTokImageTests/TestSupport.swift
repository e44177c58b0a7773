import CImageCodecs
import VTokTestSupport
import XCTest
@testable import VTokImage

func randomBytes(_ count: Int, using generator: inout SeededGenerator) -> [UInt8] {
    (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
}

func randomImage(width: Int, height: Int, seed: UInt64) -> RGBImage {
    var generator = SeededGenerator(seed: seed)
    return RGBImage(width: width, height: height, pixels: randomBytes(width * height * 3, using: &generator))
}

/// Smooth colour content, the kind JPEG reproduces closely.
func smoothImage(width: Int, height: Int) -> RGBImage {
    var pixels: [UInt8] = []
    for y in 0..<height {
        for x in 0..<width {
            let u = Double(x) / Double(width), v = Double(y) / Double(height)
            pixels += [40 + 160 * u, 60 + 120 * v, 128 + 60 * sin(3 * u + 2 * v)].map { UInt8($0.rounded()) }
        }
    }
    return RGBImage(width: width, height: height, pixels: pixels)
}

/// The alpha policy, written independently of the decoder's integer arithmetic.
func overWhite(_ color: Int, alpha: Int) -> UInt8 {
    let a = Double(alpha) / 255
    return UInt8((Double(color) * a + 255 * (1 - a)).rounded())
}

func jpegOptions(quality: Int = 95, optimizeHuffman: Bool = true, subsample420: Bool = false,
                 progressive: Bool = false, color: vtok_jpeg_color = VTOK_JPEG_RGB_AS_YCBCR) -> vtok_jpeg_options {
    vtok_jpeg_options(quality: Int32(quality), optimize_huffman: optimizeHuffman ? 1 : 0,
                      subsample_420: subsample420 ? 1 : 0, progressive: progressive ? 1 : 0, color: color)
}

func maxAbsDifference(_ a: RGBImage, _ b: RGBImage) -> Int {
    precondition(a.width == b.width && a.height == b.height)
    return zip(a.pixels, b.pixels).map { abs(Int($0) - Int($1)) }.max() ?? 0
}

func meanAbsDifference(_ a: RGBImage, _ b: RGBImage) -> Double {
    precondition(a.width == b.width && a.height == b.height)
    let total = zip(a.pixels, b.pixels).reduce(0) { $0 + abs(Int($1.0) - Int($1.1)) }
    return Double(total) / Double(a.pixels.count)
}

/// Runs `body`, which must throw an ImageError, and hands it back for further checks.
func expectImageError(_ message: @autoclosure () -> String = "", file: StaticString = #filePath, line: UInt = #line,
                      _ body: () throws -> Any) -> ImageError? {
    do {
        _ = try body()
        XCTFail("expected an ImageError. \(message())", file: file, line: line)
    } catch let error as ImageError {
        XCTAssertFalse(error.description.isEmpty, file: file, line: line)
        return error
    } catch {
        XCTFail("expected an ImageError, got \(error). \(message())", file: file, line: line)
    }
    return nil
}

func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("vtok-image-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

func bigEndian32(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: value >> (24 - 8 * $0)) } }

/// The CRC-32 PNG chunks carry (ISO 3309, as zlib computes it).
func crc32<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
        crc ^= UInt32(byte)
        for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
    }
    return ~crc
}

/// A complete PNG chunk: length, type, data, CRC.
func pngChunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
    let typeAndData = Array(type.utf8) + data
    return bigEndian32(UInt32(data.count)) + typeAndData + bigEndian32(crc32(typeAndData))
}
