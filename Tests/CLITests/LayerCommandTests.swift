import Foundation
import VTokImage
import VTokModel
import VTokTestModels
import VTokTestSupport
import XCTest

/// `vtok layer`, `residuals --all-layers` and `info` on tiny untrained layered models written by the test.
final class LayerCommandTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = try CLI.temporaryDirectory(for: self)
        let config = TinyModels.layeredWithRefinement
        for (name, layer) in [("base", config.base), ("detail", config.detail), ("refinement", config.refinements[0])] {
            try ConvolutionalTokenizer(config: layer).weightsFile().write(to: path("\(name).safetensors"), as: .float16)
        }
        var pixels = [UInt8](repeating: 0, count: 45 * 30 * 3)
        for index in pixels.indices { pixels[index] = UInt8((index * 37 + (index / 135) * 11) % 256) }
        try ImageFile.writePNG(RGBImage(width: 45, height: 30, pixels: pixels), to: path("in.png"))
    }

    private func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    private func run(_ arguments: [String]) throws -> CLIResult {
        let result = try CLI.run(arguments)
        XCTAssertEqual(result.status, 0, "\(arguments): \(result.stderr)")
        return result
    }

    /// A refinement added to a layered model: the new model decodes the old one's files (whole and
    /// cut) to the same pictures, says so in its card, and its own files hold more tokens.
    func testARefinementLayerReadsTheFilesOfTheModelItExtends() throws {
        _ = try run(["layer", "--base", path("base.safetensors"), "--detail", path("detail.safetensors"), "--resolution", "32",
                     "-o", path("two.safetensors")])
        _ = try run(["residuals", "--images", directory.path, "--out", path("residuals"), "--variants", "full", "--all-layers",
                     "--model", path("two.safetensors")])
        XCTAssertNotNil(try? ImageFile.load(path: path("residuals/in.png")))
        _ = try run(["layer", "--base", path("two.safetensors"), "--detail", path("refinement.safetensors"), "-o", path("three.safetensors")])
        let card = try run(["info", "--model", path("three.safetensors")]).stdout
        let twoID = try VTokCodec(contentsOf: path("two.safetensors")).modelID.description
        XCTAssertTrue(card.contains("reads       the files of"), card)
        XCTAssertTrue(card.contains("\(twoID) (its detail layer)"), card)
        XCTAssertTrue(card.contains("refinement 1"), card)

        _ = try run(["encode", path("in.png"), "--model", path("two.safetensors"), "-o", path("two.vtok")])
        _ = try run(["truncate", path("two.vtok"), "--model", path("three.safetensors"), "--tokens", "20", "-o", path("cut.vtok")])
        _ = try run(["encode", path("in.png"), "--model", path("two.safetensors"), "--tokens", "20", "-o", path("two-20.vtok")])
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path("cut.vtok"))), try Data(contentsOf: URL(fileURLWithPath: path("two-20.vtok"))))
        for file in ["two.vtok", "cut.vtok"] {
            _ = try run(["decode", path(file), "--model", path("two.safetensors"), "-o", path("by-two.png")])
            _ = try run(["decode", path(file), "--model", path("three.safetensors"), "-o", path("by-three.png")])
            XCTAssertEqual(try ImageFile.load(path: path("by-two.png")), try ImageFile.load(path: path("by-three.png")), file)
        }
        _ = try run(["encode", path("in.png"), "--model", path("three.safetensors"), "-o", path("three.vtok")])
        let counts = try ["two.vtok", "three.vtok"].map { name in
            try run(["tokens", path(name), "--model", path("three.safetensors")]).stdout.split(whereSeparator: \.isWhitespace).count
        }
        XCTAssertEqual(counts, [16 + 4 * 6 * 4, 16 + 7 * 6 * 4])
    }

    /// --all-layers asks for a layered model.
    func testAllLayersRefusesABaseModel() throws {
        let result = try CLI.run(["residuals", "--images", directory.path, "--out", path("r"), "--all-layers",
                                  "--model", path("base.safetensors")])
        XCTAssertEqual(result.status, 4)
        XCTAssertTrue(result.stderr.contains("not a layered model"), result.stderr)
    }
}
