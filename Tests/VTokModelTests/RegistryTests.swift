import VTokNN
import XCTest
@testable import VTokModel

final class RegistryTests: XCTestCase {
    func testModelFilesNameTheirArchitectureAndLoadThroughTheRegistry() throws {
        let tokenizer = try TransformerTokenizer(config: tinyConfig())
        let file = try WeightsFile(bytes: try tokenizer.weightsFile().serialized(as: .float32))
        XCTAssertEqual(file.metadata[TokenizerRegistry.architectureKey], "transformer")
        let loaded = try TokenizerRegistry.tokenizer(weights: file)
        XCTAssertTrue(loaded is TransformerTokenizer)
        let images = randomImages(batch: 1, resolution: 16, seed: 3)
        XCTAssertEqual(loaded.tokens(images: images), tokenizer.tokens(images: images))
    }

    func testFilesWrittenBeforeTheRegistryAreTransformers() throws {
        var file = try TransformerTokenizer(config: tinyConfig()).weightsFile()
        file.metadata[TokenizerRegistry.architectureKey] = nil
        XCTAssertTrue(try TokenizerRegistry.tokenizer(weights: file) is TransformerTokenizer)
    }

    func testAnUnknownArchitectureIsRefusedNamingTheKnownOnes() throws {
        var file = try TransformerTokenizer(config: tinyConfig()).weightsFile()
        file.metadata[TokenizerRegistry.architectureKey] = "diffusion"
        XCTAssertThrowsError(try TokenizerRegistry.tokenizer(weights: file)) { error in
            XCTAssertTrue("\(error)".contains("diffusion") && "\(error)".contains("transformer"), "\(error)")
        }
    }

    func testModelConfigJSONCarriesTheArchitecture() throws {
        let config = ModelConfig(tinyConfig())
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = String(decoding: try encoder.encode(config), as: UTF8.self)
        XCTAssertTrue(json.contains("\"architecture\":\"transformer\""), json)
        XCTAssertEqual(try JSONDecoder().decode(ModelConfig.self, from: Data(json.utf8)), config)
        // Training configs from before the registry have no architecture field.
        let old = json.replacingOccurrences(of: "\"architecture\":\"transformer\",", with: "")
        XCTAssertFalse(old.contains("architecture"), old)
        XCTAssertEqual(try JSONDecoder().decode(ModelConfig.self, from: Data(old.utf8)), config)
    }
}
