#if canImport(FoundationEssentials)
import FoundationEssentials
import Glibc
#else
import Foundation
#endif
import VTokContainer
import VTokImage
import VTokNN

/// Estimating a model's static prior (spec/vtok.md §15.1) from the tokens it gives a set of images,
/// and measuring what tokens cost under a prior.
public enum PriorEstimation {
    /// Token counts per position, group and value over `images`, each encoded as `vtok encode`
    /// does (whole image, all tokens).
    public static func counts(codec: VTokCodec, images: [RGBImage]) -> [Double] {
        let layout = codec.layout, positions = codec.shape.maxTokens
        let symbols = 1 << layout.bitsPerGroup
        var counts = [Double](repeating: 0, count: positions * layout.groups * symbols)
        for image in images {
            for tile in codec.encode(image).tokens {
                for (position, id) in tile.enumerated() {
                    for (group, value) in layout.groupIndices(of: id).enumerated() {
                        counts[(position * layout.groups + group) * symbols + value] += 1
                    }
                }
            }
        }
        return counts
    }

    /// A layered model's stored prior with the tables of its detail channels counted from `images`
    /// (each encoded at its own size, all tokens, as `vtok encode` does) plus `smoothing`, `contexts`
    /// tables a channel picked as spec §15.1.2 says, and the base's tables kept as they are, so that
    /// the base model's own files still read; so are the tables of the layers of the models it extends
    /// (`VTokCodec.leadingCodecs`), whose files it reads too. A learned density lags the transforms:
    /// channels the detail layer barely uses keep costing bits under it. The model must then say
    /// `contexts` and `contextWindow` in its config (`weightsFile(_:adding:config:)`).
    public static func layeredPrior(codec: VTokCodec, images: [RGBImage], smoothing: Double = 0.5,
                                    contexts: Int = 1, contextWindow: Int = 0) throws -> StaticTokenPrior {
        guard let stored = codec.prior, let coding = codec.codingPrior as? ChannelRunPrior else {
            throw TokenizerError.invalidWeights("not a layered model with a prior")
        }
        let keptChannels = codec.leadingCodecs.compactMap { ($0.tokenizer as? LayeredTokenizer)?.config.detailChannels }.max() ?? 0
        // (With one table a channel the window picks nothing.)
        guard keptChannels == 0 || (contexts == coding.contexts && (contexts == 1 || contextWindow == coding.contextWindow)) else {
            throw TokenizerError.invalidWeights("the model reads the files of the models it extends, whose tables it keeps: "
                                                + "their \(coding.contexts) tables a channel and window of \(coding.contextWindow) stay")
        }
        let layout = codec.layout, symbols = 1 << layout.bitsPerGroup
        let head = coding.headPositions + keptChannels * contexts
        let tableSize = layout.groups * symbols, tables = (coding.channels - keptChannels) * contexts
        let counting = try ChannelRunPrior(stored: .uniform(layout: layout, positions: head + tables),
                                           headPositions: coding.headPositions, blockPixels: coding.blockPixels,
                                           contexts: contexts, contextWindow: contextWindow)
        var counts = [Double](repeating: smoothing, count: tables * tableSize)
        for image in images {
            let tokens = codec.encode(image).tokens[0]
            let sized = counting.runs(width: image.width, height: image.height)
            let firstCounted = coding.headPositions + keptChannels * sized.runLength
            for (position, id) in tokens.enumerated() where position >= firstCounted {
                let table = sized.table(ofPosition: position, earlierTokens: tokens[..<position]) - head
                for (group, value) in layout.groupIndices(of: id).enumerated() {
                    counts[table * tableSize + group * symbols + value] += 1
                }
            }
        }
        let detail = try StaticTokenPrior.quantized(layout: layout, positions: tables, counts: counts)
        return try StaticTokenPrior(layout: layout, positions: head + tables,
                                    frequencies: Array(stored.frequencies.prefix(head * tableSize)) + detail.frequencies)
    }

    /// The prior from `counts` with `smoothing` added to every cell (add-½ by default, so that a
    /// value never seen in training still costs a bounded number of bits).
    public static func prior(layout: TokenLayout, positions: Int, counts: [Double], smoothing: Double = 0.5) throws -> StaticTokenPrior {
        try StaticTokenPrior.quantized(layout: layout, positions: positions, counts: counts.map { $0 + smoothing })
    }

    /// Mean bits per token of `tokens` (one list per tile) under `prior`, ideal code lengths: the
    /// cross-entropy that the range coder reaches to within its final bytes.
    public static func meanBits(of tokens: [[UInt32]], under prior: any TokenPrior, firstTokens limit: Int? = nil) -> Double {
        guard let rounds = tokens.map(\.count).min().map({ min($0, limit ?? $0) }), rounds > 0 else { return 0 }
        var bits = 0.0
        for place in TokenOrder(rounds: rounds, tiles: tokens.count) {
            let tile = tokens[place.tile], position = place.round
            let groups = prior.layout.groupIndices(of: tile[position])
            let tables = prior.tables(position: position, earlierTokens: tile[..<position])
            for group in 0..<prior.layout.groups {
                let table = tables[group]
                let frequency = table[table.startIndex + groups[group] + 1] - table[table.startIndex + groups[group]]
                bits -= log2(Double(frequency) / Double(RangeCoder.total))
            }
        }
        return bits / Double(rounds * tokens.count)
    }

    /// The weights file `bytes` with `prior` stored in its metadata (and `config`, when the prior
    /// needs another one), its tensors rewritten in the precision they were stored in, so unchanged.
    /// The result has a new model id.
    public static func weightsFile(_ bytes: [UInt8], adding prior: StaticTokenPrior,
                                   config: (any TokenizerArchitectureConfig)? = nil) throws -> [UInt8] {
        var weights = try WeightsFile(bytes: bytes)
        weights.metadata[VTokCodec.priorMetadataKey] = prior.serialized
        if let config { weights.metadata[TokenizerRegistry.configKey] = config.json }
        return try weights.serialized(as: weights.storedDType ?? .float32)
    }
}
