import Foundation
import VTokContainer
import VTokEval
import VTokImage
import VTokModel
import VTokTestSupport
import XCTest

/// `vtok encode`, `decode` and `tokens` through the built binary, with a small untrained model
/// written by the test (the shipped model's quality is tested separately).
final class CodecCommandTests: XCTestCase {
    private var directory: URL!
    private var modelPath: String!

    override func setUpWithError() throws {
        directory = try CLI.temporaryDirectory(for: self)
        var config = TokenizerConfig()
        config.resolution = 64
        config.workingResolution = 16
        config.patchSize = 4
        config.width = 32
        config.heads = 2
        config.encoderLayers = 1
        config.decoderLayers = 1
        config.mlpRatio = 2
        config.maxTokens = 12
        config.tokensPerRegister = 2
        config.groups = 2
        config.bitsPerGroup = 5
        config.linearPathTokens = 4
        modelPath = path("model.safetensors")
        try Tokenizer(config: config).weightsFile().write(to: modelPath, as: .float16)
    }

    private func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    private func writeImage(width: Int, height: Int, name: String) throws -> String {
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                pixels[(y * width + x) * 3] = UInt8(x * 255 / max(width - 1, 1))
                pixels[(y * width + x) * 3 + 1] = UInt8(y * 255 / max(height - 1, 1))
                pixels[(y * width + x) * 3 + 2] = UInt8((x + y) % 256)
            }
        }
        let file = path(name)
        try ImageFile.writePNG(RGBImage(width: width, height: height, pixels: pixels), to: file)
        return file
    }

    private func bytes(_ file: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: file))) }

    /// The first k tokens of a K-token encoding are the k-token encoding, byte for byte.
    func testEncodeThenTruncateEqualsEncodingFewerTokens() throws {
        let image = try writeImage(width: 50, height: 40, name: "in.png")
        XCTAssertEqual(try CLI.run(["encode", image, "--model", modelPath, "-o", path("all.vtok")]).status, 0)
        for k in [0, 1, 5, 12] {
            XCTAssertEqual(try CLI.run(["encode", image, "--model", modelPath, "--tokens", "\(k)", "-o", path("k.vtok")]).status, 0)
            XCTAssertEqual(try CLI.run(["truncate", path("all.vtok"), "--tokens", "\(k)", "-o", path("t.vtok")]).status, 0)
            XCTAssertEqual(try bytes(path("k.vtok")), try bytes(path("t.vtok")), "k = \(k)")
        }
    }

    /// Decoded images have the input's size, for odd sizes and aspect ratios, tiled and not.
    func testDecodedSizeEqualsInputSize() throws {
        for (width, height) in [(1, 1), (17, 5), (63, 129), (130, 64)] {
            let image = try writeImage(width: width, height: height, name: "in\(width)x\(height).png")
            for tiled in [false, true] {
                let encoded = path("e.vtok"), decoded = path("d.png")
                let result = try CLI.run(["encode", image, "--model", modelPath, "-o", encoded] + (tiled ? ["--tiles"] : []))
                XCTAssertEqual(result.status, 0, result.stderr)
                XCTAssertEqual(try CLI.run(["decode", encoded, "--model", modelPath, "-o", decoded]).status, 0)
                let output = try ImageFile.load(path: decoded)
                XCTAssertEqual([output.width, output.height], [width, height], "tiled: \(tiled)")
                if tiled {
                    let tiles = try VTokFile.parse(try bytes(encoded)).file.tokens.count
                    XCTAssertEqual(tiles, ((width + 63) / 64) * ((height + 63) / 64))
                }
            }
        }
    }

    func testMaxBytesKeepsTheFileWithinBudget() throws {
        let image = try writeImage(width: 30, height: 30, name: "in.png")
        XCTAssertEqual(try CLI.run(["encode", image, "--model", modelPath, "--max-bytes", "35", "-o", path("o.vtok")]).status, 0)
        let file = try bytes(path("o.vtok"))
        XCTAssertLessThanOrEqual(file.count, 35)
        // 10-bit tokens: 5 tokens need 7 payload bytes (35 in all), 6 would need 8.
        XCTAssertEqual(try VTokFile.parse(file).file.tokenCount, 5)
    }

    func testTargetPSNRPicksTheFewestTokensThatReachIt() throws {
        let image = try writeImage(width: 32, height: 32, name: "in.png")
        XCTAssertEqual(try CLI.run(["encode", image, "--model", modelPath, "-o", path("all.vtok")]).status, 0)
        let codec = try VTokCodec(contentsOf: modelPath)
        let all = try VTokFile.parse(try bytes(path("all.vtok"))).file
        let original = try ImageFile.load(path: image)
        func psnr(_ k: Int) throws -> Double { PSNR.rgb(original, try codec.decode(all.truncated(toTokens: k))) }
        // An untrained model's quality is not monotone in k, so only the guarantee is checked here:
        // the chosen prefix reaches the target (RateControl's bisection is tested on its own).
        let target = try psnr(12) - 0.01
        let result = try CLI.run(["encode", image, "--model", modelPath, "--target-psnr", "\(target)", "-o", path("q.vtok")])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertFalse(result.stderr.contains("below"), result.stderr)
        let k = try VTokFile.parse(try bytes(path("q.vtok"))).file.tokenCount
        XCTAssertGreaterThanOrEqual(try psnr(k), target)

        let unreachable = try CLI.run(["encode", image, "--model", modelPath, "--target-psnr", "90", "-o", path("u.vtok")])
        XCTAssertEqual(unreachable.status, 0)
        XCTAssertTrue(unreachable.stderr.contains("below 90"), unreachable.stderr)
        XCTAssertEqual(try VTokFile.parse(try bytes(path("u.vtok"))).file.tokenCount, 12)
    }

    func testDirectoryInDirectoryOut() throws {
        let inputs = directory.appendingPathComponent("images")
        try FileManager.default.createDirectory(at: inputs, withIntermediateDirectories: true)
        for i in 0..<3 { _ = try writeImage(width: 20 + i, height: 20, name: "images/p\(i).png") }
        let result = try CLI.run(["encode", inputs.path, "--model", modelPath, "--tokens", "4", "-o", path("tokens")])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(try CLI.run(["decode", path("tokens"), "--model", modelPath, "-o", path("decoded")]).status, 0)
        for i in 0..<3 {
            XCTAssertEqual(try ImageFile.load(path: path("decoded/p\(i).png")).width, 20 + i)
        }
    }

    func testACutFileDecodesWithAWarning() throws {
        let image = try writeImage(width: 30, height: 30, name: "in.png")
        XCTAssertEqual(try CLI.run(["encode", image, "--model", modelPath, "-o", path("all.vtok")]).status, 0)
        let all = try bytes(path("all.vtok"))
        try Data(all.prefix(all.count - 3)).write(to: URL(fileURLWithPath: path("cut.vtok")))
        let result = try CLI.run(["decode", path("cut.vtok"), "--model", modelPath, "-o", path("cut.png")])
        XCTAssertEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("truncated"), result.stderr)
        XCTAssertEqual(try ImageFile.load(path: path("cut.png")).width, 30)
    }

    func testDecodingWithAnotherModelIsRefusedNamingBoth() throws {
        let image = try writeImage(width: 30, height: 30, name: "in.png")
        XCTAssertEqual(try CLI.run(["encode", image, "--model", modelPath, "-o", path("a.vtok")]).status, 0)
        var config = try VTokCodec(contentsOf: modelPath).config
        config.seed = 99
        let other = path("other.safetensors")
        try Tokenizer(config: config).weightsFile().write(to: other, as: .float16)
        let result = try CLI.run(["decode", path("a.vtok"), "--model", other, "-o", path("a.png")])
        XCTAssertEqual(result.status, 4)
        let ids = [try VTokCodec(contentsOf: modelPath).modelID.description, try VTokCodec(contentsOf: other).modelID.description]
        for id in ids { XCTAssertTrue(result.stderr.contains(id), result.stderr) }
    }

    func testBadInputs() throws {
        let text = path("notes.png")
        try Data("not an image".utf8).write(to: URL(fileURLWithPath: text))
        let notImage = try CLI.run(["encode", text, "--model", modelPath, "-o", path("x.vtok")])
        XCTAssertEqual(notImage.status, 2)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("x.vtok")))
        XCTAssertEqual(try CLI.run(["encode", path("missing.png"), "--model", modelPath, "-o", path("x.vtok")]).status, 2)
        let image = try writeImage(width: 8, height: 8, name: "in.png")
        XCTAssertEqual(try CLI.run(["encode", image, "--model", path("missing.safetensors"), "-o", path("x.vtok")]).status, 4)
        XCTAssertEqual(try CLI.run(["encode", image, "--model", modelPath, "--tokens", "3", "--max-bytes", "40", "-o", path("x.vtok")]).status, 1)
        XCTAssertEqual(try CLI.run(["encode", image, "--model", modelPath, "--tokens", "13", "-o", path("x.vtok")]).status, 1)
        let big = try CLI.run(["encode", image, "--model", modelPath, "--max-pixels", "10", "-o", path("x.vtok")])
        XCTAssertEqual(big.status, 2)
    }

    func testTokensPrintsTheIds() throws {
        let image = try writeImage(width: 30, height: 30, name: "in.png")
        XCTAssertEqual(try CLI.run(["encode", image, "--model", modelPath, "--tokens", "6", "-o", path("a.vtok")]).status, 0)
        let file = try VTokFile.parse(try bytes(path("a.vtok"))).file
        let text = try CLI.run(["tokens", path("a.vtok")])
        XCTAssertEqual(text.stdout.trimmingCharacters(in: .whitespacesAndNewlines), file.tokens[0].map(String.init).joined(separator: " "))
        let json = try CLI.run(["tokens", path("a.vtok"), "--json"])
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let tiles = try XCTUnwrap(object["tiles"] as? [[String: Any]])
        XCTAssertEqual((tiles[0]["ids"] as? [Int])?.map(UInt32.init), file.tokens[0])
        XCTAssertEqual(object["bits_per_token"] as? Int, 10)
    }

    func testInfoModelDescribesTheModel() throws {
        let result = try CLI.run(["info", "--model", modelPath, "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(object["max_tokens"] as? Int, 12)
        XCTAssertEqual(object["bits_per_token"] as? Int, 10)
        XCTAssertEqual(object["groups"] as? Int, 2)
        XCTAssertEqual(object["resolution"] as? Int, 64)
        XCTAssertEqual(object["parameters"] as? Int, try VTokCodec(contentsOf: modelPath).tokenizer.parameterCount)
    }

    /// The report with vtok rows next to JPEG and WebP, end to end on two small images.
    func testReportIncludesVTokRows() throws {
        let inputs = directory.appendingPathComponent("report-images")
        try FileManager.default.createDirectory(at: inputs, withIntermediateDirectories: true)
        _ = try writeImage(width: 80, height: 64, name: "report-images/a.png")
        _ = try writeImage(width: 64, height: 90, name: "report-images/b.png")
        let out = path("report")
        let result = try CLI.run(["report", "--images", inputs.path, "--out", out, "--size", "64", "--codecs", "jpeg,webp,vtok",
                                  "--model", modelPath, "--tokens", "1,4,12", "--budgets", "32,96,192"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/results.json"))) as? [[String: Any]])
        let vtok = try XCTUnwrap(json.first { $0["name"] as? String == "vtok" })
        let results = try XCTUnwrap(vtok["results"] as? [String: [Double]])
        // Whole files: the 28-byte header plus 10-bit tokens, 1, 4 and 12 of them, and 3, the most that
        // fit the 32-byte budget (96 and 192 bytes fit all 12).
        XCTAssertEqual(results["bytes"], [30, 32, 33, 43])
        let markdown = try String(contentsOfFile: out + "/report.md", encoding: .utf8)
        XCTAssertTrue(markdown.contains("| vtok |"), markdown)
    }
}
