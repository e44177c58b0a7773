#if canImport(FoundationEssentials)
import FoundationEssentials
import Glibc
#else
import Foundation
#endif
import VTokNN

/// The tokenizer network: a 1D-token autoencoder in the FlexTok / One-D-Piece / WeTok family.
///
/// Encoder: the working-resolution image is cut into patches, embedded, and followed by learned
/// register positions, each of which adds a learned pooling of the patches that starts as one 2D
/// DCT basis function of the patch grid (`spectralMixing`: register 0 the mean, then rising
/// frequency); transformer blocks run with FlexTok's mask (patches see patches, register i
/// sees every patch and registers ≤ i), so the first registers never depend on later ones. Each
/// register emits `tokensPerRegister` tokens, each `groups` groups of `bitsPerGroup` sign bits
/// (`SuccessiveGQ`, or `GroupedLFQ` for `GroupCoding.independent`): token t comes from register
/// t / tokensPerRegister.
///
/// Decoder: tokens past the kept length k are zeroed (no kept token's values are all 0); each
/// group of `tokensPerRegister` tokens is embedded into one position; one learned query per patch
/// position follows (plus the transposed spectral mix of the token positions), and full-attention
/// blocks turn the queries into patches of the image. The
/// bits of the first tokens also feed a linear map straight to pixels, added to the output. With
/// `refinementChannels`, each query also writes feature maps, and a convolutional head over them
/// and the pixels corrects each pixel across the patch borders (`ConvolutionalRefinement`).
///
/// Images here are (B, 3, R, R) tensors at the working resolution R with values in [0, 1].
public final class TransformerTokenizer: ImageTokenizer {
    public let config: TransformerConfig

    private let encoder: Sequential
    private let encoderRegisters: LearnedTokens
    private let encoderBlocks: [TransformerBlock]
    private let encoderRegisterSlice: SequenceSlice
    private let encoderTokens: Regroup
    private let quantizer: any TokenQuantizer
    private let dropTokens = DropTokens()
    private let decoder: Sequential
    private let toPixels: Sequential
    private let linearPath: Linear?
    private let toFeatures: Sequential?
    private let refinement: ConvolutionalRefinement?
    private let loss = ReconstructionLoss(.meanSquaredError)

    private var normalizedInput: Tensor?
    private var prediction: Tensor?
    private var linearPathInput: Tensor?
    private var refinementInput: Tensor?
    private var pixelGradient: Tensor?
    private var featureGradient: Tensor?

    public let parameters: [Parameter]

    public init(config: TransformerConfig) throws {
        try config.validate()
        self.config = config
        var rng = SeededRandom(seed: config.seed)
        let width = config.width, patches = config.patchCount, registers = config.registerCount
        let tokens = config.maxTokens
        switch config.groupCoding {
        case .independent:
            quantizer = GroupedLFQ(groups: config.groups, bitsPerGroup: config.bitsPerGroup, temperature: config.entropyTemperature)
        case .successive:
            quantizer = SuccessiveGQ(groups: config.groups, bitsPerGroup: config.bitsPerGroup, temperature: config.entropyTemperature)
        }
        let registerLatents = config.tokensPerRegister * quantizer.latentsPerToken
        let registerValues = config.tokensPerRegister * quantizer.decoderValuesPerToken
        let patchLayout = PatchLayout(channels: 3, height: config.workingResolution, width: config.workingResolution,
                                      patchSize: config.patchSize)

        encoderRegisters = LearnedTokens(name: "encoder.registers", count: registers, width: width, placement: .after, rng: &rng)
        encoderBlocks = (0..<config.encoderLayers).map { i in
            TransformerBlock(name: "encoder.block\(i)", width: width, heads: config.heads, mlpRatio: config.mlpRatio,
                             mask: .causalWithin(patches..<patches + registers), rng: &rng)
        }
        encoderRegisterSlice = SequenceSlice(patches..<patches + registers)
        encoderTokens = Regroup(rowsPerSample: tokens, rowWidth: quantizer.latentsPerToken)
        var registerMixing: [any Layer] = [], queryMixing: [any Layer] = []
        if config.spectralMixing {
            let spectral = SpectralBasis.dct(side: config.patchGrid, count: registers)
            registerMixing = [SequenceMixing(name: "encoder.register_mixing", sources: 0..<patches, targetStart: patches,
                                             initialMatrix: spectral, targets: registers)]
            queryMixing = [SequenceMixing(name: "decoder.query_mixing", sources: 0..<registers, targetStart: registers,
                                          initialMatrix: SpectralBasis.transposed(spectral, rows: registers, columns: patches),
                                          targets: patches)]
        }
        encoder = Sequential([
            Patchify(patchLayout),
            Linear(name: "encoder.patch_embed", inputs: config.patchValues, outputs: width, rng: &rng),
            PositionEmbedding(name: "encoder.patch_position", length: patches, width: width, rng: &rng),
            encoderRegisters,
        ] + registerMixing + encoderBlocks + [
            encoderRegisterSlice,
            LayerNorm(name: "encoder.norm", width: width),
            Linear(name: "encoder.to_latent", inputs: width, outputs: registerLatents, rng: &rng),
            encoderTokens,
        ])

        let decoderBlocks = (0..<config.decoderLayers).map { i in
            TransformerBlock(name: "decoder.block\(i)", width: width, heads: config.heads, mlpRatio: config.mlpRatio,
                             rng: &rng)
        }
        decoder = Sequential([
            Regroup(rowsPerSample: registers, rowWidth: registerValues),
            Linear(name: "decoder.token_embed", inputs: registerValues, outputs: width, rng: &rng),
            PositionEmbedding(name: "decoder.token_position", length: registers, width: width, rng: &rng),
            LearnedTokens(name: "decoder.queries", count: patches, width: width, placement: .after, rng: &rng),
        ] + queryMixing + decoderBlocks + [
            SequenceSlice(registers..<registers + patches),
            LayerNorm(name: "decoder.norm", width: width),
        ])
        toPixels = Sequential([
            // Zero: an untrained decoder outputs flat mid-grey, not noise, and learns from there.
            Linear(name: "decoder.to_patch", inputs: width, outputs: config.patchValues, weightStd: 0, rng: &rng),
            Unpatchify(patchLayout),
        ])

        if config.linearPathTokens > 0 {
            let inputs = config.linearPathTokens * quantizer.decoderValuesPerToken
            linearPath = Linear(name: "decoder.linear_path", inputs: inputs, outputs: 3 * config.workingResolution * config.workingResolution,
                                bias: false, weightStd: 0.1 / Float(inputs).squareRoot(), rng: &rng)
        } else {
            linearPath = nil
        }
        if config.refinementChannels > 0 {
            let channels = config.refinementChannels
            let featureLayout = PatchLayout(channels: channels, height: config.workingResolution,
                                            width: config.workingResolution, patchSize: config.patchSize)
            toFeatures = Sequential([
                Linear(name: "decoder.to_features", inputs: width, outputs: featureLayout.tokenWidth, rng: &rng),
                Unpatchify(featureLayout),
            ])
            refinement = ConvolutionalRefinement(name: "decoder.refinement", inputChannels: 3 + channels,
                                                 hiddenChannels: config.refinementHiddenChannels, outputChannels: 3, rng: &rng)
        } else {
            toFeatures = nil
            refinement = nil
        }
        parameters = encoder.parameters + decoder.parameters + toPixels.parameters + (linearPath?.parameters ?? [])
            + (toFeatures?.parameters ?? []) + (refinement?.parameters ?? [])
    }

    // MARK: Training

    /// Forward and backward on a batch, sample b decoded from its first `keptLengths[b]` tokens.
    /// Gradients are added into `parameters` (the caller zeroes them and steps the optimiser).
    @discardableResult
    public func trainingStep(images: Tensor, keptLengths: [Int]) -> TrainingLosses {
        let output = forward(images: images, keptLengths: keptLengths)
        let reconstruction = loss.forward(output, normalizedInput!)
        let dOutput = loss.backward()
        var dPixels = dOutput, dFeatures: Tensor?
        if let refinement, let toFeatures {
            let dJoined = refinement.backward(dOutput)
            let split = splitChannels(dJoined)
            dPixels = split.pixels
            dFeatures = toFeatures.backward(split.features)
        }
        let dDecoded = toPixels.backward(dPixels)
        if let dFeatures { for i in 0..<dDecoded.count { dDecoded[i] += dFeatures[i] } }
        let dKept = decoder.backward(dDecoded)
        if let linearPath {
            let dPath = linearPath.backward(dPixels.reshaped([dPixels.shape[0], dPixels.count / dPixels.shape[0]]))
            addLinearPathGradient(dPath, into: dKept)
        }
        let dQuantized = dropTokens.backward(dKept)
        let dLatents = quantizer.backward(dQuantized, entropyWeight: config.entropyWeight,
                                          commitmentWeight: config.commitmentWeight)
        _ = encoder.backward(dLatents)
        // The model works on [-1, 1] images: MSE there is 4× the MSE on [0, 1].
        return TrainingLosses(total: reconstruction + config.entropyWeight * quantizer.entropyLoss
                                  + config.commitmentWeight * quantizer.commitmentLoss,
                              reconstruction: reconstruction / 4, perSample: loss.perSample.map { $0 / 4 },
                              terms: [("ent", quantizer.entropyLoss), ("row", quantizer.rowEntropy),
                                      ("code", quantizer.codeEntropy), ("commit", quantizer.commitmentLoss)])
    }

    private func forward(images: Tensor, keptLengths: [Int]) -> Tensor {
        let batch = images.shape[0]
        precondition(images.shape == [batch, 3, config.workingResolution, config.workingResolution],
                      "TransformerTokenizer: images \(images.shape), expects [B, 3, \(config.workingResolution), \(config.workingResolution)]")
        precondition(keptLengths.count == batch && keptLengths.allSatisfy { (0...config.maxTokens).contains($0) },
                     "TransformerTokenizer: kept lengths \(keptLengths) for batch \(batch), K = \(config.maxTokens)")
        let latents = encoder.forward(normalized(images))
        let quantized = quantizer.forward(latents)
        return decode(quantized: quantized, keptLengths: keptLengths)
    }

    /// The decoder's output in [-1, 1] units: the patches plus the linear path, then the
    /// convolutional head.
    private func decode(quantized: Tensor, keptLengths: [Int]) -> Tensor {
        dropTokens.keptLengths = keptLengths
        let kept = dropTokens.forward(quantized)
        let queries = decoder.forward(kept)
        let decoded = toPixels.forward(queries)
        let pixels = Tensor.reuse(&prediction, shape: decoded.shape)
        pixels.copy(from: decoded)
        if let linearPath {
            let path = linearPath.forward(gatherLinearPathInput(kept))
            for i in 0..<pixels.count { pixels[i] += path[i] }
        }
        guard let refinement, let toFeatures else { return pixels }
        return refinement.forward(joinChannels(pixels, toFeatures.forward(queries)))
    }

    /// (B, 3 + C, R, R): the pixels' channels, then the feature maps', per sample.
    private func joinChannels(_ pixels: Tensor, _ features: Tensor) -> Tensor {
        let batch = pixels.shape[0], pixelSize = pixels.count / batch, featureSize = features.count / batch
        let joined = Tensor.reuse(&refinementInput, shape: [batch, pixels.shape[1] + features.shape[1]] + pixels.shape.suffix(2))
        for b in 0..<batch {
            let target = joined.pointer + b * (pixelSize + featureSize)
            target.update(from: pixels.pointer + b * pixelSize, count: pixelSize)
            (target + pixelSize).update(from: features.pointer + b * featureSize, count: featureSize)
        }
        return joined
    }

    /// The inverse of `joinChannels` for a gradient.
    private func splitChannels(_ joined: Tensor) -> (pixels: Tensor, features: Tensor) {
        let batch = joined.shape[0], plane = joined.shape[2] * joined.shape[3]
        let pixelSize = 3 * plane, featureSize = joined.count / batch - pixelSize
        let pixels = Tensor.reuse(&pixelGradient, shape: [batch, 3] + joined.shape.suffix(2))
        let features = Tensor.reuse(&featureGradient, shape: [batch, featureSize / plane] + joined.shape.suffix(2))
        for b in 0..<batch {
            let source = joined.pointer + b * (pixelSize + featureSize)
            (pixels.pointer + b * pixelSize).update(from: source, count: pixelSize)
            (features.pointer + b * featureSize).update(from: source + pixelSize, count: featureSize)
        }
        return (pixels, features)
    }

    /// (B, S·D): the bits of each sample's first S tokens (already zero where dropped).
    private func gatherLinearPathInput(_ kept: Tensor) -> Tensor {
        let batch = kept.shape[0], span = config.linearPathTokens * quantizer.decoderValuesPerToken
        let input = Tensor.reuse(&linearPathInput, shape: [batch, span])
        for b in 0..<batch {
            (input.pointer + b * span).update(from: kept.pointer + b * kept.count / batch, count: span)
        }
        return input
    }

    private func addLinearPathGradient(_ dPath: Tensor, into dKept: Tensor) {
        let batch = dKept.shape[0], span = config.linearPathTokens * quantizer.decoderValuesPerToken
        for b in 0..<batch {
            let target = dKept.pointer + b * dKept.count / batch
            for i in 0..<span { target[i] += dPath[b * span + i] }
        }
    }

    // MARK: Inference

    /// Continuous latents of the tokens of the first `registers` registers,
    /// (B, registers·tokensPerRegister, latents per token). Running with fewer registers gives the same
    /// first rows: the causal order among registers.
    public func latents(images: Tensor, registers: Int? = nil) -> Tensor {
        let count = registers ?? config.registerCount
        precondition((1...config.registerCount).contains(count), "TransformerTokenizer: \(count) registers of \(config.registerCount)")
        setActiveRegisters(count)
        defer { setActiveRegisters(config.registerCount) }
        return encoder.forward(normalized(images))
    }

    /// [0, 1] images as the [-1, 1] values the network reads; kept as the reconstruction target.
    private func normalized(_ images: Tensor) -> Tensor {
        let input = Tensor.reuse(&normalizedInput, shape: images.shape)
        for i in 0..<images.count { input[i] = images[i] * 2 - 1 }
        return input
    }

    private func setActiveRegisters(_ count: Int) {
        let patches = config.patchCount
        encoderRegisters.activeCount = count
        encoderRegisterSlice.range = patches..<patches + count
        encoderTokens.rowsPerSample = count * config.tokensPerRegister
        for block in encoderBlocks { block.attention.core.mask = .causalWithin(patches..<patches + count) }
    }

    /// All K token ids of every image.
    public func tokens(images: Tensor) -> [[UInt32]] {
        let latents = latents(images: images)
        let perImage = config.maxTokens * quantizer.latentsPerToken
        return (0..<images.shape[0]).map { b in
            quantizer.tokenIDs(latents: latents.pointer + b * perImage, rows: config.maxTokens)
        }
    }

    /// Images decoded from token prefixes (each sample's own length, 0...K), values in [0, 1].
    public func images(tokens: [[UInt32]]) -> [Float] {
        let values = quantizer.decoderValuesPerToken, perImage = config.maxTokens * values
        let quantized = Tensor(shape: [tokens.count, config.maxTokens, values])
        for (b, ids) in tokens.enumerated() {
            precondition(ids.count <= config.maxTokens, "TransformerTokenizer: \(ids.count) tokens, K = \(config.maxTokens)")
            quantizer.decoderValues(of: ids, into: quantized.pointer + b * perImage)
        }
        let output = decode(quantized: quantized, keptLengths: tokens.map(\.count))
        return output.values.map { $0 * 0.5 + 0.5 }
    }
}
