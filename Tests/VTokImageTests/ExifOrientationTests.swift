import Foundation
@testable import VTokImage
import XCTest

/// Issue 12, item 8: a JPEG's EXIF Orientation is applied on load.
final class ExifOrientationTests: XCTestCase {
    /// A JPEG with an APP1 Exif segment holding only IFD0's Orientation, inserted right after SOI.
    private func withOrientation(_ jpeg: [UInt8], _ value: UInt16, bigEndian: Bool) -> [UInt8] {
        func u16(_ v: UInt16) -> [UInt8] { bigEndian ? [UInt8(v >> 8), UInt8(v & 0xFF)] : [UInt8(v & 0xFF), UInt8(v >> 8)] }
        func u32(_ v: UInt32) -> [UInt8] { bigEndian ? u16(UInt16(v >> 16)) + u16(UInt16(v & 0xFFFF)) : u16(UInt16(v & 0xFFFF)) + u16(UInt16(v >> 16)) }
        var tiff: [UInt8] = bigEndian ? [0x4D, 0x4D] : [0x49, 0x49]
        tiff += u16(42) + u32(8)
        tiff += u16(2)                                             // two entries: another tag first
        tiff += u16(0x010F) + u16(2) + u32(4) + [0x61, 0x62, 0x63, 0]  // Make "abc"
        tiff += u16(0x0112) + u16(3) + u32(1) + u16(value) + [0, 0]
        tiff += u32(0)
        let payload: [UInt8] = Array("Exif".utf8) + [0, 0] + tiff
        let length = payload.count + 2
        return [0xFF, 0xD8, 0xFF, 0xE1, UInt8(length >> 8), UInt8(length & 0xFF)] + payload + jpeg.dropFirst(2)
    }

    private func picture(width: Int, height: Int) -> RGBImage {
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                // Distinct quadrants, so a wrong turn shows up even after JPEG's losses.
                let i = (y * width + x) * 3
                pixels[i] = x < width / 2 ? 250 : 10
                pixels[i + 1] = y < height / 2 ? 250 : 10
                pixels[i + 2] = UInt8((x * 5 + y * 3) % 256)
            }
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    func testOrientationSixTurnsClockwise() throws {
        let stored = picture(width: 48, height: 32)
        let plain = try JPEGCodec.encode(stored, quality: 95, chroma: .full444)
        let decodedPlain = try ImageFile.decode(plain)
        for bigEndian in [false, true] {
            let turned = try ImageFile.decode(withOrientation(plain, 6, bigEndian: bigEndian))
            XCTAssertEqual([turned.width, turned.height], [32, 48])
            // Shown turned 90° clockwise: the stored top-left corner (red and green high) is now top-right.
            let topRight = (0 * turned.width + turned.width - 1) * 3
            XCTAssertGreaterThan(turned.pixels[topRight], 200)
            XCTAssertGreaterThan(turned.pixels[topRight + 1], 200)
            let topLeft = 0
            // and the stored bottom-left corner (red high, green low) is now top-left.
            XCTAssertGreaterThan(turned.pixels[topLeft], 200)
            XCTAssertLessThan(turned.pixels[topLeft + 1], 50)
            XCTAssertEqual(turned, decodedPlain.oriented(exif: 6))
        }
    }

    func testEveryOrientationMatchesItsDefinition() throws {
        // 3x2 stored:  a b c / d e f
        let stored = RGBImage(width: 3, height: 2, pixels: (0..<6).flatMap { [UInt8($0), 0, 0] })
        func shown(_ o: Int) -> [[UInt8]] {
            let image = stored.oriented(exif: o)
            return (0..<image.height).map { y in (0..<image.width).map { x in image.pixels[(y * image.width + x) * 3] } }
        }
        XCTAssertEqual(shown(1), [[0, 1, 2], [3, 4, 5]])
        XCTAssertEqual(shown(2), [[2, 1, 0], [5, 4, 3]])
        XCTAssertEqual(shown(3), [[5, 4, 3], [2, 1, 0]])
        XCTAssertEqual(shown(4), [[3, 4, 5], [0, 1, 2]])
        XCTAssertEqual(shown(5), [[0, 3], [1, 4], [2, 5]])
        XCTAssertEqual(shown(6), [[3, 0], [4, 1], [5, 2]])
        XCTAssertEqual(shown(7), [[5, 2], [4, 1], [3, 0]])
        XCTAssertEqual(shown(8), [[2, 5], [1, 4], [0, 3]])
        let jpeg = try JPEGCodec.encode(picture(width: 24, height: 16), quality: 90)
        let base = try ImageFile.decode(jpeg)
        for o in 1...8 {
            XCTAssertEqual(try ImageFile.decode(withOrientation(jpeg, UInt16(o), bigEndian: o % 2 == 0)), base.oriented(exif: o), "\(o)")
        }
    }

    func testMalformedExifIsIgnored() throws {
        let jpeg = try JPEGCodec.encode(picture(width: 24, height: 16), quality: 90)
        let base = try ImageFile.decode(jpeg)
        XCTAssertEqual(try ImageFile.decode(withOrientation(jpeg, 9, bigEndian: true)), base)
        XCTAssertEqual(try ImageFile.decode(withOrientation(jpeg, 0, bigEndian: false)), base)
        let good = withOrientation(jpeg, 6, bigEndian: true)
        XCTAssertEqual(ExifOrientation.read(jpeg: good), 6)
        // Every cut of the header and every single-byte change in it: no trap, nil or 1...8.
        for cut in 0..<60 { _ = ExifOrientation.read(jpeg: Array(good.prefix(cut))) }
        for index in 2..<60 {
            for value: UInt8 in [0, 0xFF, 0x7F] {
                var bad = good
                bad[index] = value
                if let read = ExifOrientation.read(jpeg: bad) { XCTAssert((1...8).contains(read)) }
            }
        }
    }
}
