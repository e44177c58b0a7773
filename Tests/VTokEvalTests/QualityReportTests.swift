import XCTest
import VTokImage
@testable import VTokEval
#if canImport(FoundationXML)
import FoundationXML
#endif

final class QualityReportTests: XCTestCase {
    func testReportRunsEndToEndAndWritesEveryFile() throws {
        let output = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: output) }
        let images = [1, 2].map { seed in
            ReportImage(name: "synthetic\(seed)") { SyntheticImages.textured(width: 64, height: 64, seed: UInt32(seed)) }
        }
        let qualities = [10, 50, 90]
        let codecs: [any RateDistortionCodec] = [1, 2].flatMap { factor -> [any RateDistortionCodec] in
            [DownscaledCodec(JPEGBaseline(qualities: qualities), factor: factor),
             DownscaledCodec(WebPCodec(qualities: qualities), factor: factor)]
        }
        let options = ReportOptions(outputDirectory: output.path, preprocessing: .native, codecs: codecs,
                                    notes: ["a test note"], budgets: [200, 400, 800, 1600], gridImageCount: 1,
                                    gridBudgets: [400, 1600], showsProgress: false)
        let table = try QualityReport.run(images: images, options: options)
        XCTAssertEqual(table.rows.count, 2 * 4 * 3)

        for file in QualityReport.fileNames {
            let attributes = try FileManager.default.attributesOfItem(atPath: output.appendingPathComponent(file).path)
            XCTAssertGreaterThan(attributes[.size] as? Int ?? 0, 0, "\(file) is empty")
        }

        let csv = try String(contentsOf: output.appendingPathComponent("results.csv"), encoding: .utf8)
        let csvLines = csv.split(separator: "\n")
        XCTAssertEqual(String(csvLines[0]), ReportWriter.csvHeader)
        XCTAssertEqual(csvLines.count, 1 + 24)

        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: output.appendingPathComponent("results.json")))
        let entries = try XCTUnwrap(json as? [[String: Any]])
        XCTAssertEqual(entries.compactMap { $0["name"] as? String },
                       ["JPEG", "WebP", "JPEG 1/2", "WebP 1/2", "JPEG hull", "WebP hull"])
        for entry in entries {
            XCTAssertNotNil(entry["description"] as? String)
            let results = try XCTUnwrap(entry["results"] as? [String: [Double]], "\(entry["name"] ?? "?")")
            let keys = ["bpp", "bytes", "psnr-rgb", "ms-ssim-rgb", "ssim", "encoding_time", "decoding_time"]
            XCTAssertEqual(Set(results.keys), Set(keys))
            XCTAssertFalse(results["psnr-rgb"]!.isEmpty, "\(entry["name"] ?? "?") has no points")
            XCTAssertTrue(keys.allSatisfy { results[$0]!.count == results["bytes"]!.count })
        }

        for plot in ["psnr.svg", "ms-ssim.svg"] {
            let parser = try XCTUnwrap(XMLParser(contentsOf: output.appendingPathComponent(plot)))
            XCTAssertTrue(parser.parse(), "\(plot) is not well-formed XML: \(String(describing: parser.parserError))")
            let svg = try String(contentsOf: output.appendingPathComponent(plot), encoding: .utf8)
            XCTAssertTrue(svg.contains("stroke-dasharray"), "\(plot) draws no dashed hull")
            XCTAssertTrue(svg.contains(">WebP hull</text>"), "\(plot) has no legend")
        }

        let markdown = try String(contentsOf: output.appendingPathComponent("report.md"), encoding: .utf8)
        XCTAssertTrue(markdown.contains(Preprocessing.native.statement))
        XCTAssertTrue(markdown.contains("a test note"))
        XCTAssertTrue(markdown.contains("| **JPEG hull** |"))
        XCTAssertTrue(markdown.contains("BD-rate"))

        let html = try String(contentsOf: output.appendingPathComponent("index.html"), encoding: .utf8)
        XCTAssertTrue(html.hasSuffix("</html>\n"))
        let cropSources = html.components(separatedBy: "src=\"crops/").dropFirst().map { $0.prefix { $0 != "\"" } }
        XCTAssertFalse(cropSources.isEmpty)
        for source in cropSources {
            XCTAssertTrue(FileManager.default.fileExists(atPath: output.appendingPathComponent("crops/\(source)").path),
                          "index.html shows crops/\(source), which was not written")
        }
    }

    /// A stand-in for the tokenizer: one conformance with the tokenizer's family puts it in every output and
    /// makes it the subject of the Bjøntegaard table.
    struct StandInTokenizer: RateDistortionCodec {
        var name: String { "vtok" }
        var description: String { "WebP at half size, standing in for the tokenizer" }
        var family: String { QualityReport.tokenizerFamily }
        func operatingPoints(for image: RGBImage) throws -> [OperatingPoint] {
            try DownscaledCodec(WebPCodec(qualities: [10, 40, 70, 90]), factor: 2).operatingPoints(for: image)
        }
    }

    func testATokenizerCodecPlugsInAndIsComparedAgainstEachBaseline() throws {
        let output = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: output) }
        let image = ReportImage(name: "synthetic") { SyntheticImages.textured(width: 64, height: 64, seed: 4) }
        let codecs: [any RateDistortionCodec] = [StandInTokenizer(), JPEGBaseline(qualities: [20, 50, 80, 95])]
        let options = ReportOptions(outputDirectory: output.path, preprocessing: .native, codecs: codecs,
                                    gridImageCount: 0, showsProgress: false)
        try QualityReport.run(images: [image], options: options)
        let markdown = try String(contentsOf: output.appendingPathComponent("report.md"), encoding: .utf8)
        XCTAssertFalse(markdown.contains("No vtok rows"))
        let bdLine = try XCTUnwrap(markdown.split(separator: "\n").first { $0.hasPrefix("| vtok | JPEG |") })
        XCTAssertTrue(bdLine.hasSuffix(" dB |"), "BD row without numbers: \(bdLine)")
    }

    func testDirectoryListsPNGAndJPEGFilesByName() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        for file in ["b.JPG", "a.png", "notes.txt", "c.jpeg"] {
            try Data().write(to: directory.appendingPathComponent(file))
        }
        XCTAssertEqual(try ReportImage.directory(directory.path).map(\.name), ["a", "b", "c"])
    }

    func testImagesTooSmallForSSIMAreRefused() {
        let options = ReportOptions(outputDirectory: "/nonexistent", preprocessing: .native,
                                    codecs: [WebPCodec(qualities: [50])], showsProgress: false)
        let tiny = ReportImage(name: "tiny") { SyntheticImages.textured(width: 8, height: 8, seed: 1) }
        XCTAssertThrowsError(try QualityReport.run(images: [tiny], options: options))
    }
}
