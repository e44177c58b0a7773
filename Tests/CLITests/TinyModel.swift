import VTokModel

/// The small untrained model the CLI tests write (64-px tiles, 16×16 working resolution, 12 tokens
/// of `groups` × `bitsPerGroup` bits): fast to run, its quality beside the point.
enum TinyModel {
    static func config(groups: Int = 2, bitsPerGroup: Int = 5) -> TransformerConfig {
        var config = TransformerConfig()
        config.resolution = 64
        config.workingResolution = 16
        config.patchSize = 4
        config.width = 32
        config.heads = 2
        config.encoderLayers = 1
        config.decoderLayers = 1
        config.mlpRatio = 2
        config.maxTokens = 12
        config.tokensPerRegister = 2
        config.groups = groups
        config.bitsPerGroup = bitsPerGroup
        config.linearPathTokens = 4
        return config
    }

    /// Writes the model's weights file (half precision) to `path`.
    static func write(to path: String, groups: Int = 2, bitsPerGroup: Int = 5) throws {
        try TransformerTokenizer(config: config(groups: groups, bitsPerGroup: bitsPerGroup)).weightsFile().write(to: path, as: .float16)
    }
}
