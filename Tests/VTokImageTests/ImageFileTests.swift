import Foundation
import XCTest
@testable import VTokImage

final class ImageFileTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws { directory = try temporaryDirectory() }
    override func tearDownWithError() throws { try FileManager.default.removeItem(at: directory) }

    private func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    func testWriteThenLoadIsBitExact() throws {
        let image = randomImage(width: 33, height: 21, seed: 11)
        try ImageFile.writePNG(image, to: path("image.png"))
        XCTAssertEqual(try ImageFile.load(path: path("image.png")), image)
    }

    func testFormatComesFromContentNotExtension() throws {
        let image = smoothImage(width: 16, height: 16)
        let jpeg = try JPEGCodec.encode(image, quality: 90)
        try Data(jpeg).write(to: URL(fileURLWithPath: path("photo.png")))
        try ImageFile.writePNG(image, to: path("picture.jpg"))
        XCTAssertEqual(try ImageFile.load(path: path("picture.jpg")), image)
        XCTAssertEqual(try ImageFile.load(path: path("photo.png")), try JPEGCodec.decode(jpeg))
    }

    func testMissingFileIsUnreadable() {
        let error = expectImageError { try ImageFile.load(path: self.path("missing.png")) }
        XCTAssertEqual(error, .fileUnreadable(path: path("missing.png"), reason: "No such file or directory"))
    }

    func testDirectoryIsUnreadable() {
        let error = expectImageError { try ImageFile.load(path: self.directory.path) }
        XCTAssertEqual(error, .fileUnreadable(path: directory.path, reason: "not a regular file"))
    }

    func testTextFileIsAnUnknownFormat() throws {
        try Data("hello, world".utf8).write(to: URL(fileURLWithPath: path("notes.png")))
        let error = expectImageError { try ImageFile.load(path: self.path("notes.png")) }
        XCTAssertEqual(error, .unknownFormat(leadingBytes: Array("hello, w".utf8)))
        XCTAssertEqual(error?.description, "not a PNG or JPEG image (the data starts with 68 65 6c 6c 6f 2c 20 77)")
    }

    func testFileOverTheByteLimitIsRefused() throws {
        try ImageFile.writePNG(randomImage(width: 8, height: 8, seed: 1), to: path("small.png"))
        let size = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: path("small.png"))[.size] as? Int)
        let limits = ImageLimits(maxFileBytes: size - 1)
        let error = expectImageError { try ImageFile.load(path: self.path("small.png"), limits: limits) }
        XCTAssertEqual(error, .fileTooLarge(path: path("small.png"), bytes: size, maxFileBytes: size - 1))
        XCTAssertNoThrow(try ImageFile.load(path: path("small.png"), limits: ImageLimits(maxFileBytes: size)))
    }

    func testUnwritablePathIsReported() {
        let target = path("no/such/directory/out.png")
        let error = expectImageError { try ImageFile.writePNG(RGBImage(width: 2, height: 2), to: target) }
        guard case .fileUnwritable(target, _)? = error else { return XCTFail("\(String(describing: error))") }
    }

    func testSniffing() {
        XCTAssertEqual(ImageFormat.sniff([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0]), .png)
        XCTAssertEqual(ImageFormat.sniff([0xFF, 0xD8, 0xFF, 0xE0]), .jpeg)
        XCTAssertNil(ImageFormat.sniff([0xFF, 0xD8]))
        XCTAssertNil(ImageFormat.sniff(Array("GIF89a".utf8)))
    }
}
