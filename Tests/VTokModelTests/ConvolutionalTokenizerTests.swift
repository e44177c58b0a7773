import VTokContainer
import VTokImage
import VTokNN
import VTokTestModels
import XCTest
@testable import VTokModel

func tinyConvolutionalConfig() -> ConvolutionalConfig { TinyModels.convolutional }

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

    /// With λ falling over the positions, the loss charges each kept token λ_t/λ of its bits: less
    /// than the flat λ, nearly the same when the half-length is far past K.
    func testARateWeightFallingWithThePosition() throws {
        let images = randomImages(batch: 2, resolution: 16, seed: 12)
        func rateTerm(halfTokens: Float) throws -> (term: Float, bits: Float) {
            var config = tinyConvolutionalConfig()
            config.rateWeightHalfTokens = halfTokens
            let losses = try ConvolutionalTokenizer(config: config).trainingStep(images: images, keptLengths: [16, 16])
            return (losses.total - losses.reconstruction, losses.terms.first { $0.name == "bits" }!.value)
        }
        let flat = try rateTerm(halfTokens: 0), far = try rateTerm(halfTokens: 1e7), steep = try rateTerm(halfTokens: 2)
        let scale = Float(0.1) / (255 * 255)
        XCTAssertEqual(flat.term, scale * flat.bits, accuracy: 1e-7)
        XCTAssertEqual(far.term, flat.term, accuracy: flat.term * 1e-4)
        XCTAssertEqual(steep.bits, flat.bits, "the logged bits are the real ones")
        // Token t costs 2/(2 + t) of its bits: over 16 tokens of about equal cost, about 0.3 of them.
        XCTAssertLessThan(steep.term, 0.5 * flat.term)
        XCTAssertGreaterThan(steep.term, 0.1 * flat.term)
        var squared = tinyConvolutionalConfig()
        squared.rateWeightHalfTokens = 2
        squared.rateWeightFallExponent = 2
        XCTAssertEqual(squared.relativeRateWeight(token: 2), 0.25)
        XCTAssertEqual(squared.relativeRateWeight(token: 0), 1)
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
        // A file written before a field existed loads with the field's default.
        var older = file
        older.metadata[TokenizerRegistry.configKey] = try XCTUnwrap(file.metadata[TokenizerRegistry.configKey])
            .replacingOccurrences(of: "\"rateWeightFallExponent\":1,", with: "")
        XCTAssertFalse(older.metadata[TokenizerRegistry.configKey]!.contains("rateWeightFallExponent"))
        XCTAssertEqual(try TokenizerRegistry.tokenizer(weights: older).config as? ConvolutionalConfig, tinyConvolutionalConfig())
    }

    /// A tile read with `tileContext` pixels around it gets the tokens the whole image's latent
    /// grid has there: the centre tile of a 3×3 mosaic, from the whole mosaic and from its window.
    func testTileContextGivesTheWholeImagesTokens() throws {
        let tokenizer = try ConvolutionalTokenizer(config: tinyConvolutionalConfig())
        let r = 16, c = tokenizer.tileContext
        XCTAssertEqual(c, 4, "a 3x3 kernel over 2 stages reaches 3 working pixels: one latent pixel of 4")
        let whole = randomImages(batch: 1, resolution: 3 * r, seed: 21)
        let window = Tensor(shape: [1, 3, r + 2 * c, r + 2 * c])
        for channel in 0..<3 {
            for y in 0..<r + 2 * c {
                for x in 0..<r + 2 * c {
                    window[(channel * (r + 2 * c) + y) * (r + 2 * c) + x] = whole[(channel * 3 * r + r - c + y) * 3 * r + r - c + x]
                }
            }
        }
        XCTAssertEqual(tokenizer.tokens(images: window), tokenizer.tokens(images: whole))
    }

    /// Decoding a grid of tiles, each from a window of its neighbours' latents, gives the tiles of
    /// one decode of the whole grid: the same weights in a tokenizer twice as wide decode a 2×2
    /// grid at once.
    func testATileGridDecodesAsOneImage() throws {
        for kernelSize in [3, 5] {
            var config = tinyConvolutionalConfig()
            config.kernelSize = kernelSize
            try assertATileGridDecodesAsOneImage(config)
        }
    }

    private func assertATileGridDecodesAsOneImage(_ config: ConvolutionalConfig) throws {
        let small = try ConvolutionalTokenizer(config: config)
        // Random biases, which a window's maps would carry past the image's outer edge.
        var rng = SeededRandom(seed: 5)
        for parameter in small.parameters where parameter.name.hasSuffix(".bias") {
            parameter.value = parameter.value.map { _ in rng.normal() * 0.3 }
        }
        var wide = config
        wide.resolution = 64
        wide.workingResolution = 32
        let large = try ConvolutionalTokenizer(config: wide)
        for (a, b) in zip(large.parameters, small.parameters) { a.value = b.value }
        let tiles = small.tokens(images: randomImages(batch: 4, resolution: 16, seed: 22)).enumerated().map { Array($1.prefix(6 + 3 * $0)) }
        // The same latent values on the wide tokenizer's 8×8 grid, in its token order.
        let layout = small.shape.layout, side = 4
        var symbols = [Int](repeating: 4, count: 4 * 8 * 8)  // symbol 4 is the value 0
        for (tile, ids) in tiles.enumerated() {
            for (token, id) in ids.enumerated() {
                for (group, symbol) in layout.groupIndices(of: id).enumerated() {
                    let index = small.latentIndex(token: token, group: group)
                    let channel = index / (side * side), y = index / side % side + tile / 2 * side, x = index % side + tile % 2 * side
                    symbols[(channel * 8 + y) * 8 + x] = symbol
                }
            }
        }
        let wideIDs = (0..<wide.maxTokens).map { token in
            layout.tokenID(groupIndices: (0..<4).map { symbols[large.latentIndex(token: token, group: $0)] })
        }
        let mosaic = large.images(tokens: [wideIDs])
        let decoded = small.images(tileGrid: tiles, columns: 2, range: 0..<4)
        var worst: Float = 0
        for tile in 0..<4 {
            for channel in 0..<3 {
                for y in 0..<16 {
                    for x in 0..<16 {
                        let expected = mosaic[(channel * 32 + y + tile / 2 * 16) * 32 + x + tile % 2 * 16]
                        worst = max(worst, abs(decoded[((tile * 3 + channel) * 16 + y) * 16 + x] - expected))
                    }
                }
            }
        }
        XCTAssertLessThan(worst, 1e-5)
        // Decoding a range gives the same tiles as the whole grid.
        let alone = small.images(tileGrid: tiles, columns: 2, range: 3..<4)
        XCTAssertLessThan(zip(alone, decoded[3 * 768..<4 * 768]).map { abs($0 - $1) }.max()!, 1e-5)
    }

    /// Through the codec: files of odd sizes, tiled and not, decode to their size, coded under the
    /// learned prior, and a cut file decodes its prefix.
    func testTheCodecKeepsSizesTiledAndNot() throws {
        let bytes = try ConvolutionalTokenizer(config: tinyConvolutionalConfig()).weightsFile().serialized(as: .float32)
        let codec = try VTokCodec(weightsFileBytes: bytes)
        XCTAssertNotNil(codec.prior)
        var rng = SeededRandom(seed: 8)
        let image = RGBImage(width: 75, height: 41, pixels: (0..<75 * 41 * 3).map { _ in UInt8(rng.int(in: 0...255)) })
        for tiled in [false, true] {
            let file = codec.encode(image, tiled: tiled)
            XCTAssertEqual(file.tokens.count, tiled ? 3 * 2 : 1)
            let decoded = try codec.decode(try codec.read(try codec.fileBytes(file.truncated(toTokens: 9))).file)
            XCTAssertEqual([decoded.width, decoded.height], [75, 41])
        }
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
