import VTokModel

/// The tiny models the tests build, configured here once: small enough for debug builds and for a
/// test to train in seconds, their quality beside the point. (The fuzz targets, compiled apart from
/// the package, keep their own.)
public enum TinyModels {
    /// A transformer on 16×16 working images in 4×4 patches, one decoder layer, 2 tokens a register.
    public static func transformer(resolution: Int = 32, maxTokens: Int = 8, groups: Int = 2, bitsPerGroup: Int = 4,
                                   encoderLayers: Int = 1, mlpRatio: Int = 4, linearPathTokens: Int = 4) -> TransformerConfig {
        var config = TransformerConfig()
        config.resolution = resolution
        config.workingResolution = 16
        config.patchSize = 4
        config.width = 32
        config.heads = 2
        config.encoderLayers = encoderLayers
        config.decoderLayers = 1
        config.mlpRatio = mlpRatio
        config.maxTokens = maxTokens
        config.tokensPerRegister = 2
        config.groups = groups
        config.bitsPerGroup = bitsPerGroup
        config.linearPathTokens = linearPathTokens
        return config
    }

    /// A convolutional model: 16×16 working, two stages to a 4×4×4 latent grid: 4 blocks a channel,
    /// 16 tokens of 4×3 bits.
    public static var convolutional: ConvolutionalConfig {
        var config = ConvolutionalConfig()
        config.resolution = 32
        config.workingResolution = 16
        config.stages = 2
        config.kernelSize = 3
        config.channels = 6
        config.latentChannels = 4
        config.rateWeight = 0.1
        return config
    }

    /// That convolutional model as the base (16 tokens), and a detail layer of 4 channels on 8×8-pixel
    /// blocks of the image's own pixels; fixed-size squares of 32.
    public static var layered: LayeredConfig {
        var config = LayeredConfig()
        config.resolution = 32
        config.base = convolutional
        var detail = convolutional
        detail.resolution = 16
        detail.workingResolution = 16
        detail.seed = 7
        config.detail = detail
        return config
    }

    /// `layered` with a refinement layer of 3 channels on the same 8×8-pixel blocks.
    public static var layeredWithRefinement: LayeredConfig {
        var config = layered
        var refinement = config.detail
        refinement.latentChannels = 3
        refinement.seed = 11
        config.refinements = [refinement]
        return config
    }
}
