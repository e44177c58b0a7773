import Foundation
import XCTest
import VTokModel
@testable import VTokTraining

final class TrainingConfigTests: XCTestCase {
    func testPartialFileKeepsTheDefaults() throws {
        let config = try TrainingConfig.parse(json: Data(#"{"batchSize": 4, "model": {"width": 240}, "validationTokenCounts": [1, 2]}"#.utf8))
        var expected = TrainingConfig()
        expected.batchSize = 4
        expected.model.transformer.width = 240
        expected.validationTokenCounts = [1, 2]
        XCTAssertEqual(config, expected)
        XCTAssertEqual(try TrainingConfig.parse(json: Data("{}".utf8)), TrainingConfig())
    }

    /// Naming another architecture brings its own fields and defaults; the transformer's are then unknown.
    func testAnArchitectureBringsItsOwnFields() throws {
        let config = try TrainingConfig.parse(json: Data(#"{"model": {"architecture": "convolutional", "latentChannels": 32}, "validationTokenCounts": [16, 512]}"#.utf8))
        var expected = ConvolutionalConfig()
        expected.latentChannels = 32
        XCTAssertEqual(config.model, ModelConfig(expected))
        XCTAssertEqual(config.model.shape.maxTokens, 512)
        XCTAssertEqual(try TrainingConfig.parse(json: Data(config.jsonString().utf8)), config)
        XCTAssertTrue(try config.model.makeTokenizer() is ConvolutionalTokenizer)
        for (json, field) in [(#"{"model": {"architecture": "convolutional", "width": 64}}"#, "model.width"),
                              (#"{"model": {"architecture": "gan"}}"#, "gan")] {
            XCTAssertThrowsError(try TrainingConfig.parse(json: Data(json.utf8))) { XCTAssertTrue("\($0)".contains(field), "\($0)") }
        }
    }

    func testPrintedConfigParsesBack() throws {
        let config = Tiny.config
        XCTAssertEqual(try TrainingConfig.parse(json: Data(config.jsonString().utf8)), config)
        XCTAssertEqual(try TrainingConfig.parse(json: Data(TrainingConfig().jsonString().utf8)), TrainingConfig())
    }

    func testBadFilesAreRefusedNamingTheField() {
        func message(_ json: String) -> String {
            do {
                _ = try TrainingConfig.parse(json: Data(json.utf8))
                return "accepted"
            } catch {
                return error.description
            }
        }
        XCTAssert(message(#"{"batchSise": 4}"#).contains("unknown field batchSise"))
        XCTAssert(message(#"{"model": {"widht": 4}}"#).contains("unknown field model.widht"))
        XCTAssert(message(#"{"batchSize": "many"}"#).contains("batchSize"))
        XCTAssert(message(#"{"batchSize": 0}"#).contains("batchSize"))
        XCTAssert(message(#"{"validationTokenCounts": [512]}"#).contains("validationTokenCounts"))
        XCTAssert(message(#"{"model": {"patchSize": 7}}"#).contains("model"))
        XCTAssert(message("[1]").contains("object"))
        XCTAssert(message("{").contains("JSON"))
    }

    func testDifferingFieldsAreNamed() {
        var other = TrainingConfig()
        other.totalSteps = 5
        other.model.transformer.width = 64
        other.uniformLengthFraction = 0.25
        XCTAssertEqual(TrainingConfig().differingFields(from: other), ["model.width", "totalSteps", "uniformLengthFraction"])
        XCTAssertEqual(TrainingConfig().differingFields(from: TrainingConfig()), [])
    }

    func testDefaultsAreValid() throws {
        try TrainingConfig().validate()
        try Tiny.config.validate()
    }
}
