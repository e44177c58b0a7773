#if canImport(FoundationEssentials)
import FoundationEssentials
import Glibc
#else
import Foundation
#endif

/// Every hyperparameter of a tokenizer's architecture and losses. Stored as JSON in the weights
/// file's metadata (`vtok.config`), so a weights file is self-describing.
public struct TransformerConfig: TokenizerArchitectureConfig {
    public static let architecture = "transformer"

    /// Images (or tiles) are fitted to this square: the tokenizer's native resolution.
    public var resolution = 256
    /// The square the transformer reads and writes: the native image area-averaged by
    /// `resolution / workingResolution`, and upscaled back after decoding. The cheap stem that
    /// keeps the expensive layers on few positions.
    public var workingResolution = 64
    /// Patch side at the working resolution: (workingResolution / patchSize)² patch positions.
    public var patchSize = 8
    public var width = 192
    public var heads = 3
    public var encoderLayers = 3
    public var decoderLayers = 4
    public var mlpRatio = 4
    /// K: tokens per image (or tile); every prefix 0...K decodes.
    public var maxTokens = 256
    /// Tokens each encoder register emits and each decoder position embeds: K / tokensPerRegister
    /// transformer positions carry the K tokens, so the cost grows with registers, not tokens.
    public var tokensPerRegister = 4
    /// Group-wise lookup-free quantization: a token is `groups` groups of `bitsPerGroup` sign bits.
    public var groups = 4
    public var bitsPerGroup = 3
    /// How a group's sign bits are made (`GroupCoding`).
    public var groupCoding = GroupCoding.successive
    /// Registers start as 2D-DCT poolings of the patch grid (zigzag order, the mean first) and the
    /// decoder's patch queries as the transposed spread of the token positions; both mixing
    /// matrices are learned from there. Without it every register starts reading the same blur of
    /// the image and the later tokens stay near noise for thousands of steps.
    public var spectralMixing = true
    /// The first tokens also feed a linear decoder path straight to pixels (0 disables it): a path
    /// that learns fast, PCA-like, while the transformer learns what it misses.
    public var linearPathTokens = 16
    /// Feature channels of the decoder's convolutional head (0: no head). Each patch query also
    /// writes this many feature maps; two 3×3 convolutions over them and the decoded pixels correct
    /// each pixel from its neighbours, across the patch borders the transformer cannot see.
    public var refinementChannels = 16
    /// Hidden channels between the head's two convolutions.
    public var refinementHiddenChannels = 32
    /// Weight of the per-group entropy loss (mean per-sample entropy minus batch-code entropy).
    public var entropyWeight: Float = 0.01
    /// Temperature of the soft code assignments in the entropy loss.
    public var entropyTemperature: Float = 1
    /// Weight of the commitment loss pulling latents toward their signs.
    public var commitmentWeight: Float = 0.01
    /// Initialisation seed.
    public var seed: UInt64 = 1

    public init() {}

    /// Fields added after models were first shipped, with the value that rebuilds the architecture
    /// of a file written before them: such a file has no key for them.
    static let valuesOfFieldsAbsentFromOlderFiles: [String: JSONValue] = [
        "spectralMixing": .bool(false), "refinementChannels": .integer(0), "refinementHiddenChannels": .integer(32),
        "groupCoding": .string("independent"),
    ]

    /// The config stored in a weights file's metadata; a file from before a field existed gets the
    /// value that matches how it was trained.
    public init(storedJSON json: String) throws {
        guard var fields = try JSONValue.objectFields(Data(json.utf8)) else {
            throw TokenizerError.invalidConfig("not a JSON object")
        }
        for (name, value) in Self.valuesOfFieldsAbsentFromOlderFiles where fields[name] == nil {
            fields[name] = value
        }
        self = try JSONValue.decode(TransformerConfig.self, fields: fields)
    }

    public var bitsPerToken: Int { groups * bitsPerGroup }
    public var shape: TokenizerShape {
        TokenizerShape(resolution: resolution, workingResolution: workingResolution, maxTokens: maxTokens,
                       groups: groups, bitsPerGroup: bitsPerGroup)
    }
    public func makeTokenizer() throws -> any ImageTokenizer { try TransformerTokenizer(config: self) }
    public var registerCount: Int { maxTokens / tokensPerRegister }
    public var patchGrid: Int { workingResolution / patchSize }
    public var patchCount: Int { patchGrid * patchGrid }
    public var patchValues: Int { 3 * patchSize * patchSize }

    /// Checks the combinations the model cannot build, with a message naming the field.
    public func validate() throws(TokenizerError) {
        func require(_ condition: Bool, _ message: String) throws(TokenizerError) {
            if !condition { throw .invalidConfig(message) }
        }
        try require(resolution > 0 && workingResolution > 0 && resolution % workingResolution == 0,
                    "resolution \(resolution) must be a multiple of workingResolution \(workingResolution)")
        try require(patchSize > 0 && workingResolution % patchSize == 0,
                    "workingResolution \(workingResolution) must be a multiple of patchSize \(patchSize)")
        try require(width > 0 && heads > 0 && width % heads == 0, "width \(width) must be a multiple of heads \(heads)")
        try require(encoderLayers >= 1 && decoderLayers >= 1, "encoderLayers and decoderLayers must be at least 1")
        try require(maxTokens >= 1 && maxTokens <= 4096, "maxTokens \(maxTokens) must be in 1...4096")
        try require(tokensPerRegister >= 1 && maxTokens % tokensPerRegister == 0,
                    "maxTokens \(maxTokens) must be a multiple of tokensPerRegister \(tokensPerRegister)")
        try require(groups >= 1 && bitsPerGroup >= 1 && bitsPerGroup <= 12 && bitsPerToken <= 32,
                    "groups \(groups) x bitsPerGroup \(bitsPerGroup): bitsPerGroup must be 1...12 and the token at most 32 bits")
        try require(linearPathTokens >= 0 && linearPathTokens <= maxTokens,
                    "linearPathTokens \(linearPathTokens) must be in 0...maxTokens")
        try require(refinementChannels >= 0 && refinementHiddenChannels >= 1,
                    "refinementChannels must be at least 0 and refinementHiddenChannels at least 1")
        try require(entropyTemperature > 0, "entropyTemperature must be positive")
    }
}

/// How the b sign bits of a token's group are made from the encoder's latents.
public enum GroupCoding: String, Codable, Sendable {
    /// b latents per group, each its own projection, each sign-quantized (WeTok's LFQ,
    /// `GroupedLFQ`): the decoder reads the ±1 bits.
    case independent
    /// One latent per group; its b bits are the signs of its successive residuals, the binary
    /// digits of a b-bit uniform code (`SuccessiveGQ`): the decoder reads the code's value.
    case successive
}

public enum TokenizerError: Error, Equatable, CustomStringConvertible {
    case invalidConfig(String)
    case invalidWeights(String)
    case invalidTokens(String)

    public var description: String {
        switch self {
        case .invalidConfig(let message): return "invalid tokenizer config: \(message)"
        case .invalidWeights(let message): return "invalid model weights: \(message)"
        case .invalidTokens(let message): return "invalid tokens: \(message)"
        }
    }
}
