import Foundation
import VTokContainer
import VTokTestSupport
import XCTest

/// A coded file must decode to the same tokens on every machine (spec §15.1.2, §15.2): the shipped
/// layered model's context tables and the range coder are integer arithmetic on decoded tokens, with
/// no BLAS kernel, thread count or float rounding on the path. Checked end to end: one file read by
/// `vtok tokens` under OpenBLAS's generic kernels and this machine's own, with 1 and 2 threads, and
/// by the container library alone (no network, no BLAS linked), from the prior in the model file.
final class ExactDecodingTests: XCTestCase {
    private static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    /// The shipped model: `vtok` finds it with no --model, and its weights file is read here as is.
    static let contextModel = repository.appendingPathComponent("Sources/VTokModel/Resources/default-model.safetensors").path

    func testTokensAreTheSameUnderEveryKernelAndThreadCountAndWithoutBLAS() throws {
        let directory = try CLI.temporaryDirectory(for: self)
        let input = Self.repository.appendingPathComponent("samples/landscape.png").path
        let file = directory.appendingPathComponent("l.vtok").path
        let encoded = try CLI.run(["encode", input, "--model", Self.contextModel, "-o", file])
        XCTAssertEqual(encoded.status, 0, encoded.stderr)
        var outputs: [String] = []
        for environment in [["OPENBLAS_CORETYPE": "Prescott", "OPENBLAS_NUM_THREADS": "1"], ["OPENBLAS_CORETYPE": "Prescott", "OPENBLAS_NUM_THREADS": "2"],
                            ["OPENBLAS_NUM_THREADS": "1"], ["OPENBLAS_NUM_THREADS": "2"]] {
            let result = try CLI.run(["tokens", file, "--model", Self.contextModel], environment: environment)
            XCTAssertEqual(result.status, 0, result.stderr)
            outputs.append(result.stdout)
        }
        XCTAssertEqual(Set(outputs).count, 1)
        let cliTokens = outputs[0].split(whereSeparator: \.isWhitespace).map { UInt32($0)! }
        XCTAssertEqual(cliTokens.count, 1536 + 320 * 15 * 10, "the 480x320 landscape: the base, then 320 channels of 15x10 blocks")

        // The container alone: the model's prior from its safetensors metadata, its context tables
        // as the layered config sets them, and the range decoder.
        let modelBytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: Self.contextModel)))
        let metadata = try Self.safetensorsMetadata(modelBytes)
        let config = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(try XCTUnwrap(metadata["vtok.config"]).utf8)) as? [String: Any])
        let contexts = try XCTUnwrap(config["detailPriorContexts"] as? Int), window = try XCTUnwrap(config["detailPriorWindow"] as? Int)
        XCTAssertGreaterThan(contexts, 1, "the model codes its detail tokens under context tables")
        let prior = try ChannelRunPrior(stored: StaticTokenPrior(serialized: try XCTUnwrap(metadata["vtok.prior"])),
                                        headPositions: 1536, blockPixels: 32, contexts: contexts, contextWindow: window)
        let reading = try VTokFile.read(try [UInt8](Data(contentsOf: URL(fileURLWithPath: file))),
                                        model: ModelCoding(id: ModelID(weightsFile: modelBytes), prior: prior))
        XCTAssertTrue(reading.warnings.isEmpty)
        XCTAssertEqual(reading.file.tokens, [cliTokens])
    }

    /// The string metadata of a safetensors file: an 8-byte little-endian header length, then a JSON
    /// header whose `__metadata__` object holds it.
    static func safetensorsMetadata(_ bytes: [UInt8]) throws -> [String: String] {
        let length = bytes.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        let header = try JSONSerialization.jsonObject(with: Data(bytes[8..<8 + length])) as? [String: Any]
        return try XCTUnwrap(header?["__metadata__"] as? [String: String])
    }
}
