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

    /// The shipped model reaches 27.39 dB on the rendered landscape with all its tokens (run v5,
    /// training step 7500 after v4; v4 reached 26.79, v2 23.65); the floor leaves a margin for other machines'
    /// rounding and must rise with the model. A flat grey image scores about 11 dB here.
    static let landscapeFloorPSNR = 26.0

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
        let directory = try CLI.temporaryDirectory(for: self)
        let input = Self.samples.appendingPathComponent("landscape.png").path
        let encoded = directory.appendingPathComponent("l.vtok").path, decoded = directory.appendingPathComponent("l.png").path
        XCTAssertEqual(try CLI.run(["encode", input, "-o", encoded]).status, 0)
        XCTAssertEqual(try CLI.run(["decode", encoded, "-o", decoded]).status, 0)
        let psnr = PSNR.rgb(try ImageFile.load(path: input), try ImageFile.load(path: decoded))
        XCTAssertGreaterThan(psnr, Self.landscapeFloorPSNR)
    }
}
