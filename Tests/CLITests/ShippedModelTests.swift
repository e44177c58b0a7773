import Foundation
import VTokEval
import VTokImage
import VTokTestSupport
import XCTest

/// The model that ships in the repository, found with no flags, as a user on a fresh clone runs it.
final class ShippedModelTests: XCTestCase {
    private static let samples = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("samples")

    /// The shipped model (run c2 of the convolutional architecture, step 80,109) reaches 29.96 dB on
    /// the rendered landscape with all its tokens, in a 725-byte file; the floor leaves a margin for
    /// other machines' rounding and must rise with the model. A flat grey image scores about 11 dB here.
    static let landscapeFloorPSNR = 28.5
    /// The transformer shipped before it (v5, kept in models/) reaches 27.40 dB there.
    static let transformerV5FloorPSNR = 26.0
    private static let transformerV5 = samples.deletingLastPathComponent()
        .appendingPathComponent("models/transformer-v5.safetensors").path

    func testTheShippedModelIsFoundAndDescribed() throws {
        let result = try CLI.run(["info", "--model", "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let card = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        for key in ["max_tokens", "bits_per_token", "groups", "resolution", "parameters"] {
            XCTAssertNotNil(card[key], "model card lacks \(key)")
        }
        XCTAssertEqual(card["resolution"] as? Int, 256)
    }

    func testTheShippedModelReconstructsASample() throws {
        XCTAssertGreaterThan(try landscapePSNR(modelArguments: []), Self.landscapeFloorPSNR)
        let card = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(try CLI.run(["info", "--model", "--json"]).stdout.utf8)) as? [String: Any])
        XCTAssertEqual(card["architecture"] as? String, "convolutional")
    }

    /// The layered full-resolution model (`models/layered-d2.safetensors`) codes the 480x320
    /// landscape at its own resolution: 33.92 dB with all its tokens (2,454 bytes) where the default
    /// model stops at 29.96; the floor leaves a margin for other machines' rounding. It reads the
    /// default model's files as its base layer: the same picture. The layered model before it (d1,
    /// kept for its files) reaches 33.24 dB there.
    static let layeredLandscapeFloorPSNR = 32.5
    static let layeredD1LandscapeFloorPSNR = 32.0
    private static let layered = samples.deletingLastPathComponent().appendingPathComponent("models/layered-d2.safetensors").path
    private static let layeredD1 = samples.deletingLastPathComponent().appendingPathComponent("models/layered-d1.safetensors").path

    func testTheLayeredModelCodesAtFullResolutionAndReadsTheDefaultModelsFiles() throws {
        XCTAssertGreaterThan(try landscapePSNR(modelArguments: ["--model", Self.layered]), Self.layeredLandscapeFloorPSNR)
        XCTAssertGreaterThan(try landscapePSNR(modelArguments: ["--model", Self.layeredD1]), Self.layeredD1LandscapeFloorPSNR)
        let directory = try CLI.temporaryDirectory(for: self)
        let input = Self.samples.appendingPathComponent("landscape.png").path
        let file = directory.appendingPathComponent("c2.vtok").path
        XCTAssertEqual(try CLI.run(["encode", input, "--tokens", "300", "-o", file]).status, 0)
        let byDefault = directory.appendingPathComponent("a.png").path, byLayered = directory.appendingPathComponent("b.png").path
        XCTAssertEqual(try CLI.run(["decode", file, "-o", byDefault]).status, 0)
        let decoded = try CLI.run(["decode", file, "--model", Self.layered, "-o", byLayered])
        XCTAssertEqual(decoded.status, 0, decoded.stderr)
        XCTAssertEqual(try ImageFile.load(path: byDefault), try ImageFile.load(path: byLayered))
        // A byte budget past the base's whole file buys detail.
        let budgeted = directory.appendingPathComponent("budget.vtok").path
        XCTAssertEqual(try CLI.run(["encode", input, "--model", Self.layered, "--max-bytes", "2000", "-o", budgeted]).status, 0)
        let size = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: budgeted)[.size] as? Int)
        XCTAssertLessThanOrEqual(size, 2000)
        XCTAssertGreaterThan(size, 1800)
    }

    /// Files of the transformer the project shipped before still encode and decode with its file.
    func testTheTransformerV5StillDecodes() throws {
        XCTAssertGreaterThan(try landscapePSNR(modelArguments: ["--model", Self.transformerV5]), Self.transformerV5FloorPSNR)
    }

    private func landscapePSNR(modelArguments: [String]) throws -> Double {
        let directory = try CLI.temporaryDirectory(for: self)
        let input = Self.samples.appendingPathComponent("landscape.png").path
        let encoded = directory.appendingPathComponent("l.vtok").path, decoded = directory.appendingPathComponent("l.png").path
        XCTAssertEqual(try CLI.run(["encode", input, "-o", encoded] + modelArguments).status, 0)
        XCTAssertEqual(try CLI.run(["decode", encoded, "-o", decoded] + modelArguments).status, 0)
        return PSNR.rgb(try ImageFile.load(path: input), try ImageFile.load(path: decoded))
    }
}
