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
