#if canImport(FoundationEssentials)
import FoundationEssentials
import Glibc
#else
import Foundation
#endif
import VTokContainer
import VTokImage
import VTokNN

/// The hyperparameters of `LayeredTokenizer`: a base tokenizer that codes a thumbnail of the whole
/// image, then a detail tokenizer that codes, at the image's own resolution, what the base misses,
/// and any refinement layers, each coding what the layers before it miss.
public struct LayeredConfig: TokenizerArchitectureConfig {
    public static let architecture = "layered"

    /// The square a fixed token count per image is made at (`vtok tokenize`, validation); files
    /// code every image at its own size.
    public var resolution = 256
    /// The coarse layer: the whole image stretched to its square, as the `convolutional` model codes it.
    public var base = ConvolutionalConfig()
    /// The fine layer: convolutional transforms that read and write the image's own pixels
    /// (`resolution` = `workingResolution`, the side of its training crops) and code the residual
    /// image − base.
    public var detail = LayeredConfig.defaultDetail
    /// Further detail layers after `detail`, each a convolutional model on the image's own pixels
    /// that codes the residual image − (base + the detail layers before it), its channels after
    /// theirs, on blocks of the same size (so the context tables of spec §15.1.2 span them all).
    public var refinements: [ConvolutionalConfig] = []
    /// Tables per detail channel in the coding prior (spec §15.1.2): 1 codes every block of a
    /// channel with the channel's table; more pick one per token by how busy the same block is in
    /// the `detailPriorWindow` channels before it (`vtok prior --contexts` counts them).
    public var detailPriorContexts = 1
    public var detailPriorWindow = 16

    public init() {}

    static var defaultDetail: ConvolutionalConfig {
        var detail = ConvolutionalConfig()
        detail.resolution = 128
        detail.workingResolution = 128
        detail.latentChannels = 128
        detail.rateWeight = 0.08
        detail.rateWeightHalfTokens = 256
        return detail
    }

    /// The full-resolution layers in token order: `detail`, then the `refinements`.
    public var detailLayers: [ConvolutionalConfig] { [detail] + refinements }
    /// Channels of all the full-resolution layers together.
    public var detailChannels: Int { detailLayers.reduce(0) { $0 + $1.latentChannels } }

    /// Image pixels per detail token block on a side.
    public var detailBlockPixels: Int { detail.blockSide << detail.stages }

    /// Detail token blocks of a width×height image: ⌈w/P⌉·⌈h/P⌉ (P = `detailBlockPixels`).
    public func detailBlocks(width: Int, height: Int) -> Int {
        let p = detailBlockPixels
        return ((width + p - 1) / p) * ((height + p - 1) / p)
    }

    /// Tokens of a width×height image: all of the base's, then every detail layer's channels, each
    /// of `detailBlocks` blocks.
    public func tokenCount(width: Int, height: Int) -> Int {
        base.maxTokens + detailChannels * detailBlocks(width: width, height: height)
    }

    /// The config of the first `layers` detail layers alone (the model whose files this one's
    /// prefixes are, when it was made by adding refinements to it).
    public func leading(detailLayers layers: Int) -> LayeredConfig {
        var config = self
        config.refinements = Array(refinements.prefix(layers - 1))
        return config
    }

    public var shape: TokenizerShape {
        TokenizerShape(resolution: resolution, workingResolution: resolution,
                       maxTokens: tokenCount(width: resolution, height: resolution),
                       groups: base.groups, bitsPerGroup: base.bitsPerGroup)
    }

    public func makeTokenizer() throws -> any ImageTokenizer { try LayeredTokenizer(config: self) }

    public func validate() throws(TokenizerError) {
        do {
            try base.validate()
            for layer in detailLayers { try layer.validate() }
        } catch {
            throw .invalidConfig("layered: \(error)")
        }
        for (index, layer) in detailLayers.enumerated() {
            let name = index == 0 ? "the detail layer" : "refinement \(index)"
            guard base.groups == layer.groups && base.bitsPerGroup == layer.bitsPerGroup else {
                throw .invalidConfig("layered: the base's tokens are \(base.groups)x\(base.bitsPerGroup) bits, \(name)'s "
                                     + "\(layer.groups)x\(layer.bitsPerGroup): one file holds one token layout")
            }
            guard layer.resolution == layer.workingResolution else {
                throw .invalidConfig("layered: \(name) reads the image's own pixels: its resolution \(layer.resolution) must equal its workingResolution \(layer.workingResolution)")
            }
            guard layer.blockSide << layer.stages == detailBlockPixels else {
                throw .invalidConfig("layered: \(name)'s tokens cover \(layer.blockSide << layer.stages) px blocks, the detail layer's \(detailBlockPixels): every detail layer codes the same blocks")
            }
        }
        guard (1...64).contains(detailPriorContexts), detailPriorWindow >= 0 else {
            throw .invalidConfig("layered: detailPriorContexts must be in 1...64 and detailPriorWindow 0 or more")
        }
        guard resolution > 0 && resolution % detailBlockPixels == 0 else {
            throw .invalidConfig("layered: resolution \(resolution) must be a multiple of the detail's block, \(detailBlockPixels) px")
        }
    }
}

/// A tokenizer that codes an image at its own resolution, so that more bytes keep buying quality
/// on any size of image: the token count grows with the image, and the codec codes whole images
/// through it instead of stretching them to a square.
public protocol FullResolutionTokenizer: ImageTokenizer {
    /// All tokens of a width×height image.
    func tokenCount(width: Int, height: Int) -> Int
    /// All `tokenCount` tokens of `image`, coarse to fine.
    func tokens(of image: RGBImage) -> [UInt32]
    /// A prefix of `tokens(of:)`: a model that makes its tokens in stages (layers) stops after the
    /// first stage whose tokens so far are `enough`, sparing the later stages' work.
    func tokens(of image: RGBImage, until enough: ([UInt32]) throws -> Bool) rethrows -> [UInt32]
    /// The width×height image a prefix of its tokens decodes to.
    func image(tokens: [UInt32], width: Int, height: Int) -> RGBImage
    /// The prior the container codes a file's tokens with, from the learned one the model file stores.
    func codingPrior(_ stored: StaticTokenPrior) throws -> any TokenPrior
}

/// Two layers in one token sequence (a scalable code, as in layered video coding):
/// - the **base**: a `ConvolutionalTokenizer` on the whole image stretched to its square (the
///   shipped c2 model), so the first tokens describe all of any image, at any size, and the
///   smallest budgets are exactly the base's;
/// - the **detail**: a fully convolutional `ConvolutionalTokenizer` on the image's own pixels,
///   which codes the residual image − base (the base decoded from all its tokens and stretched back
///   to the image's size, as 8-bit pixels) in channel order, every channel covering the whole image;
/// - any **refinements**: more such layers, each coding the residual of the picture the layers
///   before it give with all their tokens (as 8-bit pixels), for the highest rates.
///
/// A prefix within the base decodes as the base alone; a longer one adds each detail layer's decoded
/// residual in turn. Every detail layer is trained by `vtok train` as a `convolutional` model on
/// residual images (`docs/MODEL.md`); `vtok layer` joins a base and a detail model file into one, or
/// adds a layer to a layered model file.
public final class LayeredTokenizer: FullResolutionTokenizer {
    public let config: LayeredConfig
    public let base: ConvolutionalTokenizer
    public let detail: ConvolutionalTokenizer
    public let refinements: [ConvolutionalTokenizer]
    public let parameters: [Parameter]
    /// Residual pixels are stored around this level, as the detail layer's training images hold them.
    static let residualOffset: Float = 128

    public init(config: LayeredConfig) throws {
        try config.validate()
        self.config = config
        base = try ConvolutionalTokenizer(config: config.base, namePrefix: "base.")
        detail = try ConvolutionalTokenizer(config: config.detail, namePrefix: "detail.")
        refinements = try config.refinements.enumerated().map { index, refinement in
            try ConvolutionalTokenizer(config: refinement, namePrefix: Self.refinementPrefix(index))
        }
        parameters = ([base, detail] + refinements).flatMap(\.parameters)
    }

    /// The model of the first `layers` detail layers, sharing this one's transforms.
    private init(leading layers: Int, of whole: LayeredTokenizer) {
        config = whole.config.leading(detailLayers: layers)
        base = whole.base
        detail = whole.detail
        refinements = Array(whole.refinements.prefix(layers - 1))
        parameters = ([base, detail] + refinements).flatMap(\.parameters)
    }

    /// This model with its first `layers` detail layers alone: what the model it was made from by
    /// adding refinements computes (`vtok layer`), so that model's files decode through it.
    public func leading(detailLayers layers: Int) -> LayeredTokenizer {
        precondition((1...1 + refinements.count).contains(layers), "LayeredTokenizer: \(layers) detail layers of \(1 + refinements.count)")
        return LayeredTokenizer(leading: layers, of: self)
    }

    /// The parameter names' prefix of refinement `index` (0 first) in a model file.
    static func refinementPrefix(_ index: Int) -> String { "refinement\(index + 1)." }

    /// The full-resolution layers in token order.
    public var detailLayers: [ConvolutionalTokenizer] { [detail] + refinements }

    private var baseInput: TokenizerInput { TokenizerInput(shape: config.base.shape) }

    /// A width×height image's size padded up to whole detail blocks.
    private func padded(width: Int, height: Int) -> (width: Int, height: Int) {
        let p = config.detailBlockPixels
        return ((width + p - 1) / p * p, (height + p - 1) / p * p)
    }
    private var baseTokenCount: Int { config.base.maxTokens }

    public func tokenCount(width: Int, height: Int) -> Int { config.tokenCount(width: width, height: height) }

    // MARK: Whole images

    /// The base layer's picture: its tokens decoded and stretched to width×height, as 8-bit pixels.
    public func baseImage(tokens: [UInt32], width: Int, height: Int) -> RGBImage {
        let planes = base.images(tokens: [tokens])
        return baseInput.stretched(baseInput.images(planes: planes, count: 1)[0], width: width, height: height)
    }

    /// Each detail layer codes the residual of the picture every layer before it gives with all its
    /// tokens, as the decoder will have it.
    public func tokens(of image: RGBImage) -> [UInt32] { tokens(of: image, until: { _ in false }) }

    /// Layer by layer, stopping after the base or a detail layer once the tokens so far are `enough`.
    public func tokens(of image: RGBImage, until enough: ([UInt32]) throws -> Bool) rethrows -> [UInt32] {
        var tokens = base.tokens(images: baseInput.batch([image]))[0]
        var picture = baseImage(tokens: tokens, width: image.width, height: image.height)
        for (index, layer) in detailLayers.enumerated() {
            if try enough(tokens) { return tokens }
            let layerTokens = layer.tokens(paddedPlanes: residualPlanes(image, minus: picture))
            tokens += layerTokens
            if index + 1 < detailLayers.count { picture = adding(layer, tokens: layerTokens, to: picture) }
        }
        return tokens
    }

    public func image(tokens: [UInt32], width: Int, height: Int) -> RGBImage {
        precondition(tokens.count <= tokenCount(width: width, height: height),
                     "LayeredTokenizer: \(tokens.count) tokens for a \(width)x\(height) image of \(tokenCount(width: width, height: height))")
        var picture = baseImage(tokens: Array(tokens.prefix(baseTokenCount)), width: width, height: height)
        let blocks = config.detailBlocks(width: width, height: height)
        var rest = tokens.dropFirst(baseTokenCount)
        for layer in detailLayers where !rest.isEmpty {
            let count = layer.config.latentChannels * blocks
            picture = adding(layer, tokens: Array(rest.prefix(count)), to: picture)
            rest = rest.dropFirst(count)
        }
        return picture
    }

    /// `picture` plus the residual a detail layer's tokens (a prefix of them) decode to, as 8-bit pixels.
    private func adding(_ layer: ConvolutionalTokenizer, tokens: [UInt32], to picture: RGBImage) -> RGBImage {
        let width = picture.width, height = picture.height
        let (paddedWidth, paddedHeight) = padded(width: width, height: height)
        let residual = layer.centredPlanes(tokens: tokens, paddedWidth: paddedWidth, paddedHeight: paddedHeight)
        // The layer's output is (residual + offset)/255 − ½, so a pixel is picture + 255·output + ½ − offset.
        let shift = 127.5 - Self.residualOffset, plane = paddedWidth * paddedHeight
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                for c in 0..<3 {
                    let index = (y * width + x) * 3 + c
                    let value = Float(picture.pixels[index]) + 255 * residual[c * plane + y * paddedWidth + x] + shift
                    pixels[index] = UInt8(min(max(value, 0), 255).rounded())
                }
            }
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    /// The detail layer's input and training image: image − base + 128 per pixel and channel,
    /// clamped to 0...255 (`vtok residuals` writes these for training).
    public static func residualImage(of image: RGBImage, minus coarse: RGBImage) -> RGBImage {
        precondition(image.width == coarse.width && image.height == coarse.height, "LayeredTokenizer: residual of unequal sizes")
        let pixels = zip(image.pixels, coarse.pixels).map { x, b in
            UInt8(min(max(Int(x) - Int(b) + Int(residualOffset), 0), 255))
        }
        return RGBImage(width: image.width, height: image.height, pixels: pixels)
    }

    /// `residualImage`/255 as (1, 3, H', W') planes, H' and W' padded up to whole detail blocks by
    /// repeating the last row and column.
    private func residualPlanes(_ image: RGBImage, minus coarse: RGBImage) -> Tensor {
        let residual = Self.residualImage(of: image, minus: coarse)
        let width = image.width, height = image.height
        let (paddedWidth, paddedHeight) = padded(width: width, height: height), plane = paddedWidth * paddedHeight
        let planes = Tensor(shape: [1, 3, paddedHeight, paddedWidth])
        for y in 0..<paddedHeight {
            let sourceY = min(y, height - 1)
            for x in 0..<paddedWidth {
                let source = (sourceY * width + min(x, width - 1)) * 3
                for c in 0..<3 { planes[c * plane + y * paddedWidth + x] = Float(residual.pixels[source + c]) / 255 }
            }
        }
        return planes
    }

    // MARK: ImageTokenizer (squares of `config.resolution`)

    public func tokens(images: Tensor) -> [[UInt32]] {
        let r = config.resolution, size = 3 * r * r
        precondition(images.shape.count == 4 && images.shape[1] == 3 && images.shape[2] == r && images.shape[3] == r,
                     "LayeredTokenizer: images \(images.shape), expects [B, 3, \(r), \(r)]")
        return (0..<images.shape[0]).map { b in
            tokens(of: RGBImage(planarFloats: Array(UnsafeBufferPointer(start: images.pointer + b * size, count: size)), width: r, height: r))
        }
    }

    public func images(tokens: [[UInt32]]) -> [Float] {
        let r = config.resolution
        return tokens.flatMap { ids in image(tokens: ids, width: r, height: r).planarFloats() }
    }

    /// The layers are trained apart (`LayeredConfig` is refused by `vtok train`): the base as a
    /// `convolutional` model, each detail layer as one on the residual images of the layers before it.
    public func trainingStep(images: Tensor, keptLengths: [Int]) -> TrainingLosses {
        preconditionFailure("LayeredTokenizer: train the base and the detail layer as convolutional models, then join them (vtok layer)")
    }

    // MARK: Entropy model

    /// The base's per-position tables, then every detail channel's (each the same in every context).
    public func learnedPrior() -> StaticTokenPrior? {
        guard var prior = base.learnedPrior() else { return nil }
        for layer in detailLayers {
            guard let layerPrior = layer.learnedPrior() else { return nil }
            prior = try! Self.joinedPrior(base: prior, detail: layerPrior, detailConfig: layer.config,
                                          contexts: config.detailPriorContexts)
        }
        return prior
    }

    /// A layered prior (spec §15.1.1): `base`'s tables (a base model's, or a layered model's), then
    /// each channel of the detail layer `detail`'s `contexts` tables, all the channel's table in the
    /// first block of `detail` (a convolutional prior repeats its channel's table for every block).
    static func joinedPrior(base: StaticTokenPrior, detail: StaticTokenPrior, detailConfig: ConvolutionalConfig,
                            contexts: Int = 1) throws -> StaticTokenPrior {
        let tableSize = detailConfig.groups * detailConfig.levels
        var frequencies = base.frequencies
        for channel in 0..<detailConfig.latentChannels {
            let start = channel * detailConfig.blocksPerChannel * tableSize
            for _ in 0..<contexts { frequencies += detail.frequencies[start..<start + tableSize] }
        }
        return try StaticTokenPrior(layout: base.layout, positions: base.positions + detailConfig.latentChannels * contexts,
                                    frequencies: frequencies)
    }

    /// A layered prior's first `positions` tables: the prior of a model it extends (`leading`), or
    /// of its base.
    static func leadingTables(_ joined: StaticTokenPrior, positions: Int) throws -> StaticTokenPrior {
        let tableSize = joined.layout.groups << joined.layout.bitsPerGroup
        return try StaticTokenPrior(layout: joined.layout, positions: positions,
                                    frequencies: Array(joined.frequencies.prefix(positions * tableSize)))
    }

    /// The base model's own prior: the first tables of a layered prior (`joinedPrior` puts them there).
    func basePrior(_ joined: StaticTokenPrior) throws -> StaticTokenPrior {
        try Self.leadingTables(joined, positions: baseTokenCount)
    }

    /// The stored tables of a layered prior: one per base position, `detailPriorContexts` per detail channel.
    public var priorTables: Int { baseTokenCount + config.detailChannels * config.detailPriorContexts }

    public func codingPrior(_ stored: StaticTokenPrior) throws -> any TokenPrior {
        let contexts = config.detailPriorContexts
        guard stored.positions == priorTables else {
            throw TokenizerError.invalidWeights("the stored prior has \(stored.positions) tables; a layered model of "
                + "\(baseTokenCount) base tokens and \(config.detailChannels) detail channels of \(contexts) needs \(priorTables)")
        }
        return try ChannelRunPrior(stored: stored, headPositions: baseTokenCount, blockPixels: config.detailBlockPixels,
                                   contexts: contexts, contextWindow: config.detailPriorWindow)
    }

    // MARK: Description

    public var encoderFLOPs: Double {
        // The base on its working square, the detail layers on the native square (per pixel as their crops).
        let r = Double(config.resolution)
        return detailLayers.reduce(base.encoderFLOPs) { sum, layer in
            let crop = Double(layer.config.workingResolution)
            return sum + layer.encoderFLOPs * (r * r) / (crop * crop)
        }
    }

    public var summary: [String] {
        ["a base layer on the whole image stretched to \(config.base.workingResolution)x\(config.base.workingResolution), \(baseTokenCount) tokens:"]
            + base.summary.map { "  " + $0 }
            + ["then a detail layer at the image's own resolution coding image − base, \(config.detail.latentChannels) channels of one token per \(config.detailBlockPixels)x\(config.detailBlockPixels) pixels:"]
            + detail.summary.map { "  " + $0 }
            + refinements.enumerated().flatMap { index, layer in
                ["then refinement \(index + 1), coding what the layers before it miss, \(layer.config.latentChannels) channels:"]
                    + layer.summary.map { "  " + $0 }
            }
    }
}

extension LayeredTokenizer {
    /// The layered model of two trained model files: `base` a `convolutional` model, whose weights go
    /// under "base.", and `detail` one trained on its residual images, under "detail."; or `base` a
    /// layered model, whose layers are kept, and `detail` trained on its residual images (`vtok
    /// residuals --all-layers`), added as its next refinement. The training records of all the
    /// layers go along.
    public static func joining(base: WeightsFile, detail: WeightsFile, resolution: Int = 256)
        throws -> (tokenizer: LayeredTokenizer, record: [String: String]) {
        let detailModel = try ConvolutionalTokenizer(weights: detail)
        let prefix = "vtok.training."
        var config: LayeredConfig, sources: [Parameter], record: [String: String] = [:], layerName: String
        if let layeredBase = try TokenizerRegistry.tokenizer(weights: base) as? LayeredTokenizer {
            config = layeredBase.config
            config.refinements.append(detailModel.config)
            sources = layeredBase.parameters
            for (key, value) in base.metadata where key.hasPrefix(prefix) { record[String(key.dropFirst(prefix.count))] = value }
            layerName = String(refinementPrefix(layeredBase.refinements.count).dropLast())
        } else {
            let baseModel = try ConvolutionalTokenizer(weights: base)
            config = LayeredConfig()
            config.resolution = resolution
            config.base = baseModel.config
            config.detail = detailModel.config
            sources = baseModel.parameters
            for (key, value) in base.metadata where key.hasPrefix(prefix) { record["base_" + key.dropFirst(prefix.count)] = value }
            layerName = "detail"
        }
        let layered = try LayeredTokenizer(config: config)
        for (target, source) in zip(layered.parameters, sources + detailModel.parameters) {
            precondition(target.shape == source.shape, "LayeredTokenizer.joining: \(target.name) \(target.shape) from \(source.name) \(source.shape)")
            target.value = source.value
        }
        for (key, value) in detail.metadata where key.hasPrefix(prefix) { record[layerName + "_" + key.dropFirst(prefix.count)] = value }
        return (layered, record)
    }

    /// The detail layer's tensors of a layered model file under their own names, as a
    /// `convolutional` model file names them: what a warm start of the detail layer loads.
    public static func detailWeights(of layered: WeightsFile) -> WeightsFile {
        let prefix = "detail.", record = "vtok.training.detail_"
        var metadata: [String: String] = [:]
        for (key, value) in layered.metadata where key.hasPrefix(record) { metadata["vtok.training." + key.dropFirst(record.count)] = value }
        return WeightsFile(tensors: layered.tensors.filter { $0.name.hasPrefix(prefix) }.map {
            NamedTensor(name: String($0.name.dropFirst(prefix.count)), shape: $0.shape, values: $0.values)
        }, metadata: metadata)
    }

    /// Metadata key of the base model's id in a layered model file.
    public static let baseModelKey = "vtok.layered.base_model"
    /// Metadata key of the layered models a layered model file extends (`vtok layer` with a layered
    /// base): "ID:L" entries, space-separated, for a model of the same weights with L detail layers
    /// and the same first tables, whose files are prefixes of this model's and decode alike.
    public static let leadingModelsKey = "vtok.layered.leading_models"

    /// The model ids and detail-layer counts `leadingModelsKey` holds.
    public static func leadingModels(_ metadata: [String: String]) throws -> [(id: ModelID, detailLayers: Int)] {
        try (metadata[leadingModelsKey] ?? "").split(separator: " ").map { entry in
            let parts = entry.split(separator: ":")
            guard parts.count == 2, let id = ModelID(hex: String(parts[0])), let layers = Int(parts[1]), layers >= 1 else {
                throw TokenizerError.invalidWeights("\(leadingModelsKey): '\(entry)' is not ID:LAYERS")
            }
            return (id, layers)
        }
    }

    /// The layered model file of `joining(base:detail:)`: F16 weights, the priors the two files store
    /// joined (not computed again from half-precision weights), so that the tokens of the base's
    /// layers code exactly as the base model's own files do, the training records, the base model's
    /// id (`baseModelKey`) and, when `base` is a layered model, its id and those it extends
    /// (`leadingModelsKey`): this model reads all their files.
    /// `recordLine` rewrites each carried training-record line (the CLI makes absolute paths relative).
    public static func modelFile(base baseBytes: [UInt8], detail detailBytes: [UInt8], resolution: Int = 256,
                                 recordLine: (String) -> String = { $0 }) throws -> [UInt8] {
        let base = try WeightsFile(bytes: baseBytes), detail = try WeightsFile(bytes: detailBytes)
        let (layered, record) = try joining(base: base, detail: detail, resolution: resolution)
        let metadata = Dictionary(uniqueKeysWithValues: record.map { ("vtok.training." + $0.key, recordLine($0.value)) })
        var file = layered.weightsFile(extraMetadata: metadata)
        guard let basePrior = try base.metadata[TokenizerRegistry.priorKey].map(StaticTokenPrior.init(serialized:)),
              let detailPrior = try detail.metadata[TokenizerRegistry.priorKey].map(StaticTokenPrior.init(serialized:)) else {
            throw TokenizerError.invalidWeights("both models must carry their learned prior (\(TokenizerRegistry.priorKey))")
        }
        file.metadata[TokenizerRegistry.priorKey] = try joinedPrior(base: basePrior, detail: detailPrior,
                                                                    detailConfig: layered.config.detailLayers.last!,
                                                                    contexts: layered.config.detailPriorContexts).serialized
        if layered.refinements.isEmpty {
            file.metadata[baseModelKey] = ModelID(weightsFile: baseBytes).description
        } else {
            file.metadata[baseModelKey] = base.metadata[baseModelKey]
            let leading = try leadingModels(base.metadata).map { "\($0.id):\($0.detailLayers)" }
                + ["\(ModelID(weightsFile: baseBytes)):\(layered.refinements.count)"]
            file.metadata[leadingModelsKey] = leading.joined(separator: " ")
        }
        return try file.serialized(as: .float16)
    }
}
