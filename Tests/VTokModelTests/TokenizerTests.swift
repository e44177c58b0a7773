import Foundation
import VTokContainer
import VTokImage
import VTokNN
import VTokTestModels
import XCTest
@testable import VTokModel

/// The tiny transformer with two encoder layers and 2×3-bit tokens, K = 8.
func tinyConfig(linearPathTokens: Int = 4) -> TransformerConfig {
    TinyModels.transformer(bitsPerGroup: 3, encoderLayers: 2, mlpRatio: 2, linearPathTokens: linearPathTokens)
}

func randomImages(batch: Int, resolution: Int, seed: UInt64) -> Tensor {
    var rng = SeededRandom(seed: seed)
    return Tensor(shape: [batch, 3, resolution, resolution], values: (0..<batch * 3 * resolution * resolution).map { _ in rng.uniform() })
}

final class TokenizerTests: XCTestCase {
    /// What the API's first example does: a library user gets the shipped model with no path.
    func testTheDefaultModelLoadsThroughTheLibrary() throws {
        let codec = try VTokCodec.defaultModel()
        let shipped = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources/VTokModel/Resources/default-model.safetensors")
        let bytes = [UInt8](try Data(contentsOf: shipped))
        XCTAssertEqual(codec.modelID, ModelID(weightsFile: bytes), "found a model other than the repository's")
        XCTAssertEqual(codec.shape.resolution, 256)
    }

    /// A missing model says what to do and where it looked; the CLI puts its own flag in front.
    func testAMissingModelNamesWhereItLooked() {
        let message = ModelNotFound(candidates: ["/a/default-model.safetensors", "/b/default-model.safetensors"]).description
        XCTAssertEqual(message, """
            no default model found (set VTOK_MODEL to a weights file). Looked in:
              /a/default-model.safetensors
              /b/default-model.safetensors
            """)
    }

    func testRegistersAreCausal() throws {
        let tokenizer = try TransformerTokenizer(config: tinyConfig())
        let images = randomImages(batch: 2, resolution: 16, seed: 3)
        let all = tokenizer.latents(images: images).values
        let K = tokenizer.config.maxTokens, bits = all.count / (2 * K)  // latents per token
        for registers in [1, 2, 3] {
            let k = registers * tokenizer.config.tokensPerRegister
            let prefix = tokenizer.latents(images: images, registers: registers).values
            for b in 0..<2 {
                for i in 0..<k * bits {
                    XCTAssertEqual(prefix[b * k * bits + i], all[b * K * bits + i], accuracy: 1e-5, "k=\(k) b=\(b) i=\(i)")
                }
            }
        }
    }

    func testDecodingUsesOnlyTheKeptTokens() throws {
        let tokenizer = try TransformerTokenizer(config: tinyConfig())
        let tokens = tokenizer.tokens(images: randomImages(batch: 1, resolution: 16, seed: 4))[0]
        var altered = tokens
        for i in 3..<altered.count { altered[i] ^= 0b101 }
        let original = tokenizer.images(tokens: [Array(tokens.prefix(3))])
        let withOtherTail = tokenizer.images(tokens: [Array(altered.prefix(3))])
        XCTAssertEqual(original, withOtherTail)
        // And the tokens do matter: a different head gives a different image.
        XCTAssertNotEqual(original, tokenizer.images(tokens: [Array(altered.prefix(4))]))
    }

    func testTrainingStepLowersTheLossOnAFixedBatch() throws {
        let tokenizer = try TransformerTokenizer(config: tinyConfig())
        let images = randomImages(batch: 4, resolution: 16, seed: 5)
        let optimizer = AdamW(parameters: tokenizer.parameters)
        var first: Float = 0, last: Float = 0
        for step in 0..<40 {
            tokenizer.parameters.forEach { $0.zeroGrad() }
            let losses = tokenizer.trainingStep(images: images, keptLengths: [8, 8, 8, 8])
            if step == 0 { first = losses.reconstruction }
            last = losses.reconstruction
            optimizer.update(learningRate: 3e-3)
        }
        XCTAssertLessThan(last, first * 0.7, "reconstruction MSE \(first) → \(last)")
    }

    func testWeightsFileRoundTripGivesTheSameModel() throws {
        let tokenizer = try TransformerTokenizer(config: tinyConfig())
        let bytes = try tokenizer.weightsFile().serialized(as: .float32)
        let loaded = try TransformerTokenizer(weights: try WeightsFile(bytes: bytes))
        XCTAssertEqual(loaded.config, tokenizer.config)
        let images = randomImages(batch: 1, resolution: 16, seed: 6)
        XCTAssertEqual(loaded.tokens(images: images), tokenizer.tokens(images: images))
    }

    func testAFileFromBeforeSpectralMixingLoadsWithoutIt() throws {
        var config = tinyConfig()
        config.spectralMixing = false
        let tokenizer = try TransformerTokenizer(config: config)
        var file = tokenizer.weightsFile()
        let json = try XCTUnwrap(file.metadata[TokenizerRegistry.configKey])
        XCTAssertTrue(json.contains("\"spectralMixing\":false"), json)
        file.metadata[TokenizerRegistry.configKey] = json.replacingOccurrences(of: "\"spectralMixing\":false,", with: "")
        let loaded = try TransformerTokenizer(weights: file)
        XCTAssertFalse(loaded.config.spectralMixing)
        let images = randomImages(batch: 1, resolution: 16, seed: 8)
        XCTAssertEqual(loaded.tokens(images: images), tokenizer.tokens(images: images))
        // Today's models have the two mixing matrices, register count × patch count and back.
        let mixing = try TransformerTokenizer(config: tinyConfig()).parameters.filter { $0.name.hasSuffix("_mixing") }
        XCTAssertEqual(mixing.map(\.name), ["encoder.register_mixing", "decoder.query_mixing"])
        XCTAssertEqual(mixing.map(\.shape), [[4, 16], [16, 4]])
    }

    func testAnUntrainedRefinementHeadChangesNothing() throws {
        var plain = tinyConfig()
        plain.refinementChannels = 0
        var refined = tinyConfig()
        refined.refinementChannels = 3
        let without = try TransformerTokenizer(config: plain), with = try TransformerTokenizer(config: refined)
        // The head's layers come last, so the same seed gives every other layer the same weights.
        XCTAssertEqual(Array(with.parameters.prefix(without.parameters.count)).map(\.value), without.parameters.map(\.value))
        XCTAssertEqual(with.parameters.dropFirst(without.parameters.count).map(\.name),
                       ["decoder.to_features.weight", "decoder.to_features.bias",
                        "decoder.refinement.conv1.weight", "decoder.refinement.conv1.bias",
                        "decoder.refinement.conv2.weight", "decoder.refinement.conv2.bias"])
        let images = randomImages(batch: 2, resolution: 16, seed: 10)
        let tokens = without.tokens(images: images)
        XCTAssertEqual(with.tokens(images: images), tokens)
        XCTAssertEqual(with.images(tokens: tokens.map { Array($0.prefix(5)) }), without.images(tokens: tokens.map { Array($0.prefix(5)) }))
    }

    func testAFileFromBeforeTheRefinementHeadLoadsWithoutIt() throws {
        var config = tinyConfig()
        config.refinementChannels = 0
        let tokenizer = try TransformerTokenizer(config: config)
        var file = tokenizer.weightsFile()
        let json = try XCTUnwrap(file.metadata[TokenizerRegistry.configKey])
        file.metadata[TokenizerRegistry.configKey] = json.replacingOccurrences(of: "\"refinementChannels\":0,", with: "")
            .replacingOccurrences(of: "\"refinementHiddenChannels\":32,", with: "")
        XCTAssertFalse(try XCTUnwrap(file.metadata[TokenizerRegistry.configKey]).contains("refinement"))
        let loaded = try TransformerTokenizer(weights: file)
        XCTAssertEqual(loaded.config.refinementChannels, 0)
        let images = randomImages(batch: 1, resolution: 16, seed: 11)
        let tokens = tokenizer.tokens(images: images)
        XCTAssertEqual(loaded.tokens(images: images), tokens)
        XCTAssertEqual(loaded.images(tokens: tokens), tokenizer.images(tokens: tokens))
    }

    func testAWeightsFileWithoutConfigIsRefused() throws {
        var file = WeightsFile()
        file.add(try TransformerTokenizer(config: tinyConfig()).parameters)
        XCTAssertThrowsError(try TransformerTokenizer(weights: file)) { error in
            XCTAssertTrue("\(error)".contains("vtok.config"), "\(error)")
        }
    }

    func testInvalidConfigsNameTheField() {
        var config = tinyConfig()
        config.patchSize = 5
        XCTAssertThrowsError(try TransformerTokenizer(config: config)) { XCTAssertTrue("\($0)".contains("patchSize"), "\($0)") }
        config = tinyConfig()
        config.bitsPerGroup = 20
        XCTAssertThrowsError(try TransformerTokenizer(config: config)) { XCTAssertTrue("\($0)".contains("bitsPerGroup"), "\($0)") }
    }
}

final class GroupedLFQTests: XCTestCase {
    /// Token ids are the sign bits, group 0 and each group's first bit most significant.
    func testTokenIDsAndSignsRoundTrip() {
        let signs: [Float] = [1, -1, 1, 1, -1, -1, -1, 1, 1, 1, 1, 1]  // 2 rows of 6 bits
        let ids = signs.withUnsafeBufferPointer { GroupedLFQ.tokenIDs(signs: $0.baseAddress!, rows: 2, bitsPerToken: 6) }
        XCTAssertEqual(ids, [0b101100, 0b011111])
        var back = [Float](repeating: 0, count: 12)
        back.withUnsafeMutableBufferPointer { GroupedLFQ.signs(of: ids, bitsPerToken: 6, into: $0.baseAddress!) }
        XCTAssertEqual(back, signs)
        XCTAssertEqual(TokenLayout(groups: 2, bitsPerGroup: 3).groupIndices(of: ids[0]), [0b101, 0b100])
    }

    /// Finite differences of w_e·entropy + w_c·commitment against the analytic gradient (with a zero
    /// straight-through gradient). Latents stay at least 0.1 away from 0, where the sign flips and
    /// the commitment loss has its kink. Central differences with h = 1e-3 in Float on losses of
    /// order 1 leave an error around 1e-4; 2e-3 leaves room without hiding a wrong term (dropping
    /// either entropy half moves elements by 1e-2 or more).
    func testAuxiliaryLossGradients() {
        let quantizer = GroupedLFQ(groups: 2, bitsPerGroup: 3, temperature: 0.7)
        var rng = SeededRandom(seed: 9)
        let values = (0..<5 * 6).map { _ -> Float in
            let v = rng.normal()
            return v >= 0 ? v + 0.1 : v - 0.1
        }
        let z = Tensor(shape: [5, 6], values: values)
        let (we, wc): (Float, Float) = (0.8, 0.3)
        _ = quantizer.forward(z)
        let analytic = quantizer.backward(Tensor(shape: [5, 6]), entropyWeight: we, commitmentWeight: wc).values
        assertMatchesFiniteDifferences(analytic, at: z) { z in
            _ = quantizer.forward(z)
            return Double(we * quantizer.entropyLoss + wc * quantizer.commitmentLoss)
        }
    }

    /// Confident, evenly used codes: low row entropy, code entropy near log(2^b).
    func testEntropyTermsOnClearCases() {
        let quantizer = GroupedLFQ(groups: 1, bitsPerGroup: 2, temperature: 0.1)
        let corners: [Float] = [1, 1, 1, -1, -1, 1, -1, -1]
        _ = quantizer.forward(Tensor(shape: [4, 2], values: corners))
        XCTAssertLessThan(quantizer.rowEntropy, 1e-3)
        XCTAssertEqual(quantizer.codeEntropy, log(4), accuracy: 1e-3)
        _ = quantizer.forward(Tensor(shape: [4, 2], values: [1, 1, 1, 1, 1, 1, 1, 1]))
        XCTAssertLessThan(quantizer.codeEntropy, 1e-3)
    }
}

final class SequenceLayerTests: XCTestCase {
    /// Finite differences of L = Σ w·layer(x) against backward(w), for the model's own layers. Both
    /// are linear, so central differences are exact up to rounding: 1e-3 is generous.
    private func checkGradient(_ layer: Layer, input: Tensor, file: StaticString = #filePath, line: UInt = #line) {
        var rng = SeededRandom(seed: 11)
        let output = layer.forward(input)
        let weights = Tensor(shape: output.shape, values: (0..<output.count).map { _ in rng.normal() })
        let analytic = layer.backward(weights).values
        func loss() -> Double {
            let y = layer.forward(input)
            return (0..<y.count).reduce(0.0) { $0 + Double(y[$1]) * Double(weights[$1]) }
        }
        let h: Float = 1e-2
        for i in 0..<input.count {
            let saved = input[i]
            input[i] = saved + h
            let plus = loss()
            input[i] = saved - h
            let minus = loss()
            input[i] = saved
            XCTAssertEqual(Double(analytic[i]), (plus - minus) / Double(2 * h), accuracy: 1e-3, "element \(i)", file: file, line: line)
        }
    }

    func testDropTokensGradient() {
        let layer = DropTokens()
        layer.keptLengths = [2, 0, 3]
        var rng = SeededRandom(seed: 12)
        checkGradient(layer, input: Tensor(shape: [3, 3, 4], values: (0..<36).map { _ in rng.normal() }))
        let output = layer.forward(Tensor(shape: [3, 3, 4], values: [Float](repeating: 1, count: 36))).values
        XCTAssertEqual(output.reduce(0, +), Float((2 + 0 + 3) * 4), "kept rows survive, dropped rows are zero")
    }

    func testRegroupGradient() {
        var rng = SeededRandom(seed: 13)
        checkGradient(Regroup(rowsPerSample: 2, rowWidth: 6), input: Tensor(shape: [2, 4, 3], values: (0..<24).map { _ in rng.normal() }))
    }
}
