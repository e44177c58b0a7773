import CImageCodecs
import Foundation
import VTokTestSupport
import XCTest
@testable import VTokImage

/// Broken input must come back as an ImageError: never a crash, a hang or a silently gray image.
final class RobustnessTests: XCTestCase {
    let image = randomImage(width: 19, height: 13, seed: 42)
    /// Keeps decodes of mutated headers cheap.
    let smallLimits = ImageLimits(maxPixels: 1 << 16)

    func testTruncatedPNGAtEveryLength() throws {
        try assertEveryCutFails(try PNGCodec.encode(image), signatureLength: 8)
    }

    func testTruncatedJPEGAtEveryLength() throws {
        try assertEveryCutFails(try JPEGCodec.encode(image, quality: 90), signatureLength: 3)
        try assertEveryCutFails(try JPEGCodec.encode(image, quality: 90, progressive: true), signatureLength: 3)
    }

    func testEmptyAndGarbageData() {
        var generator = SeededGenerator(seed: 1)
        let emptyError = expectImageError { try ImageFile.decode([]) }
        XCTAssertEqual(emptyError, .unknownFormat(leadingBytes: []))
        XCTAssertEqual(emptyError?.description, "not an image: the data is empty")
        let prefixes: [[UInt8]] = [[], [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], [0xFF, 0xD8, 0xFF]]
        for prefix in prefixes {
            for length in [1, 2, 10, 100, 1000, 5000] {
                let data = prefix + randomBytes(length, using: &generator)
                let error = expectImageError("\(prefix) + \(length) random bytes") {
                    try ImageFile.decode(data, limits: self.smallLimits)
                }
                if prefix.isEmpty, case .unknownFormat? = error {} else if prefix.isEmpty {
                    XCTFail("random bytes are no known format, got \(String(describing: error))")
                }
            }
        }
    }

    /// PNG chunks carry CRCs, so any flipped byte must be detected.
    func testFlippedBytesInPNGAreDetected() throws {
        let encoded = try PNGCodec.encode(image)
        for position in encoded.indices {
            var damaged = encoded
            damaged[position] ^= 0x5A
            _ = expectImageError("byte \(position) flipped") { try ImageFile.decode(damaged, limits: self.smallLimits) }
        }
    }

    /// JPEG has no checksums: a flipped byte in the entropy-coded data can decode to other valid
    /// pixels. Every outcome must be an ImageError or a well-formed image, never a crash.
    func testFlippedBytesInJPEGNeverCrash() throws {
        let encoded = try JPEGCodec.encode(image, quality: 90, progressive: true)
        var failures = 0
        for position in encoded.indices {
            var damaged = encoded
            damaged[position] ^= 0x5A
            do {
                let decoded = try ImageFile.decode(damaged, limits: smallLimits)
                XCTAssertEqual(decoded.pixels.count, decoded.width * decoded.height * 3)
            } catch is ImageError {
                failures += 1
            }
        }
        XCTAssertGreaterThan(failures, 0, "damaged headers should be rejected")
    }

    // MARK: Size limits

    func testPNGClaimingHugeSizeIsRefusedBeforeDecoding() throws {
        let forged = withPNGDimensions(try PNGCodec.encode(image), width: 100_000, height: 100_000)
        let error = expectImageError { try ImageFile.decode(forged) }
        XCTAssertEqual(error, .tooLarge(width: 100_000, height: 100_000, maxPixels: ImageLimits.default.maxPixels))
        XCTAssertTrue(error?.description.contains("100000x100000") ?? false)
        XCTAssertTrue(error?.description.contains("ImageLimits(maxPixels:") ?? false)
    }

    func testJPEGClaimingHugeSizeIsRefusedBeforeDecoding() throws {
        var forged = try JPEGCodec.encode(image, quality: 90)
        let frame = try XCTUnwrap(startOfFrame(forged))
        forged.replaceSubrange((frame.offset + 5)..<(frame.offset + 9), with: [0xEA, 0x60, 0xEA, 0x60]) // 60000x60000
        let error = expectImageError { try ImageFile.decode(forged) }
        XCTAssertEqual(error, .tooLarge(width: 60_000, height: 60_000, maxPixels: ImageLimits.default.maxPixels))
    }

    func testLimitIsExactAndCanBeRaised() throws {
        let pixelCount = image.width * image.height
        for encoded in [try PNGCodec.encode(image), try JPEGCodec.encode(image, quality: 90)] {
            let tooSmall = ImageLimits(maxPixels: pixelCount - 1)
            let error = expectImageError { try ImageFile.decode(encoded, limits: tooSmall) }
            XCTAssertEqual(error, .tooLarge(width: image.width, height: image.height, maxPixels: pixelCount - 1))
            XCTAssertEqual(try ImageFile.decode(encoded, limits: ImageLimits(maxPixels: pixelCount)).width, image.width)
        }
    }

    // MARK: Helpers

    private func assertEveryCutFails(_ encoded: [UInt8], signatureLength: Int,
                                     file: StaticString = #filePath, line: UInt = #line) throws {
        for length in 0..<encoded.count {
            let error = expectImageError("cut to \(length) of \(encoded.count) bytes", file: file, line: line) {
                try ImageFile.decode(Array(encoded.prefix(length)))
            }
            switch error {
            case .unknownFormat? where length < signatureLength: break
            case .truncated? where length >= signatureLength: break
            default: XCTFail("cut to \(length): \(String(describing: error))", file: file, line: line)
            }
        }
    }

    /// The PNG with its IHDR width and height replaced and the chunk CRC recomputed.
    private func withPNGDimensions(_ png: [UInt8], width: UInt32, height: UInt32) -> [UInt8] {
        var forged = png
        forged.replaceSubrange(16..<24, with: bigEndian32(width) + bigEndian32(height))
        forged.replaceSubrange(29..<33, with: bigEndian32(crc32(forged[12..<29]))) // over "IHDR" and its 13 bytes
        return forged
    }
}
