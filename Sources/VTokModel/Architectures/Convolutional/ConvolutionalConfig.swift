#if canImport(FoundationEssentials)
import FoundationEssentials
import Glibc
#else
import Foundation
#endif

/// The hyperparameters of `ConvolutionalTokenizer`: Ballé-style convolutional transforms whose
/// quantized latent grid is cut into tokens, trained for rate and distortion.
public struct ConvolutionalConfig: TokenizerArchitectureConfig {
    public static let architecture = "convolutional"

    /// Images (or tiles) are fitted to this square.
    public var resolution = 256
    /// The square the transforms read and write (area-averaged from native, Lanczos back).
    public var workingResolution = 128
    /// Strided convolutions in the analysis (and transposed ones in the synthesis): the latent grid
    /// is workingResolution / 2^stages on a side.
    public var stages = 4
    public var kernelSize = 5
    /// Channels between the stages (N).
    public var channels = 64
    /// Channels of the latent grid (M): the token order's outer loop, coarse to fine.
    public var latentChannels = 96
    /// Bits of one latent value: it is rounded to one of 2^bitsPerGroup integer levels centred on 0.
    public var bitsPerGroup = 3
    /// A token is one latent channel's blockSide×blockSide block of values, one group each.
    public var blockSide = 2
    /// λ of the loss MSE·255² + λ·bits: the bits of the kept tokens per image under the learned
    /// prior, so λ is the squared-error (8-bit units, per pixel) a bit must buy.
    public var rateWeight: Float = 0.02
    /// When above 0, the rate weight falls with the token's position t: λ_t = λ·(h/(h + t))^p for
    /// this h and p = `rateWeightFallExponent`, so a bit of an early token must buy more distortion
    /// than a bit of a late one. A prefix code serves every budget, and the curve it should follow
    /// is steep at few bytes and shallow at many (WebP's slope falls about tenfold from 100 to 800
    /// bytes); 0: one λ for every token.
    public var rateWeightHalfTokens: Float = 0
    /// p of `rateWeightHalfTokens`: how fast λ_t falls past h.
    public var rateWeightFallExponent: Float = 1
    /// Temperature of the soft level assignments that let the rate reach the encoder.
    public var priorTemperature: Float = 0.5
    /// Initialisation seed.
    public var seed: UInt64 = 1

    public init() {}

    public var latentSide: Int { workingResolution >> stages }
    public var blocksPerChannel: Int { (latentSide / blockSide) * (latentSide / blockSide) }
    public var levels: Int { 1 << bitsPerGroup }
    public var groups: Int { blockSide * blockSide }
    public var maxTokens: Int { latentChannels * blocksPerChannel }

    /// λ_t / λ for the token at position t (see `rateWeightHalfTokens`).
    public func relativeRateWeight(token: Int) -> Float {
        rateWeightHalfTokens > 0 ? pow(rateWeightHalfTokens / (rateWeightHalfTokens + Float(token)), rateWeightFallExponent) : 1
    }

    public var shape: TokenizerShape {
        TokenizerShape(resolution: resolution, workingResolution: workingResolution, maxTokens: maxTokens,
                       groups: groups, bitsPerGroup: bitsPerGroup)
    }

    public func makeTokenizer() throws -> any ImageTokenizer { try ConvolutionalTokenizer(config: self) }

    public func validate() throws(TokenizerError) {
        func require(_ condition: Bool, _ message: String) throws(TokenizerError) {
            if !condition { throw .invalidConfig(message) }
        }
        try require(resolution > 0 && workingResolution > 0 && resolution % workingResolution == 0,
                    "resolution \(resolution) must be a multiple of workingResolution \(workingResolution)")
        try require(stages >= 1 && workingResolution % (1 << stages) == 0,
                    "workingResolution \(workingResolution) must be divisible by 2^stages (stages \(stages))")
        try require(kernelSize >= 3 && kernelSize % 2 == 1, "kernelSize \(kernelSize) must be odd and at least 3")
        try require(channels >= 1 && latentChannels >= 1, "channels and latentChannels must be at least 1")
        try require((1...8).contains(bitsPerGroup), "bitsPerGroup \(bitsPerGroup) must be in 1...8")
        try require(blockSide >= 1 && latentSide % blockSide == 0 && groups * bitsPerGroup <= 16,
                    "blockSide \(blockSide) must divide the latent side \(latentSide), with blockSide² × bitsPerGroup at most 16 bits a token")
        try require(maxTokens <= 4096, "latentChannels × blocks gives \(maxTokens) tokens; at most 4096")
        try require(rateWeight >= 0 && rateWeight.isFinite, "rateWeight must be 0 or more")
        try require(rateWeightHalfTokens >= 0 && rateWeightHalfTokens.isFinite, "rateWeightHalfTokens must be 0 or more")
        try require(rateWeightFallExponent > 0 && rateWeightFallExponent.isFinite, "rateWeightFallExponent must be positive")
        try require(priorTemperature > 0, "priorTemperature must be positive")
    }
}
