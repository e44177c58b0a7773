#if canImport(FoundationEssentials)
import FoundationEssentials
import Glibc
#else
import Foundation
#endif
import VTokContainer
import VTokNN

extension TransformerTokenizer {
    /// The transformer learns no prior: `vtok prior` estimates one from its tokens' counts.
    public func learnedPrior() -> StaticTokenPrior? { nil }

    /// Counted multiply-add FLOPs (2 per multiply-add) of the encoder for one image: the patch
    /// embedding, the register pooling, every block's projections and attention products (as
    /// `vtok bench nn` counts them), and the projection to latents.
    public var encoderFLOPs: Double {
        let patches = Double(config.patchCount), registers = Double(config.registerCount), width = Double(config.width)
        let sequence = patches + registers
        let perBlock = 2 * sequence * width * width * Double(4 + 2 * config.mlpRatio) + 4 * sequence * sequence * width
        let latents = Double(config.tokensPerRegister * config.groups)
        return 2 * patches * Double(config.patchValues) * width
            + (config.spectralMixing ? 2 * registers * patches * width : 0)
            + perBlock * Double(config.encoderLayers)
            + 2 * registers * width * latents
    }

    public var summary: [String] {
        var lines = [
            "\(config.encoderLayers)+\(config.decoderLayers) transformer blocks of width \(config.width), \(config.heads) heads, patch \(config.patchSize), \(config.tokensPerRegister) tokens per register",
            "token groups: " + (config.groupCoding == .successive ? "successive (each group a \(config.bitsPerGroup)-bit scalar code)" : "independent sign bits"),
        ]
        let routes = [config.spectralMixing ? "registers start from 2D-DCT poolings of the patches" : nil,
                      config.linearPathTokens > 0 ? "linear path from the first \(config.linearPathTokens) tokens to pixels" : nil,
                      config.refinementChannels > 0 ? "convolutional head over the pixels and \(config.refinementChannels) feature maps" : nil]
            .compactMap { $0 }
        if !routes.isEmpty { lines.append("routes: " + routes.joined(separator: "; ")) }
        return lines
    }
}
