#if canImport(FoundationEssentials)
import FoundationEssentials
import Glibc
#else
import Foundation
#endif
import VTokContainer
import VTokNN

/// A learned transform codec whose latent grid is the token sequence (the shape of Ballé et al.'s
/// factorized-prior model, with vtok's tokens and prefix property).
///
/// Analysis: `stages` strided convolutions with GDN between them take the (B, 3, R, R) image to a
/// (B, M, h, h) latent grid, h = R / 2^stages. Each latent value is rounded to one of L = 2^b
/// integer levels (straight-through in training). A token is one channel's `blockSide`² block of
/// values, one group of b bits each; tokens run channel by channel (channel 0's blocks in raster
/// order first), so a prefix holds whole leading channels and part of the next one.
/// Synthesis: transposed convolutions with inverse GDN from the grid, where every value past the
/// kept prefix is 0, back to the image.
///
/// Training: per sample a kept length k (tail drop), the distortion on the image decoded from the
/// first k tokens, and the rate of those k tokens under a learned per-channel categorical prior
/// (`CategoricalPrior`), the very prior the container codes the tokens with: loss = MSE·255² + λ·bits
/// (each token's bits weighted by λ_t/λ when λ falls with the position, `rateWeightHalfTokens`).
/// So the first channels learn the coarse picture (every prefix needs them) and each later channel
/// carries what its bits buy.
public final class ConvolutionalTokenizer: ImageTokenizer {
    public let config: ConvolutionalConfig
    public let parameters: [Parameter]

    private let analysis: Sequential
    private let synthesis: Sequential
    private let quantizer: ScalarQuantizer
    private let prior: CategoricalPrior
    private let loss = ReconstructionLoss(.meanSquaredError)

    private var centred: Tensor?
    private var keptMask: Tensor?
    private var keptRateWeights: Tensor?
    private var keptLatents: Tensor?
    private var latentGradient: Tensor?
    private var decodedLatents: Tensor?
    private var reconstruction: Tensor?

    public convenience init(config: ConvolutionalConfig) throws { try self.init(config: config, namePrefix: "") }

    /// `namePrefix` goes before every parameter's name, so that two of these transforms can live in
    /// one model file (`LayeredTokenizer`'s "base." and "detail.").
    public init(config: ConvolutionalConfig, namePrefix: String) throws {
        try config.validate()
        self.config = config
        var rng = SeededRandom(seed: config.seed)
        let n = config.channels, m = config.latentChannels, k = config.kernelSize, pad = k / 2
        var encoder: [any Layer] = [], decoder: [any Layer] = []
        for stage in 0..<config.stages {
            let last = stage == config.stages - 1
            encoder.append(Conv2d(name: namePrefix + "analysis.conv\(stage)", inputChannels: stage == 0 ? 3 : n,
                                  outputChannels: last ? m : n, kernelSize: k, stride: 2, padding: pad, rng: &rng))
            if !last { encoder.append(GDN(name: namePrefix + "analysis.gdn\(stage)", channels: n)) }
        }
        for stage in 0..<config.stages {
            let last = stage == config.stages - 1
            decoder.append(TransposedConv2d(name: namePrefix + "synthesis.deconv\(stage)", inputChannels: stage == 0 ? m : n,
                                            outputChannels: last ? 3 : n, kernelSize: k, stride: 2, padding: pad,
                                            outputPadding: 1, rng: &rng))
            if !last { decoder.append(GDN(name: namePrefix + "synthesis.igdn\(stage)", channels: n, inverse: true)) }
        }
        analysis = Sequential(encoder)
        synthesis = Sequential(decoder)
        quantizer = ScalarQuantizer(levels: config.levels)
        prior = CategoricalPrior(name: namePrefix + "prior", channels: m, levels: config.levels, temperature: config.priorTemperature)
        parameters = analysis.parameters + synthesis.parameters + prior.parameters
    }

    private var latentShape: (channels: Int, side: Int) { (config.latentChannels, config.latentSide) }

    /// The latent value index of group `group` of token `token` within one sample's (M, h, h) grid.
    @inline(__always)
    func latentIndex(token: Int, group: Int) -> Int {
        latentIndex(token: token, group: group, blocks: blocks(width: config.workingResolution, height: config.workingResolution))
    }

    // MARK: Training

    public func trainingStep(images: Tensor, keptLengths: [Int]) -> TrainingLosses {
        let batch = images.shape[0]
        precondition(images.shape == [batch, 3, config.workingResolution, config.workingResolution],
                     "ConvolutionalTokenizer: images \(images.shape), expects [B, 3, \(config.workingResolution), \(config.workingResolution)]")
        precondition(keptLengths.count == batch && keptLengths.allSatisfy { (0...config.maxTokens).contains($0) },
                     "ConvolutionalTokenizer: kept lengths \(keptLengths) for batch \(batch), K = \(config.maxTokens)")
        let latents = analysis.forward(center(images))
        let quantized = quantizer.forward(latents)
        let mask = Tensor.reuse(&keptMask, shape: latents.shape)
        let rateWeights = Tensor.reuse(&keptRateWeights, shape: latents.shape)
        mask.fill(0)
        rateWeights.fill(0)
        let perSample = latents.count / batch
        for b in 0..<batch {
            for token in 0..<keptLengths[b] {
                let weight = config.relativeRateWeight(token: token)
                for group in 0..<config.groups {
                    let index = b * perSample + latentIndex(token: token, group: group)
                    mask[index] = 1
                    rateWeights[index] = weight
                }
            }
        }
        let kept = Tensor.reuse(&keptLatents, shape: latents.shape)
        for i in 0..<kept.count { kept[i] = quantized[i] * mask[i] }
        let output = synthesis.forward(kept)
        let distortion = loss.forward(output, centred!)
        // The kept tokens' bits, then (what the gradient follows) the same with each token's λ_t/λ.
        let bits = prior.forward(latents: latents, weights: mask)
        let weightedBits = config.rateWeightHalfTokens > 0 ? prior.forward(latents: latents, weights: rateWeights) : bits

        // loss/255² = MSE + (λ/255²)·bits: the distortion on the [0, 1] scale keeps gradients near 1.
        let rateScale = config.rateWeight / (255 * 255)
        let dKept = synthesis.backward(loss.backward())
        let dLatents = Tensor.reuse(&latentGradient, shape: latents.shape)
        let dQuantized = quantizer.backward(dKept)
        let dRate = prior.backward(scale: rateScale)
        for i in 0..<dLatents.count { dLatents[i] = dQuantized[i] * mask[i] + dRate[i] }
        _ = analysis.backward(dLatents)
        let pixels = Float(config.workingResolution * config.workingResolution)
        return TrainingLosses(total: distortion + rateScale * weightedBits, reconstruction: distortion, perSample: loss.perSample,
                              terms: [("bits", bits), ("bpp", bits / pixels)])
    }

    /// Images minus ½: the transforms see values centred on 0; kept as the reconstruction target.
    private func center(_ images: Tensor) -> Tensor {
        let x = Tensor.reuse(&centred, shape: images.shape)
        for i in 0..<images.count { x[i] = images[i] - 0.5 }
        return x
    }

    // MARK: Inference

    /// Tokens of the central R×R of each image; images of side R + 2c (c a multiple of 2^stages)
    /// read c pixels of context on every side (`tileContext`). The analysis runs channels-last
    /// (`Layer.inferChannelsLast`), the encoder's fast path.
    public func tokens(images: Tensor) -> [[UInt32]] {
        let latents = analysis.inferChannelsLast(center(images).transposedChannels(toLast: true))
        let (m, side) = latentShape, grid = latents.shape[1], margin = (grid - side) / 2
        precondition(latents.shape[2] == grid && margin >= 0 && grid == side + 2 * margin,
                     "ConvolutionalTokenizer: images \(images.shape) give a \(grid)x\(latents.shape[2]) latent grid for a \(side)x\(side) centre")
        let perSample = m * grid * grid, layout = config.shape.layout
        return (0..<images.shape[0]).map { b in
            let values = latents.pointer + b * perSample
            return (0..<config.maxTokens).map { token in
                layout.tokenID { group in
                    let index = latentIndex(token: token, group: group)
                    let c = index / (side * side), y = index / side % side, x = index % side
                    return quantizer.symbol(of: values[((y + margin) * grid + x + margin) * m + c])
                }
            }
        }
    }

    public func images(tokens: [[UInt32]]) -> [Float] {
        let (m, side) = latentShape, perSample = m * side * side
        let latents = Tensor.reuse(&decodedLatents, shape: [tokens.count, m, side, side])
        for (b, ids) in tokens.enumerated() { writeLatents(of: ids, into: latents.pointer + b * perSample) }
        let output = synthesised(latents)
        return output.values.map { $0 + 0.5 }
    }

    /// The synthesis of (B, M, h, w) latents, as `forward` computes it, through the channels-last
    /// kernels (`Layer.inferChannelsLast`): the decoder's path, with no backward to follow.
    private func synthesised(_ latents: Tensor) -> Tensor {
        synthesis.inferChannelsLast(latents.transposedChannels(toLast: true)).transposedChannels(toLast: false)
    }

    /// The (M, h, h) latent values of a token prefix; past it 0.
    private func writeLatents(of ids: [UInt32], into values: UnsafeMutablePointer<Float>) {
        precondition(ids.count <= config.maxTokens, "ConvolutionalTokenizer: \(ids.count) tokens, K = \(config.maxTokens)")
        let layout = config.shape.layout
        let plane = config.latentSide * config.latentSide
        values.update(repeating: 0, count: config.latentChannels * plane)
        for (token, id) in ids.enumerated() {
            for (group, symbol) in layout.groupIndices(of: id).enumerated() {
                values[latentIndex(token: token, group: group)] = quantizer.value(of: symbol)
            }
        }
    }

    // MARK: Any size

    /// Pixels of the image per token block on a side: an image of any size is padded to a multiple.
    public var blockPixels: Int { config.blockSide << config.stages }

    /// Tokens of a width×height image coded at its own resolution: every channel covers the whole
    /// image, ⌈w/P⌉·⌈h/P⌉ blocks of P = `blockPixels` pixels, so the first channels describe all of it.
    public func tokenCount(width: Int, height: Int) -> Int {
        config.latentChannels * blocks(width: width, height: height).count
    }

    func blocks(width: Int, height: Int) -> (rows: Int, columns: Int, count: Int) {
        let p = blockPixels, rows = (height + p - 1) / p, columns = (width + p - 1) / p
        return (rows, columns, rows * columns)
    }

    /// The index of group `group` of token `token` in a (M, h, w) latent grid of `columns` blocks a row.
    @inline(__always)
    func latentIndex(token: Int, group: Int, blocks: (rows: Int, columns: Int, count: Int)) -> Int {
        let block = config.blockSide, h = blocks.rows * block, w = blocks.columns * block
        let channel = token / blocks.count, index = token % blocks.count
        let y = (index / blocks.columns) * block + group / block, x = (index % blocks.columns) * block + group % block
        return (channel * h + y) * w + x
    }

    /// All tokens of one image at its own resolution: `planes` is (1, 3, H, W) with values in [0, 1]
    /// and sides that are multiples of `blockPixels` (pad first). Images of more than
    /// `windowPixels` are analysed in windows, as `centredPlanes` synthesises them.
    public func tokens(paddedPlanes planes: Tensor, windowSide: Int? = nil) -> [UInt32] {
        let height = planes.shape[2], width = planes.shape[3], p = blockPixels
        precondition(planes.shape[0] == 1 && planes.shape[1] == 3 && height % p == 0 && width % p == 0,
                     "ConvolutionalTokenizer: planes \(planes.shape), sides must be multiples of \(p)")
        let latents = channelsLastLatents(of: planes, windowSide: windowSide)
        let m = config.latentChannels, grid = blocks(width: width, height: height), layout = config.shape.layout
        let w = grid.columns * config.blockSide, h = grid.rows * config.blockSide
        return (0..<tokenCount(width: width, height: height)).map { token in
            layout.tokenID { group in
                let index = latentIndex(token: token, group: group, blocks: grid)
                let c = index / (h * w), pixel = index % (h * w)
                return quantizer.symbol(of: latents[pixel * m + c])
            }
        }
    }

    /// The (1, H/2^S, W/2^S, M) latents of (1, 3, H, W) planes, whole or in windows of `windowSide`²
    /// pixels, each read with `latentContext` latent pixels of context on every side (the analysis
    /// reaches no further, so the windows give one pass's latents, up to float rounding).
    private func channelsLastLatents(of planes: Tensor, windowSide: Int?) -> Tensor {
        let height = planes.shape[2], width = planes.shape[3], scale = 1 << config.stages
        guard let windows = latentWindows(width: width, height: height, side: windowSide) else {
            return analysis.inferChannelsLast(center(planes).transposedChannels(toLast: true))
        }
        let m = config.latentChannels, w = width / scale
        let latents = Tensor(shape: [1, height / scale, w, m])
        for window in windows {
            let rows = window.read.rows, columns = window.read.columns
            let windowHeight = rows.count * scale, windowWidth = columns.count * scale
            let pixels = Tensor(shape: [1, 3, windowHeight, windowWidth])
            for c in 0..<3 {
                for y in 0..<windowHeight {
                    (pixels.pointer + (c * windowHeight + y) * windowWidth)
                        .update(from: planes.pointer + (c * height + rows.lowerBound * scale + y) * width + columns.lowerBound * scale,
                                count: windowWidth)
                }
            }
            let windowLatents = analysis.inferChannelsLast(center(pixels).transposedChannels(toLast: true))
            for (y, gridY) in window.own.rows.enumerated() {
                (latents.pointer + (gridY * w + window.own.columns.lowerBound) * m)
                    .update(from: windowLatents.pointer + ((window.ownOffset.y + y) * columns.count + window.ownOffset.x) * m,
                            count: window.own.columns.count * m)
            }
        }
        return latents
    }

    /// A window of the latent grid: the latent pixels it decides (`own`), those it reads (`read`:
    /// `own` and `latentContext` around it, clamped to the grid), and where `own` lies in `read`.
    struct LatentWindow {
        let own: (rows: Range<Int>, columns: Range<Int>)
        let read: (rows: Range<Int>, columns: Range<Int>)
        var ownOffset: (y: Int, x: Int) { (own.rows.lowerBound - read.rows.lowerBound, own.columns.lowerBound - read.columns.lowerBound) }
    }

    /// The windows that cover a width×height image's latent grid, or nil for one pass: windows of
    /// `side` pixels when given, else of `windowSide` for images over `windowPixels`.
    func latentWindows(width: Int, height: Int, side: Int?) -> [LatentWindow]? {
        guard let side = side ?? (width * height > Self.windowPixels ? Self.windowSide : nil), side < width || side < height else {
            return nil
        }
        let scale = 1 << config.stages, own = side / scale, margin = latentContext, h = height / scale, w = width / scale
        precondition(own > 0 && side % blockPixels == 0, "ConvolutionalTokenizer: windows of \(side) px, not a multiple of \(blockPixels)")
        return stride(from: 0, to: h, by: own).flatMap { top in
            stride(from: 0, to: w, by: own).map { left in
                LatentWindow(own: (top..<min(h, top + own), left..<min(w, left + own)),
                             read: (max(0, top - margin)..<min(h, top + own + margin), max(0, left - margin)..<min(w, left + own + margin)))
            }
        }
    }

    /// The (1, 3, H, W) planes (values centred on 0, as the synthesis writes them) that a prefix of
    /// an H×W image's tokens decodes to; H and W multiples of `blockPixels`. Images of more than
    /// `windowPixels` are synthesised in windows of `windowSide`² pixels (default `Self.windowSide`),
    /// each from its latents and `latentContext` latent pixels of its neighbours' on every side: the
    /// synthesis reaches no further, so the windows join as one pass would (up to float rounding),
    /// in memory bounded by a window instead of the image.
    public func centredPlanes(tokens ids: [UInt32], paddedWidth width: Int, paddedHeight height: Int,
                              windowSide: Int? = nil) -> Tensor {
        let grid = blocks(width: width, height: height), m = config.latentChannels
        precondition(width % blockPixels == 0 && height % blockPixels == 0 && ids.count <= m * grid.count,
                     "ConvolutionalTokenizer: \(ids.count) tokens for a \(width)x\(height) image")
        let h = grid.rows * config.blockSide, w = grid.columns * config.blockSide
        let latents = Tensor(shape: [1, m, h, w])
        let layout = config.shape.layout
        for (token, id) in ids.enumerated() {
            for (group, symbol) in layout.groupIndices(of: id).enumerated() {
                latents[latentIndex(token: token, group: group, blocks: grid)] = quantizer.value(of: symbol)
            }
        }
        guard let windows = latentWindows(width: width, height: height, side: windowSide) else { return synthesised(latents) }
        let scale = 1 << config.stages
        let output = Tensor(shape: [1, 3, height, width])
        for window in windows {
            let rows = window.read.rows, columns = window.read.columns
            let windowLatents = Tensor(shape: [1, m, rows.count, columns.count])
            for c in 0..<m {
                for (y, gridY) in rows.enumerated() {
                    (windowLatents.pointer + (c * rows.count + y) * columns.count)
                        .update(from: latents.pointer + (c * h + gridY) * w + columns.lowerBound, count: columns.count)
                }
            }
            let pixels = synthesised(windowLatents)
            // The window's own pixels, past the context it read.
            let windowWidth = columns.count * scale, windowHeight = rows.count * scale
            let skipY = window.ownOffset.y * scale, skipX = window.ownOffset.x * scale, ownWidth = window.own.columns.count * scale
            for c in 0..<3 {
                for y in 0..<window.own.rows.count * scale {
                    (output.pointer + (c * height + window.own.rows.lowerBound * scale + y) * width + window.own.columns.lowerBound * scale)
                        .update(from: pixels.pointer + (c * windowHeight + skipY + y) * windowWidth + skipX, count: ownWidth)
                }
            }
        }
        return output
    }

    /// Above this many pixels an image is analysed and synthesised in windows of `windowSide` pixels.
    public static let windowPixels = 1 << 20
    public static let windowSide = 512

    // MARK: Tiles without seams

    /// Latent pixels of context a tile needs on every side: the larger of the analysis' reach,
    /// (k/2)·(2^S − 1) working pixels, and the synthesis' (a transposed convolution's output pixel
    /// reads input within k/2 of its own pixels, at its stage's scale), rounded up to whole latent pixels. With it a
    /// tile's latents and its decoded pixels are those of the whole image's grid, so the tiles join
    /// as one convolutional decode of the whole grid would.
    public var latentContext: Int {
        let stages = config.stages, scale = 1 << stages, halfKernel = config.kernelSize / 2
        // Both in working pixels: a pixel of stage s's input is 2^(S − s) of them.
        let analysisReach = halfKernel * (scale - 1)
        let synthesisReach = (0..<stages).reduce(0) { total, stage in
            total + (halfKernel << (stages - stage - 1))
        }
        return (max(analysisReach, synthesisReach) + scale - 1) / scale
    }

    public var tileContext: Int { latentContext << config.stages }

    /// Each tile decoded from a window of the whole grid's latents: its own and `latentContext`
    /// latent pixels of its neighbours' on every side (0 past the grid's edge), the output's
    /// centre kept.
    public func images(tileGrid tokens: [[UInt32]], columns: Int, range: Range<Int>) -> [Float] {
        precondition(columns >= 1 && tokens.count % columns == 0 && range.clamped(to: 0..<tokens.count) == range,
                     "ConvolutionalTokenizer: \(tokens.count) tiles in rows of \(columns), range \(range)")
        let (m, side) = latentShape, margin = latentContext, window = side + 2 * margin, rows = tokens.count / columns
        var tileLatents: [Int: [Float]] = [:]
        func latents(ofTile index: Int) -> [Float] {
            if let cached = tileLatents[index] { return cached }
            var values = [Float](repeating: 0, count: m * side * side)
            values.withUnsafeMutableBufferPointer { writeLatents(of: tokens[index], into: $0.baseAddress!) }
            tileLatents[index] = values
            return values
        }
        let windows = Tensor.reuse(&decodedLatents, shape: [range.count, m, window, window])
        windows.fill(0)
        for (b, tile) in range.enumerated() {
            let tileRow = tile / columns, tileColumn = tile % columns
            for y in 0..<window {
                let gridY = tileRow * side + y - margin
                guard gridY >= 0 && gridY < rows * side else { continue }
                for x in 0..<window {
                    let gridX = tileColumn * side + x - margin
                    guard gridX >= 0 && gridX < columns * side else { continue }
                    let source = latents(ofTile: (gridY / side) * columns + gridX / side)
                    let offset = (gridY % side) * side + gridX % side
                    for c in 0..<m { windows[((b * m + c) * window + y) * window + x] = source[c * side * side + offset] }
                }
            }
        }
        // Layer by layer, every feature map cleared past the whole grid's edge: the whole grid's
        // decode has nothing there (its convolutions pad with zeros, its transposed ones drop what
        // falls outside), where a window would hold the layers' biases and carry them back inside
        // (a transposed convolution's edge pixels read the window's pixels past the edge).
        func clearOutsideTheGrid(_ maps: Tensor) {
            let mapSide = maps.shape[2], scale = mapSide / window, planes = maps.shape[1]
            for (b, tile) in range.enumerated() {
                // Where the whole grid lies in this window, in this map's pixels.
                let top = (margin - tile / columns * side) * scale, left = (margin - tile % columns * side) * scale
                let rowsInside = max(0, top)..<min(mapSide, top + rows * side * scale)
                let columnsInside = max(0, left)..<min(mapSide, left + columns * side * scale)
                if rowsInside.count == mapSide && columnsInside.count == mapSide { continue }
                for plane in 0..<planes {
                    let values = maps.pointer + (b * planes + plane) * mapSide * mapSide
                    for y in 0..<mapSide {
                        let row = values + y * mapSide
                        guard rowsInside.contains(y) && !columnsInside.isEmpty else {
                            row.update(repeating: 0, count: mapSide)
                            continue
                        }
                        row.update(repeating: 0, count: columnsInside.lowerBound)
                        (row + columnsInside.upperBound).update(repeating: 0, count: mapSide - columnsInside.upperBound)
                    }
                }
            }
        }
        let output = synthesis.forward(windows, afterEachLayer: clearOutsideTheGrid)
        let r = config.workingResolution, outSide = output.shape[2], crop = (outSide - r) / 2
        var planes = [Float](repeating: 0, count: range.count * 3 * r * r)
        for b in 0..<range.count {
            for c in 0..<3 {
                for y in 0..<r {
                    let source = output.pointer + ((b * 3 + c) * outSide + y + crop) * outSide + crop
                    for x in 0..<r { planes[((b * 3 + c) * r + y) * r + x] = source[x] + 0.5 }
                }
            }
        }
        return planes
    }

    // MARK: Entropy model

    /// The learned per-channel prior as the container's table: every token of channel c codes each
    /// of its groups under channel c's distribution.
    public func learnedPrior() -> StaticTokenPrior? {
        let tables = prior.frequencies(total: RangeCoder.total)
        var frequencies: [UInt32] = []
        frequencies.reserveCapacity(config.maxTokens * config.groups * config.levels)
        for token in 0..<config.maxTokens {
            for _ in 0..<config.groups { frequencies += tables[token / config.blocksPerChannel] }
        }
        return try! StaticTokenPrior(layout: config.shape.layout, positions: config.maxTokens, frequencies: frequencies)
    }

    // MARK: Description

    public var encoderFLOPs: Double {
        var flops = 0.0, side = config.workingResolution, inputs = 3
        for stage in 0..<config.stages {
            side /= 2
            let outputs = stage == config.stages - 1 ? config.latentChannels : config.channels
            flops += 2 * Double(inputs * config.kernelSize * config.kernelSize * outputs * side * side)
            if stage < config.stages - 1 { flops += 2 * Double(outputs * outputs * side * side) }
            inputs = outputs
        }
        return flops
    }

    public var summary: [String] {
        [
            "\(config.stages) strided \(config.kernelSize)x\(config.kernelSize) convolutions with GDN (\(config.channels) channels) to a \(config.latentSide)x\(config.latentSide)x\(config.latentChannels) latent grid; transposed convolutions with inverse GDN back",
            "a token is one latent channel's \(config.blockSide)x\(config.blockSide) block, each value one of \(config.levels) levels; tokens run channel by channel",
            "trained for MSE·255² + λ·bits under its learned per-channel prior, λ = \(config.rateWeight)"
                + (config.rateWeightHalfTokens > 0
                   ? "·(\(config.rateWeightHalfTokens)/(\(config.rateWeightHalfTokens) + t))^\(config.rateWeightFallExponent) at token t" : ""),
        ]
    }
}
