import Foundation
import VTokContainer
import VTokImage
import VTokNN
import VTokTestModels
import XCTest
@testable import VTokModel

func tinyLayeredConfig() -> LayeredConfig { TinyModels.layered }

func randomRGBImage(width: Int, height: Int, seed: UInt64) -> RGBImage {
    var rng = SeededRandom(seed: seed)
    // Smooth content plus noise, so that the base and the residual both carry something.
    let pixels = (0..<width * height * 3).map { i -> UInt8 in
        let x = (i / 3) % width, y = (i / 3) / width
        let smooth = 128 + 60 * sin(Double(x) / 5 + Double(i % 3)) * cos(Double(y) / 7)
        return UInt8(min(max(smooth + Double(rng.int(in: -20...20)), 0), 255))
    }
    return RGBImage(width: width, height: height, pixels: pixels)
}

final class LayeredTokenizerTests: XCTestCase {
    /// The token count grows with the image: all the base's, then every detail channel's blocks.
    func testTokenCountFollowsTheImageSize() throws {
        let tokenizer = try LayeredTokenizer(config: tinyLayeredConfig())
        XCTAssertEqual(tokenizer.config.detailBlockPixels, 8)
        XCTAssertEqual(tokenizer.tokenCount(width: 20, height: 13), 16 + 4 * 3 * 2)
        XCTAssertEqual(tokenizer.tokenCount(width: 32, height: 32), tokenizer.shape.maxTokens)
        for (width, height) in [(20, 13), (8, 8), (1, 1), (37, 9)] {
            let ids = tokenizer.tokens(of: randomRGBImage(width: width, height: height, seed: 1))
            XCTAssertEqual(ids.count, tokenizer.tokenCount(width: width, height: height), "\(width)x\(height)")
            XCTAssertTrue(ids.allSatisfy { $0 < 1 << 12 })
        }
    }

    /// A prefix within the base decodes as the base alone; the base's tokens are the convolutional
    /// model's own for the same image (the first tokens describe the whole image, at any size).
    /// Large images are analysed and synthesised in windows with their context: as one pass.
    func testWindowedAnalysisAndSynthesisJoinAsOnePass() throws {
        let tokenizer = try LayeredTokenizer(config: tinyLayeredConfig())
        let detail = tokenizer.detail, width = 72, height = 40
        var rng = SeededRandom(seed: 9)
        let ids = (0..<detail.tokenCount(width: width, height: height)).map { _ in UInt32(rng.int(in: 0...4095)) }
        // One pass returns the synthesis' own buffer, which the next pass reuses: copy it.
        let onePass = detail.centredPlanes(tokens: ids, paddedWidth: width, paddedHeight: height, windowSide: 80)
        let shape = onePass.shape, whole = onePass.values
        for side in [8, 16, 24] {
            let windowed = detail.centredPlanes(tokens: ids, paddedWidth: width, paddedHeight: height, windowSide: side)
            XCTAssertEqual(windowed.shape, shape)
            let difference = (0..<whole.count).map { abs(whole[$0] - windowed[$0]) }.max()!
            XCTAssertLessThan(difference, 1e-4, "windows of \(side) px")
        }
        // And analysed in windows: the same tokens but for a value within rounding of a level's edge.
        let planes = Tensor(shape: [1, 3, height, width], values: (0..<3 * width * height).map { i in
            Float(0.5 + 0.4 * sin(Double(i % width) / 3) * cos(Double(i / width % height) / 4))
        })
        let oneByOne = detail.tokens(paddedPlanes: planes, windowSide: 80)
        for side in [8, 16, 24] {
            let windowed = detail.tokens(paddedPlanes: planes, windowSide: side)
            XCTAssertEqual(windowed.count, oneByOne.count)
            XCTAssertGreaterThanOrEqual(Double(zip(windowed, oneByOne).filter { $0 == $1 }.count) / Double(windowed.count), 0.99)
        }
    }

    func testTheBaseLayerComesFirstAndDecodesAlone() throws {
        let tokenizer = try LayeredTokenizer(config: tinyLayeredConfig())
        let image = randomRGBImage(width: 40, height: 24, seed: 2)
        let ids = tokenizer.tokens(of: image)
        let baseIDs = tokenizer.base.tokens(images: TokenizerInput(shape: tokenizer.config.base.shape).batch([image]))[0]
        XCTAssertEqual(Array(ids.prefix(16)), baseIDs)
        for k in [0, 1, 9, 16] {
            XCTAssertTrue(tokenizer.image(tokens: Array(ids.prefix(k)), width: 40, height: 24).pixels
                          == tokenizer.baseImage(tokens: Array(ids.prefix(k)), width: 40, height: 24).pixels, "k = \(k)")
        }
        // Past the base, the detail changes the picture (convolutions scaled up: the untrained tiny
        // transforms give latents that all round to 0).
        for parameter in tokenizer.detail.parameters where parameter.name.contains("conv") { parameter.value = parameter.value.map { $0 * 8 } }
        let withDetail = tokenizer.image(tokens: tokenizer.tokens(of: image), width: 40, height: 24)
        XCTAssertTrue(withDetail.pixels != tokenizer.baseImage(tokens: Array(ids.prefix(16)), width: 40, height: 24).pixels)
    }

    /// Detail tokens run channel by channel, each channel over the whole image: cutting inside the
    /// first detail channel leaves the later blocks at the base's picture (plus the synthesis' bias),
    /// and a token changes only pixels near its block.
    func testADetailTokenCodesItsOwnBlock() throws {
        let tokenizer = try LayeredTokenizer(config: tinyLayeredConfig())
        let image = randomRGBImage(width: 64, height: 16, seed: 3)
        let ids = tokenizer.tokens(of: image)
        // 8 blocks of 8×8 in the first channel: one row of 8. Cut after the first detail token.
        let one = tokenizer.image(tokens: Array(ids.prefix(17)), width: 64, height: 16)
        var changed = ids.prefix(17).map { $0 }
        changed[16] ^= 0xFFF
        let other = tokenizer.image(tokens: changed, width: 64, height: 16)
        var differing = Set<Int>()
        for y in 0..<16 {
            for x in 0..<64 where one.pixels[(y * 64 + x) * 3..<(y * 64 + x) * 3 + 3] != other.pixels[(y * 64 + x) * 3..<(y * 64 + x) * 3 + 3] {
                differing.insert(x)
            }
        }
        XCTAssertFalse(differing.isEmpty)
        // The synthesis' reach (two 3×3 transposed convolutions) around the 8 px block.
        XCTAssertLessThan(differing.max()!, 8 + 8)
    }

    /// Through the codec and the container: a model file of the layered model, files of an image
    /// that is not square and not a multiple of the block, read back whole and cut at every byte.
    func testFilesRoundTripAndEveryCutDecodesToAPrefix() throws {
        let tokenizer = try LayeredTokenizer(config: tinyLayeredConfig())
        let codec = try VTokCodec(weightsFileBytes: try tokenizer.weightsFile().serialized(as: .float32))
        XCTAssertNotNil(codec.fullResolution)
        XCTAssertTrue(codec.codingPrior is ChannelRunPrior)
        try assertFilesRoundTripAndCut(codec: codec, tokenizer: tokenizer, image: randomRGBImage(width: 30, height: 19, seed: 4))
    }

    private func assertFilesRoundTripAndCut(codec: VTokCodec, tokenizer: LayeredTokenizer, image: RGBImage) throws {
        let (width, height) = (image.width, image.height)
        let file = codec.encode(image)
        XCTAssertEqual(file.tokenCount, codec.tokenCount(width: width, height: height))
        let bytes = try codec.fileBytes(file)
        let reading = try codec.read(bytes)
        XCTAssertEqual(reading.file, file)
        XCTAssertTrue(reading.warnings.isEmpty)
        XCTAssertTrue(try codec.decode(reading.file).pixels == tokenizer.image(tokens: file.tokens[0], width: width, height: height).pixels)
        let sizes = try codec.fileSizes(file)
        XCTAssertEqual(sizes.last, bytes.count)
        for k in [0, 1, 16, 17, file.tokenCount] {
            XCTAssertEqual(try codec.fileBytes(file.truncated(toTokens: k)).count, sizes[k], "k = \(k)")
        }
        var decodedCounts: [Int] = []
        for n in 0...bytes.count {
            guard let cut = try? codec.read(Array(bytes.prefix(n))) else { continue }
            let tokens = cut.file.tokens[0]
            XCTAssertEqual(tokens, Array(file.tokens[0].prefix(tokens.count)), "cut at \(n)")
            _ = try codec.decode(cut.file)
            decodedCounts.append(tokens.count)
        }
        XCTAssertEqual(decodedCounts, decodedCounts.sorted())
        XCTAssertEqual(decodedCounts.last, file.tokenCount)
    }

    /// `vtok prior` on a layered model: the base's tables stay, the detail channels' are counted.
    func testCountedDetailPriorKeepsTheBaseTables() throws {
        let tokenizer = try LayeredTokenizer(config: tinyLayeredConfig())
        for parameter in tokenizer.detail.parameters where parameter.name.contains("conv") { parameter.value = parameter.value.map { $0 * 8 } }
        let codec = try VTokCodec(weightsFileBytes: try tokenizer.weightsFile().serialized(as: .float32))
        let images = (0..<6).map { randomRGBImage(width: 24 + 8 * $0, height: 20, seed: UInt64(10 + $0)) }
        let counted = try PriorEstimation.layeredPrior(codec: codec, images: images)
        let stored = try XCTUnwrap(codec.prior)
        XCTAssertEqual(counted.positions, stored.positions)
        let tableSize = 4 * 8, head = 16 * tableSize
        XCTAssertEqual(Array(counted.frequencies.prefix(head)), Array(stored.frequencies.prefix(head)))
        XCTAssertNotEqual(Array(counted.frequencies.dropFirst(head)), Array(stored.frequencies.dropFirst(head)))
        // On the images it was counted on, the detail tokens cost fewer bits than under the learned tables.
        let coding = try ChannelRunPrior(stored: counted, headPositions: 16, blockPixels: 8)
        var learned = 0.0, countedBits = 0.0
        for image in images {
            let tokens = codec.encode(image).tokens
            learned += PriorEstimation.meanBits(of: tokens, under: codec.codingPrior!.sized(width: image.width, height: image.height))
            countedBits += PriorEstimation.meanBits(of: tokens, under: coding.sized(width: image.width, height: image.height))
        }
        XCTAssertLessThan(countedBits, learned)
    }

    /// `vtok prior --contexts`: K counted tables a detail channel, picked by the earlier channels
    /// (spec §15.1.2), with the config saying so. On the images counted they cost fewer bits than one
    /// table a channel; files of the new model round-trip and every cut decodes to a prefix.
    func testContextTablesCodeFilesThatCutAnywhere() throws {
        let tokenizer = try LayeredTokenizer(config: tinyLayeredConfig())
        for parameter in tokenizer.detail.parameters where parameter.name.contains("conv") { parameter.value = parameter.value.map { $0 * 8 } }
        let bytes = try tokenizer.weightsFile().serialized(as: .float32)
        let codec = try VTokCodec(weightsFileBytes: bytes)
        let images = (0..<6).map { randomRGBImage(width: 24 + 8 * $0, height: 20, seed: UInt64(10 + $0)) }
        var config = tokenizer.config
        config.detailPriorContexts = 4
        config.detailPriorWindow = 3
        let counted = try PriorEstimation.layeredPrior(codec: codec, images: images, contexts: 4, contextWindow: 3)
        XCTAssertEqual(counted.positions, 16 + config.detail.latentChannels * 4)
        let perChannel = try PriorEstimation.layeredPrior(codec: codec, images: images)
        let contextual = try VTokCodec(weightsFileBytes: try PriorEstimation.weightsFile(bytes, adding: counted, config: config))
        let coding = try XCTUnwrap(contextual.codingPrior as? ChannelRunPrior)
        XCTAssertEqual([coding.contexts, coding.contextWindow], [4, 3])
        let flat = try ChannelRunPrior(stored: perChannel, headPositions: 16, blockPixels: 8)
        var contextBits = 0.0, channelBits = 0.0
        for image in images {
            let tokens = codec.encode(image).tokens
            contextBits += PriorEstimation.meanBits(of: tokens, under: coding.sized(width: image.width, height: image.height))
            channelBits += PriorEstimation.meanBits(of: tokens, under: flat.sized(width: image.width, height: image.height))
        }
        XCTAssertLessThan(contextBits, channelBits)
        // A prior of one table a channel under a config that asks for four is refused.
        XCTAssertThrowsError(try VTokCodec(weightsFileBytes: try PriorEstimation.weightsFile(bytes, adding: perChannel, config: config)))
        try assertFilesRoundTripAndCut(codec: contextual, tokenizer: tokenizer, image: randomRGBImage(width: 41, height: 23, seed: 9))
    }

    /// The fixed-size path (tokenize, validation) is the whole-image path on the square.
    func testSquaresGoThroughTheWholeImagePath() throws {
        let tokenizer = try LayeredTokenizer(config: tinyLayeredConfig())
        let square = randomRGBImage(width: 32, height: 32, seed: 5)
        let planes = TokenizerInput(shape: tokenizer.shape).batch([square])
        let ids = tokenizer.tokens(images: planes)[0]
        XCTAssertEqual(ids, tokenizer.tokens(of: square))
        let decoded = tokenizer.images(tokens: [Array(ids.prefix(20))])
        let whole = tokenizer.image(tokens: Array(ids.prefix(20)), width: 32, height: 32)
        XCTAssertEqual(decoded.count, 3 * 32 * 32)
        XCTAssertEqual(decoded[0], Float(whole.pixels[0]) / 255)
    }

    func testJoiningTwoModelFilesKeepsTheirWeights() throws {
        let config = tinyLayeredConfig()
        let base = try ConvolutionalTokenizer(config: config.base), detail = try ConvolutionalTokenizer(config: config.detail)
        var baseFile = base.weightsFile(extraMetadata: ["vtok.training.steps": "10 of 10"])
        baseFile.metadata["other"] = "x"
        let (layered, record) = try LayeredTokenizer.joining(base: baseFile, detail: detail.weightsFile(), resolution: 32)
        XCTAssertEqual(layered.config, config)
        XCTAssertEqual(record["base_steps"], "10 of 10")
        XCTAssertEqual(layered.base.parameters.map(\.value), base.parameters.map(\.value))
        XCTAssertEqual(layered.detail.parameters.map(\.value), detail.parameters.map(\.value))
        XCTAssertTrue(layered.parameters.allSatisfy { $0.name.hasPrefix("base.") || $0.name.hasPrefix("detail.") })
        // Its detail layer comes back out under a convolutional model's names (a warm start's source).
        let detailOut = LayeredTokenizer.detailWeights(of: layered.weightsFile(extraMetadata: ["vtok.training.detail_steps": "5 of 5"]))
        let fresh = try ConvolutionalTokenizer(config: config.detail)
        try detailOut.load(into: fresh.parameters)
        XCTAssertEqual(fresh.parameters.map(\.value), detail.parameters.map(\.value))
        XCTAssertEqual(detailOut.metadata["vtok.training.steps"], "5 of 5")
        // A model file of it loads back through the registry with the same weights.
        let reloaded = try TokenizerRegistry.tokenizer(weights: layered.weightsFile())
        XCTAssertEqual(reloaded.parameters.map(\.value), layered.parameters.map(\.value))
    }

    /// `vtok layer`'s model file reads the base model's own files, tiled or not, and decodes them to
    /// the base model's pictures; its cut files too. Files of another model are still refused.
    func testTheLayeredModelReadsItsBaseModelsFiles() throws {
        let config = tinyLayeredConfig()
        let baseBytes = try ConvolutionalTokenizer(config: config.base).weightsFile().serialized(as: .float16)
        let detailBytes = try ConvolutionalTokenizer(config: config.detail).weightsFile().serialized(as: .float16)
        let layered = try VTokCodec(weightsFileBytes: try LayeredTokenizer.modelFile(base: baseBytes, detail: detailBytes, resolution: 32))
        let base = try VTokCodec(weightsFileBytes: baseBytes)
        XCTAssertEqual(layered.baseModelID, base.modelID)
        let image = randomRGBImage(width: 45, height: 30, seed: 12)
        for tiled in [false, true] {
            let file = base.encode(image, tiled: tiled).truncated(toTokens: 9)
            let bytes = try base.fileBytes(file)
            let reading = try layered.read(bytes)
            XCTAssertEqual(reading.file, file, "tiled: \(tiled)")
            XCTAssertEqual(try layered.decode(reading.file).pixels, try base.decode(file).pixels, "tiled: \(tiled)")
            let cut = try layered.read(Array(bytes.dropLast(2)))
            XCTAssertEqual(cut.file.tokens[0], Array(file.tokens[0].prefix(cut.file.tokenCount)))
        }
        let stranger = try VTokCodec(weightsFileBytes: try ConvolutionalTokenizer(config: config.detail).weightsFile().serialized(as: .float32))
        XCTAssertThrowsError(try layered.read(try stranger.fileBytes(stranger.encode(image))))
    }

    /// A refinement layer's tokens follow the detail layer's: the first layers give the same tokens
    /// and pictures as the model without it, and its tokens change the picture.
    func testARefinementLayerExtendsTheDetailLayers() throws {
        let tokenizer = try LayeredTokenizer(config: TinyModels.layeredWithRefinement)
        for layer in tokenizer.detailLayers {
            for parameter in layer.parameters where parameter.name.contains("conv") { parameter.value = parameter.value.map { $0 * 8 } }
        }
        let leading = tokenizer.leading(detailLayers: 1)
        XCTAssertEqual(leading.config, tinyLayeredConfig())
        XCTAssertTrue(tokenizer.parameters.contains { $0.name.hasPrefix("refinement1.") })
        let image = randomRGBImage(width: 37, height: 21, seed: 3)
        let all = tokenizer.tokens(of: image), first = leading.tokens(of: image)
        XCTAssertEqual(all.count, tokenizer.tokenCount(width: 37, height: 21))
        XCTAssertEqual(all.count, first.count + 3 * 5 * 3)
        XCTAssertEqual(Array(all.prefix(first.count)), first)
        for k in [0, 10, 16, 17, first.count - 1, first.count] {
            XCTAssertEqual(tokenizer.image(tokens: Array(all.prefix(k)), width: 37, height: 21),
                           leading.image(tokens: Array(first.prefix(k)), width: 37, height: 21), "k = \(k)")
        }
        let refined = tokenizer.image(tokens: all, width: 37, height: 21)
        XCTAssertNotEqual(refined, leading.image(tokens: first, width: 37, height: 21))
        // The refinement codes what the first layers' whole picture misses, as the decoder has it.
        let residual = LayeredTokenizer.residualImage(of: image, minus: leading.image(tokens: first, width: 37, height: 21))
        let residualTokens = TinyRefinementProbe.tokens(of: residual, layer: tokenizer.refinements[0])
        XCTAssertEqual(Array(all.dropFirst(first.count)), residualTokens)
    }

    /// `vtok layer` with a layered base: the new model keeps the base's weights, tables and base
    /// model, reads the base's files to the same tokens and pictures (cut or whole), and its own
    /// files start with the same tokens. A counted prior keeps those tables too.
    func testALayeredModelReadsTheFilesOfTheModelItExtends() throws {
        let config = TinyModels.layeredWithRefinement
        let baseBytes = try ConvolutionalTokenizer(config: config.base).weightsFile().serialized(as: .float16)
        let detailBytes = try ConvolutionalTokenizer(config: config.detail).weightsFile().serialized(as: .float16)
        let refinementBytes = try ConvolutionalTokenizer(config: config.refinements[0]).weightsFile().serialized(as: .float16)
        let twoBytes = try LayeredTokenizer.modelFile(base: baseBytes, detail: detailBytes, resolution: 32)
        let threeBytes = try LayeredTokenizer.modelFile(base: twoBytes, detail: refinementBytes)
        let two = try VTokCodec(weightsFileBytes: twoBytes), three = try VTokCodec(weightsFileBytes: threeBytes)
        XCTAssertEqual((three.tokenizer as? LayeredTokenizer)?.config, config)
        XCTAssertEqual(three.baseModelID, two.baseModelID)
        XCTAssertEqual(three.leadingCodecs.map(\.modelID), [two.modelID])
        let tableSize = 4 * 8, twoTables = try XCTUnwrap(two.prior).frequencies
        XCTAssertEqual(Array(try XCTUnwrap(three.prior).frequencies.prefix(twoTables.count)), twoTables)
        XCTAssertEqual(three.prior?.positions, 16 + 7)
        let image = randomRGBImage(width: 45, height: 30, seed: 12)
        let file = two.encode(image)
        let bytes = try two.fileBytes(file)
        let reading = try three.read(bytes)
        XCTAssertEqual(reading.file, file)
        XCTAssertEqual(try three.decode(reading.file), try two.decode(file))
        XCTAssertTrue(three.codec(forModel: file.modelID) === three.leadingCodecs[0])
        let cut = try three.read(Array(bytes.dropLast(3)))
        XCTAssertEqual(cut.file.tokens[0], Array(file.tokens[0].prefix(cut.file.tokenCount)))
        let own = three.encode(image)
        XCTAssertEqual(Array(own.tokens[0].prefix(file.tokenCount)), file.tokens[0])
        XCTAssertGreaterThan(own.tokenCount, file.tokenCount)
        // Counting keeps the tables of the extended model, whose contexts it must keep.
        let images = (0..<4).map { randomRGBImage(width: 24 + 8 * $0, height: 20, seed: UInt64(20 + $0)) }
        let counted = try PriorEstimation.layeredPrior(codec: three, images: images)
        XCTAssertEqual(Array(counted.frequencies.prefix(twoTables.count)), twoTables)
        XCTAssertNotEqual(Array(counted.frequencies.dropFirst(twoTables.count)), Array(three.prior!.frequencies.dropFirst(twoTables.count)))
        XCTAssertEqual(counted.frequencies.count, (16 + 7) * tableSize)
        XCTAssertThrowsError(try PriorEstimation.layeredPrior(codec: three, images: images, contexts: 2, contextWindow: 1))
    }

    /// A byte budget stops the encoder after the layer its cut falls in, and the file is the one the
    /// whole encoding cut to the budget gives, byte for byte, at every budget.
    func testAByteBudgetSparesTheLayersPastIt() throws {
        let tokenizer = try LayeredTokenizer(config: TinyModels.layeredWithRefinement)
        for layer in tokenizer.detailLayers {
            for parameter in layer.parameters where parameter.name.contains("conv") { parameter.value = parameter.value.map { $0 * 8 } }
        }
        let codec = try VTokCodec(weightsFileBytes: try tokenizer.weightsFile().serialized(as: .float32))
        let image = randomRGBImage(width: 45, height: 30, seed: 4)
        let full = codec.encode(image), sizes = try codec.fileSizes(full)
        var stages: [Int] = []
        _ = tokenizer.tokens(of: image) { tokens in stages.append(tokens.count); return false }
        XCTAssertEqual(stages, [16, 16 + 4 * 24], "asked after the base and after the detail layer")
        XCTAssertEqual(tokenizer.tokens(of: image) { $0.count >= 16 }, Array(full.tokens[0].prefix(16)))
        for maxBytes in Set([sizes[1], sizes[10], sizes[16], sizes[17], sizes[60], sizes[112], sizes[113], sizes.last!, sizes.last! + 5]) {
            let budgeted = try codec.encode(image, budget: .maxBytes(maxBytes))
            let cut = try XCTUnwrap(try full.serialized(format: codec.defaultFormat, model: codec.modelCoding, maxBytes: maxBytes))
            XCTAssertEqual(budgeted.bytes, cut.bytes, "budget \(maxBytes)")
        }
    }

    func testConfigsThatCannotShareAFileAreRefused() {
        var config = tinyLayeredConfig()
        config.detail.bitsPerGroup = 4
        XCTAssertThrowsError(try config.validate())
        config = tinyLayeredConfig()
        config.detail.workingResolution = 8
        XCTAssertThrowsError(try config.validate())
        config = tinyLayeredConfig()
        config.resolution = 36
        XCTAssertThrowsError(try config.validate())
        config = TinyModels.layeredWithRefinement
        config.refinements[0].stages = 1
        config.refinements[0].workingResolution = 8
        config.refinements[0].resolution = 8
        XCTAssertThrowsError(try config.validate(), "a refinement on 4-px blocks")
    }
}

/// A refinement layer's tokens of a residual image, padded to whole blocks as the layered model pads it.
enum TinyRefinementProbe {
    static func tokens(of residual: RGBImage, layer: ConvolutionalTokenizer) -> [UInt32] {
        let p = layer.config.blockSide << layer.config.stages
        let width = (residual.width + p - 1) / p * p, height = (residual.height + p - 1) / p * p, plane = width * height
        let planes = Tensor(shape: [1, 3, height, width])
        for y in 0..<height {
            for x in 0..<width {
                let source = (min(y, residual.height - 1) * residual.width + min(x, residual.width - 1)) * 3
                for c in 0..<3 { planes[c * plane + y * width + x] = Float(residual.pixels[source + c]) / 255 }
            }
        }
        return layer.tokens(paddedPlanes: planes)
    }
}

final class PortablePathTests: XCTestCase {
    func testAbsolutePathsBecomeRelative() {
        XCTAssertEqual(PortablePath.relative("/work/shared/data/train", to: "/work/runs"), "../shared/data/train")
        XCTAssertEqual(PortablePath.relative("/work/runs/c2", to: "/work/runs"), "c2")
        XCTAssertEqual(PortablePath.relative("/work/runs", to: "/work/runs"), ".")
        XCTAssertEqual(PortablePath.relative("data/train", to: "/work/runs"), "data/train")
        let line = PortablePath.relativeWords("vtok train --data \(FileManager.default.currentDirectoryPath)/x --out=/ y")
        XCTAssertEqual(line, "vtok train --data x --out=\(PortablePath.relative("/")) y")
        XCTAssertFalse(line.contains(" /"))
    }
}
