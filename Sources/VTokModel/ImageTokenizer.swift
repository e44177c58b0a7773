#if canImport(FoundationEssentials)
import FoundationEssentials
import Glibc
#else
import Foundation
#endif
import VTokContainer
import VTokNN

/// What every tokenizer architecture is, to the codec, the trainer, validation and the report: an
/// image in, 1D token ids out with the prefix property, an image back; its preprocessing
/// (`TokenizerInput`, one code path for training crops, validation and the codec); its training
/// step and losses; and, where it learned one, the prior the container codes its tokens with.
///
/// **The contract.** `tokens(images:)` returns `shape.maxTokens` ids per image, each below
/// 2^`shape.layout.bitsPerToken`, ordered coarse to fine: the first k of them depend only on the
/// image (not on k), and `images(tokens:)` decodes any prefix 0...K of them. Images are
/// (B, 3, R, R) tensors at the working resolution R with values in [0, 1], made by `input`.
///
/// **Thread safety.** An instance is not safe to use from two threads at once: its layers keep
/// their activations and buffers between calls. Use one instance per thread, or a lock (the C
/// library does).
///
/// **Adding an architecture**: a folder under Architectures/ with a config type conforming to
/// `TokenizerArchitectureConfig` and a class conforming to `ImageTokenizer`, and one line in
/// `TokenizerRegistry.configTypes`.
public protocol ImageTokenizer: AnyObject {
    associatedtype Config: TokenizerArchitectureConfig
    init(config: Config) throws
    var config: Config { get }
    /// Every trainable tensor, with unique dotted names: what weights files and checkpoints hold.
    var parameters: [Parameter] { get }

    /// All K token ids of every image.
    func tokens(images: Tensor) -> [[UInt32]]
    /// Images decoded from token prefixes (each sample its own length, 0...K), as (B, 3, R, R)
    /// planes with values in [0, 1].
    func images(tokens: [[UInt32]]) -> [Float]

    /// Forward and backward on a batch, sample b decoded from its first `keptLengths[b]` tokens.
    /// Gradients are added into `parameters` (the caller zeroes them and steps the optimiser).
    func trainingStep(images: Tensor, keptLengths: [Int]) -> TrainingLosses

    /// The distribution the model's rate term trained its tokens for, as the container codes with
    /// it; nil for an architecture without a rate term, whose prior is estimated from token counts
    /// (`vtok prior`).
    func learnedPrior() -> StaticTokenPrior?

    /// Tiled images: working-resolution pixels of the neighbouring tiles read around each tile on
    /// every side, so that a fully convolutional model sees across the borders and its tiles join
    /// without seams (0: every tile is coded alone). `tokens(images:)` then gets tiles of side
    /// R + 2·tileContext and returns the tokens of their central R×R.
    var tileContext: Int { get }
    /// Decodes the tiles `range` (row-major indices) of a grid of tiles' token prefixes, `columns`
    /// tiles a row, each its own length; each tile sees its neighbours' tokens where the
    /// architecture can (`tileContext` > 0). The (range.count, 3, R, R) planes.
    func images(tileGrid tokens: [[UInt32]], columns: Int, range: Range<Int>) -> [Float]

    /// Floating-point operations (2 per multiply-add) of one image's encode, for throughput reports.
    var encoderFLOPs: Double { get }
    /// Lines describing the network, for `vtok info --model`.
    var summary: [String] { get }
}

/// A tokenizer architecture's hyperparameters: stored as JSON in every model file (`vtok.config`,
/// with the name in `vtok.architecture`) and in training configs under `model`.
public protocol TokenizerArchitectureConfig: Codable, Equatable, Sendable {
    /// The registry key.
    static var architecture: String { get }
    /// The defaults: the recipe of the architecture's best model.
    init()
    /// The config stored in a model file, read the way files written before a field existed need.
    init(storedJSON: String) throws
    var shape: TokenizerShape { get }
    /// Checks the combinations the model cannot build, with a message naming the field.
    func validate() throws(TokenizerError)
    /// An untrained tokenizer of this config.
    func makeTokenizer() throws -> any ImageTokenizer
}

extension TokenizerArchitectureConfig {
    /// The stored fields over the defaults: a field added after a file was written takes its
    /// default, so a new field's default must be the behaviour the code had before it.
    public init(storedJSON json: String) throws {
        guard let stored = try JSONValue.objectFields(Data(json.utf8)) else {
            throw TokenizerError.invalidConfig("not a JSON object")
        }
        var fields = try JSONValue.objectFields(JSONEncoder().encode(Self()))!
        fields.merge(stored) { _, new in new }
        self = try JSONValue.decode(Self.self, fields: fields)
    }

    /// Key-sorted JSON, as model files store it.
    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try! encoder.encode(self), as: UTF8.self)
    }
}

/// What the codec and the container need to know of any tokenizer.
public struct TokenizerShape: Equatable, Sendable {
    /// Images (or tiles) are fitted to this square.
    public var resolution: Int
    /// The square the network reads and writes.
    public var workingResolution: Int
    /// K: tokens per image (or tile); every prefix 0...K decodes.
    public var maxTokens: Int
    /// A token is `groups` groups of `bitsPerGroup` bits.
    public var groups: Int
    public var bitsPerGroup: Int

    public init(resolution: Int, workingResolution: Int, maxTokens: Int, groups: Int, bitsPerGroup: Int) {
        self.resolution = resolution
        self.workingResolution = workingResolution
        self.maxTokens = maxTokens
        self.groups = groups
        self.bitsPerGroup = bitsPerGroup
    }

    public var bitsPerToken: Int { groups * bitsPerGroup }
    public var layout: TokenLayout { TokenLayout(groups: groups, bitsPerGroup: bitsPerGroup) }
}

/// What one training step measured. `reconstruction` is the mean squared error per pixel and
/// channel on the [0, 1] scale (PSNR = −10·log10 of it), `perSample` the same per image; `terms`
/// are the architecture's other loss terms by name, in the order progress lines show them.
public struct TrainingLosses: Sendable {
    public var total: Float
    public var reconstruction: Float
    public var perSample: [Float]
    public var terms: [(name: String, value: Float)]

    public init(total: Float, reconstruction: Float, perSample: [Float], terms: [(name: String, value: Float)]) {
        self.total = total
        self.reconstruction = reconstruction
        self.perSample = perSample
        self.terms = terms
    }
}

extension ImageTokenizer {
    public static var architecture: String { Config.architecture }
    public var tileContext: Int { 0 }
    public func images(tileGrid tokens: [[UInt32]], columns: Int, range: Range<Int>) -> [Float] { images(tokens: Array(tokens[range])) }
    public var shape: TokenizerShape { config.shape }
    public var input: TokenizerInput { TokenizerInput(shape: config.shape) }
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.count } }

    /// The current weights with the architecture, the config, the learned prior if any, and
    /// `extraMetadata` (e.g. a training record): a model file.
    public func weightsFile(extraMetadata: [String: String] = [:]) -> WeightsFile {
        var metadata = extraMetadata
        metadata[TokenizerRegistry.architectureKey] = Config.architecture
        metadata[TokenizerRegistry.configKey] = config.json
        if let prior = learnedPrior() { metadata[TokenizerRegistry.priorKey] = prior.serialized }
        var file = WeightsFile(metadata: metadata)
        file.add(parameters)
        return file
    }
}

/// The architectures a model file may name, and how a model file becomes a tokenizer.
public enum TokenizerRegistry {
    /// Every registered architecture's config type.
    public static let configTypes: [any TokenizerArchitectureConfig.Type] = [
        TransformerConfig.self,
        ConvolutionalConfig.self,
        LayeredConfig.self,
    ]

    /// Model file metadata keys.
    public static let architectureKey = "vtok.architecture"
    public static let configKey = "vtok.config"
    public static let priorKey = "vtok.prior"
    /// Files written before the registry existed name no architecture: they are all this one.
    public static let architectureOfUnnamedFiles = TransformerConfig.architecture

    public static var names: [String] { configTypes.map { $0.architecture } }

    public static func configType(named name: String) throws(TokenizerError) -> any TokenizerArchitectureConfig.Type {
        guard let type = configTypes.first(where: { $0.architecture == name }) else {
            throw .invalidConfig("unknown architecture \"\(name)\"; this vtok knows \(names.joined(separator: ", "))")
        }
        return type
    }

    /// The architecture and config a model file names.
    public static func config(of weights: WeightsFile) throws -> any TokenizerArchitectureConfig {
        let type = try configType(named: weights.metadata[architectureKey] ?? architectureOfUnnamedFiles)
        guard let json = weights.metadata[configKey] else {
            throw TokenizerError.invalidWeights("no \(configKey) metadata: not a vtok model file")
        }
        do {
            return try type.init(storedJSON: json)
        } catch {
            throw TokenizerError.invalidWeights("unreadable \(configKey) metadata: \(error)")
        }
    }

    /// A tokenizer built from a model file's architecture and config, loaded with its tensors.
    public static func tokenizer(weights: WeightsFile) throws -> any ImageTokenizer {
        let config = try config(of: weights)
        let tokenizer = try Parameter.withoutInitialValues { try config.makeTokenizer() }
        try weights.load(into: tokenizer.parameters)
        return tokenizer
    }
}

extension ImageTokenizer {
    /// A tokenizer of this architecture built from a model file and loaded with its tensors.
    public init(weights: WeightsFile) throws {
        let stored = try TokenizerRegistry.config(of: weights)
        guard let config = stored as? Config else {
            throw TokenizerError.invalidWeights("the file holds a \(type(of: stored).architecture) model, not a \(Config.architecture) one")
        }
        try self.init(config: config)
        try weights.load(into: parameters)
    }
}

/// A config of any registered architecture: what a training config holds under `model`. In JSON,
/// the architecture's fields plus `"architecture": name` (absent: the transformer, as before the
/// registry).
public struct ModelConfig: Codable, Equatable, Sendable {
    public var value: any TokenizerArchitectureConfig

    public init(_ value: any TokenizerArchitectureConfig) { self.value = value }

    public var architecture: String { type(of: value).architecture }
    public var shape: TokenizerShape { value.shape }
    public func validate() throws(TokenizerError) { try value.validate() }
    public func makeTokenizer() throws -> any ImageTokenizer { try value.makeTokenizer() }

    /// The defaults of the named architecture.
    public static func defaults(of architecture: String) throws(TokenizerError) -> ModelConfig {
        ModelConfig(try TokenizerRegistry.configType(named: architecture).init())
    }

    private enum Key: String, CodingKey { case architecture }

    public init(from decoder: any Decoder) throws {
        let name = try decoder.container(keyedBy: Key.self).decodeIfPresent(String.self, forKey: .architecture)
            ?? TokenizerRegistry.architectureOfUnnamedFiles
        value = try TokenizerRegistry.configType(named: name).init(from: decoder)
    }

    public func encode(to encoder: any Encoder) throws {
        try value.encode(to: encoder)
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(architecture, forKey: .architecture)
    }

    public static func == (a: ModelConfig, b: ModelConfig) -> Bool {
        a.architecture == b.architecture && a.value.json == b.value.json
    }
}
