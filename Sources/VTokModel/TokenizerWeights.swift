import Foundation
import VTokContainer
import VTokNN

extension Tokenizer {
    /// The metadata key holding the config JSON in a weights file.
    public static let configMetadataKey = "vtok.config"

    /// A tokenizer built from a weights file's config and loaded with its tensors.
    public convenience init(weights: WeightsFile) throws {
        guard let json = weights.metadata[Tokenizer.configMetadataKey] else {
            throw TokenizerError.invalidWeights("no \(Tokenizer.configMetadataKey) metadata: not a vtok model file")
        }
        let config: TokenizerConfig
        do {
            config = try TokenizerConfig(storedJSON: json)
        } catch {
            throw TokenizerError.invalidWeights("unreadable \(Tokenizer.configMetadataKey) metadata: \(error)")
        }
        try self.init(config: config)
        try weights.load(into: parameters)
    }

    /// The current weights with the config in the metadata (plus `extraMetadata`, e.g. a model card).
    public func weightsFile(extraMetadata: [String: String] = [:]) -> WeightsFile {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = String(decoding: try! encoder.encode(config), as: UTF8.self)
        var file = WeightsFile(metadata: extraMetadata.merging([Tokenizer.configMetadataKey: json]) { _, ours in ours })
        file.add(parameters)
        return file
    }
}
