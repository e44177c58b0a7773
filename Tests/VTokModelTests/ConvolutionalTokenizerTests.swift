import VTokContainer
import VTokImage
import VTokNN
import XCTest
@testable import VTokModel

/// 16×16 working resolution, two stages to a 4×4×4 latent grid: 4 blocks a channel, 16 tokens.
func tinyConvolutionalConfig() -> ConvolutionalConfig {
    var config = ConvolutionalConfig()
    config.resolution = 32
    config.workingResolution = 16
    config.stages = 2
    config.kernelSize = 3
    config.channels = 6
    config.latentChannels = 4
    config.rateWeight = 0.1
    return config
}

final class ConvolutionalTokenizerTests: XCTestCase {
    func testShapeTokensAndOutputSize() throws {
        let tokenizer = try ConvolutionalTokenizer(config: tinyConvolutionalConfig())
        XCTAssertEqual(tokenizer.shape, TokenizerShape(resolution: 32, workingResolution: 16, maxTokens: 16, groups: 4, bitsPerGroup: 3))
        let tokens = tokenizer.tokens(images: randomImages(batch: 3, resolution: 16, seed: 1))
        XCTAssertEqual(tokens.map(\.count), [16, 16, 16])
        XCTAssertTrue(tokens.joined().allSatisfy { $0 < 1 << 12 })
        XCTAssertEqual(tokenizer.images(tokens: tokens).count, 3 * 3 * 16 * 16)
    }

    /// Ids → latent grid → ids is the identity: every token and group has its own latent value.
    func testTokensMapOneToOneOntoTheLatentGrid() throws {
        let config = tinyConvolutionalConfig()
        var rng = SeededRandom(seed: 4)
        let ids = (0..<config.maxTokens).map { _ in UInt32(rng.int(in: 0...4095)) }
        // Decoding writes each id's groups into the grid; a tokenizer whose analysis were the
        // identity would read them back: check through the mapping the two share.
        let tokenizer = try ConvolutionalTokenizer(config: config)
        let layout = config.shape.layout
        var seen = Set<Int>()
        for token in 0..<config.maxTokens {
            for group in 0..<config.groups { seen.insert(tokenizer.latentIndex(token: token, group: group)) }
        }
        XCTAssertEqual(seen.count, config.maxTokens * config.groups)
        XCTAssertEqual(seen, Set(0..<config.latentChannels * config.latentSide * config.latentSide))
        for id in ids { XCTAssertEqual(layout.tokenID(groupIndices: layout.groupIndices(of: id)), id) }
        // Channel-major order: the first blocksPerChannel tokens are all of channel 0.
        let side = config.latentSide
        XCTAssertTrue((0..<config.blocksPerChannel).allSatisfy { tokenizer.latentIndex(token: $0, group: 0) < side * side })
    }

    /// A prefix decodes exactly as the whole sequence with every later token's values at 0: the
    /// decoder never sees what was cut.
    func testAPrefixDecodesAsTheSequenceWithLaterValuesZero() throws {
        let tokenizer = try ConvolutionalTokenizer(config: tinyConvolutionalConfig())
        let ids = tokenizer.tokens(images: randomImages(batch: 1, resolution: 16, seed: 2))[0]
        let zero = tokenizer.shape.layout.tokenID(groupIndices: [4, 4, 4, 4])  // symbol L/2 is the value 0
        for k in [0, 1, 5, 16] {
            let cut = tokenizer.images(tokens: [Array(ids.prefix(k))])
            let padded = tokenizer.images(tokens: [Array(ids.prefix(k)) + Array(repeating: zero, count: 16 - k)])
            XCTAssertEqual(cut.map(\.bitPattern), padded.map(\.bitPattern), "k = \(k)")
        }
        XCTAssertNotEqual(tokenizer.images(tokens: [Array(ids.prefix(4))]), tokenizer.images(tokens: [ids]))
    }

    func testTrainingLowersDistortionAndRate() throws {
        let tokenizer = try ConvolutionalTokenizer(config: tinyConvolutionalConfig())
        let optimizer = AdamW(parameters: tokenizer.parameters, config: AdamW.Config(weightDecay: 0))
        let images = randomSmoothImages(batch: 4)
        var first: TrainingLosses?, last: TrainingLosses?
        for _ in 0..<150 {
            tokenizer.parameters.forEach { $0.zeroGrad() }
            let losses = tokenizer.trainingStep(images: images, keptLengths: [16, 8, 4, 16])
            if first == nil { first = losses }
            last = losses
            optimizer.update(learningRate: 3e-3)
        }
        XCTAssertLessThan(last!.total, first!.total * 0.6, "loss \(first!.total) → \(last!.total)")
        XCTAssertLessThan(last!.reconstruction, first!.reconstruction, "MSE")
    }

    /// The learned prior is the container's table: valid, one per position, and its code lengths
    /// follow the channel's distribution.
    func testLearnedPriorIsAValidTablePerChannel() throws {
        let config = tinyConvolutionalConfig()
        let tokenizer = try ConvolutionalTokenizer(config: config)
        let logits = try XCTUnwrap(tokenizer.parameters.first { $0.name == "prior.logits" })
        for i in 0..<logits.count { logits.value[i] = Float(i % 8) * (0.5 + Float(i / 8) * 0.2) }
        let prior = try XCTUnwrap(tokenizer.learnedPrior())
        XCTAssertEqual(prior.positions, config.maxTokens)
        XCTAssertEqual(prior.layout, config.shape.layout)
        // Tokens 0 and 3 are both channel 0: the same tables; token 4 is channel 1.
        let table = { (position: Int, group: Int) in Array(prior.frequencies[(position * 4 + group) * 8..<(position * 4 + group + 1) * 8]) }
        XCTAssertEqual(table(0, 0), table(3, 2))
        XCTAssertNotEqual(table(0, 0), table(4, 0))
        XCTAssertGreaterThan(table(0, 0)[7], table(0, 0)[0])
        // A file coded under it round-trips.
        let ids = tokenizer.tokens(images: randomImages(batch: 1, resolution: 16, seed: 9))
        let file = VTokFile(width: 20, height: 30, tiles: .single, layout: config.shape.layout, modelID: ModelID(bytes: [1, 2, 3, 4])!, tokens: ids)
        let model = ModelCoding(id: file.modelID, prior: prior)
        let bytes = try file.serialized(format: .version2(.arithmetic), model: model)
        XCTAssertEqual(try VTokFile.read(bytes, model: model).file.tokens, ids)
    }

    func testWeightsRoundTripThroughTheRegistry() throws {
        let tokenizer = try ConvolutionalTokenizer(config: tinyConvolutionalConfig())
        let file = try WeightsFile(bytes: try tokenizer.weightsFile().serialized(as: .float32))
        XCTAssertEqual(file.metadata[TokenizerRegistry.architectureKey], "convolutional")
        XCTAssertNotNil(file.metadata[TokenizerRegistry.priorKey], "the learned prior travels with the model")
        let loaded = try TokenizerRegistry.tokenizer(weights: file)
        let images = randomImages(batch: 2, resolution: 16, seed: 5)
        XCTAssertEqual(loaded.tokens(images: images), tokenizer.tokens(images: images))
        XCTAssertThrowsError(try TransformerTokenizer(weights: file)) { XCTAssertTrue("\($0)".contains("convolutional"), "\($0)") }
    }

    func testInvalidConfigsNameTheField() {
        var config = tinyConvolutionalConfig()
        config.stages = 5
        XCTAssertThrowsError(try ConvolutionalTokenizer(config: config)) { XCTAssertTrue("\($0)".contains("stages"), "\($0)") }
        config = tinyConvolutionalConfig()
        config.blockSide = 3
        XCTAssertThrowsError(try ConvolutionalTokenizer(config: config)) { XCTAssertTrue("\($0)".contains("blockSide"), "\($0)") }
    }

    private func randomSmoothImages(batch: Int) -> Tensor {
        var rng = SeededRandom(seed: 11)
        let images = Tensor(shape: [batch, 3, 16, 16])
        for b in 0..<batch {
            for c in 0..<3 {
                let (a, fx, fy) = (rng.uniform(), rng.uniform() * 0.4, rng.uniform() * 0.4)
                for y in 0..<16 {
                    for x in 0..<16 { images[((b * 3 + c) * 16 + y) * 16 + x] = 0.5 + 0.4 * a * sin(fx * Float(x) + fy * Float(y)) }
                }
            }
        }
        return images
    }
}
