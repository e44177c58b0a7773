import VTokModel
import VTokTestModels

/// The small untrained model the CLI tests write (64-px tiles, 16×16 working resolution, 12 tokens
/// of `groups` × `bitsPerGroup` bits): fast to run, its quality beside the point.
enum TinyModel {
    static func config(groups: Int = 2, bitsPerGroup: Int = 5) -> TransformerConfig {
        TinyModels.transformer(resolution: 64, maxTokens: 12, groups: groups, bitsPerGroup: bitsPerGroup, mlpRatio: 2)
    }

    /// Writes the model's weights file (half precision) to `path`.
    static func write(to path: String, groups: Int = 2, bitsPerGroup: Int = 5) throws {
        try TransformerTokenizer(config: config(groups: groups, bitsPerGroup: bitsPerGroup)).weightsFile().write(to: path, as: .float16)
    }
}
