import XCTest
import VTokImage
@testable import VTokEval

final class CodecTests: XCTestCase {
    let image = SyntheticImages.textured(width: 48, height: 40, seed: 11)

    /// Our decoder and the reference tool (which writes PPM) must agree on every pixel of our file.
    func assertReferenceToolDecodesAlike(tool: String, arguments: (_ input: String, _ output: String) -> [String],
                                         fileExtension: String, bytes: [UInt8], decoded: RGBImage) throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = directory.appendingPathComponent("encoded.\(fileExtension)")
        let output = directory.appendingPathComponent("decoded.ppm")
        try Data(bytes).write(to: input)
        guard try runReferenceTool(tool, arguments(input.path, output.path)) else {
            throw XCTSkip("\(tool) is not installed; install it to compare against the reference decoder")
        }
        XCTAssertEqual(try readPPM(output), decoded, "\(tool) decodes our file to other pixels than our decoder")
    }

    func testWebPDecodesLikeDwebp() throws {
        let codec = WebPCodec()
        let bytes = try codec.encode(image, quality: 50)
        XCTAssertEqual(Array(bytes[0..<4]), Array("RIFF".utf8))
        XCTAssertEqual(Array(bytes[8..<12]), Array("WEBP".utf8))
        let decoded = try codec.decode(bytes)
        XCTAssertEqual(decoded.width, image.width)
        XCTAssertGreaterThan(PSNR.rgb(image, decoded), 20)
        try assertReferenceToolDecodesAlike(tool: "dwebp", arguments: { [$0, "-ppm", "-o", $1] },
                                            fileExtension: "webp", bytes: bytes, decoded: decoded)
    }

    func testJPEGDecodesLikeDjpeg() throws {
        let codec = JPEGBaseline()
        let bytes = try codec.encode(image, quality: 50)
        XCTAssertEqual(Array(bytes[0..<2]), [0xFF, 0xD8])
        let decoded = try codec.decode(bytes)
        XCTAssertGreaterThan(PSNR.rgb(image, decoded), 20)
        try assertReferenceToolDecodesAlike(tool: "djpeg", arguments: { ["-ppm", "-outfile", $1, $0] },
                                            fileExtension: "jpg", bytes: bytes, decoded: decoded)
    }

    func testQualitySweepGrowsWithQuality() throws {
        for codec in [WebPCodec(qualities: [5, 90]), JPEGBaseline(qualities: [5, 90])] as [any RateDistortionCodec] {
            let points = try codec.operatingPoints(for: image)
            XCTAssertEqual(points.map(\.setting), ["q=5", "q=90"], codec.name)
            XCTAssertLessThan(points[0].bytes, points[1].bytes, codec.name)
            XCTAssertLessThan(PSNR.rgb(image, points[0].decoded), PSNR.rgb(image, points[1].decoded), codec.name)
        }
    }

    func testDownscaledCopiesDecodeAtTheOriginalSize() throws {
        let full = DownscaledCodec(WebPCodec(qualities: [50]), factor: 1)
        let quarter = DownscaledCodec(WebPCodec(qualities: [50]), factor: 4)
        XCTAssertEqual(full.name, "WebP")
        XCTAssertEqual(quarter.name, "WebP 1/4")
        XCTAssertEqual(quarter.family, "WebP")
        let fullPoint = try XCTUnwrap(full.operatingPoints(for: image).first)
        let quarterPoint = try XCTUnwrap(quarter.operatingPoints(for: image).first)
        XCTAssertEqual(quarterPoint.decoded.width, image.width)
        XCTAssertEqual(quarterPoint.decoded.height, image.height)
        XCTAssertLessThan(quarterPoint.bytes, fullPoint.bytes)
    }

    func testCommandLineCodecsRoundTripWhenInstalled() throws {
        let codecs = CommandLineCodec.Format.allCases.compactMap { CommandLineCodec($0, qualities: [$0 == .avif ? 30 : 70]) }
        guard !codecs.isEmpty else { throw XCTSkip("neither avifenc/avifdec nor cjxl/djxl is installed") }
        for codec in codecs {
            let point = try XCTUnwrap(codec.operatingPoints(for: image).first)
            XCTAssertEqual(point.decoded.width, image.width, codec.name)
            XCTAssertGreaterThan(PSNR.rgb(image, point.decoded), 20, codec.name)
        }
    }

    /// AVIF and JPEG XL get the same downscaled copies as JPEG and WebP, so their hulls compare fairly.
    func testCatalogScalesTheCommandLineCodecsToo() throws {
        guard CommandLineCodec(.avif) != nil, CommandLineCodec(.jpegXL) != nil else {
            throw XCTSkip("avifenc/avifdec or cjxl/djxl is not installed (make installs libavif-bin and libjxl-tools)")
        }
        let (codecs, notes) = try CodecCatalog.codecs(named: ["avif", "jxl"], tokenCounts: [], tokenizer: nil)
        XCTAssertEqual(codecs.map(\.name), ["AVIF", "AVIF 1/2", "AVIF 1/4", "AVIF 1/8", "JPEG XL", "JPEG XL 1/2", "JPEG XL 1/4", "JPEG XL 1/8"])
        XCTAssertEqual(Set(codecs.map(\.family)), ["AVIF", "JPEG XL"])
        XCTAssertTrue(notes.isEmpty)
    }

    func testCatalogBuildsScaledFamiliesAndExplainsMissingVTok() throws {
        let (codecs, notes) = try CodecCatalog.codecs(named: ["jpeg", "webp", "vtok"], tokenCounts: [32, 64], tokenizer: nil)
        XCTAssertEqual(codecs.map(\.name), ["JPEG", "JPEG 1/2", "JPEG 1/4", "JPEG 1/8", "WebP", "WebP 1/2", "WebP 1/4", "WebP 1/8"])
        XCTAssertEqual(notes.count, 1)
        XCTAssertTrue(notes[0].contains("no vtok model"))
        XCTAssertThrowsError(try CodecCatalog.codecs(named: ["gif"], tokenCounts: [], tokenizer: nil))
    }
}
