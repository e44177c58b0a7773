/// The unfolding shared by `Conv2d` and `TransposedConv2d`: an image (C, H, W) on one side, a grid
/// of outHeight × outWidth kernel positions on the other. `unfold` (im2col) writes, for every kernel
/// position, the C·k·k image values the kernel covers; `fold` (col2im) is its exact adjoint, adding
/// each column entry back onto the pixel it was read from. A convolution is unfold then a product;
/// a transposed convolution is a product then fold, which is why one geometry serves both.
///
/// Columns of several samples sit side by side: a chunk of `count` samples is a (C·k·k, count·pixels)
/// matrix whose sample j starts at column j·pixels. One product then covers the whole chunk, where
/// a product per sample would be short (a stride-2 convolution of a 16×16 map has 64 output
/// pixels) and pay BLAS's fixed costs and the threads' wake-ups once per sample.
struct ConvolutionGeometry {
    let channels: Int, height: Int, width: Int
    let kernelSize: Int, stride: Int, padding: Int
    let outHeight: Int, outWidth: Int

    var depth: Int { channels * kernelSize * kernelSize }
    var pixels: Int { outHeight * outWidth }
    var imageSize: Int { channels * height * width }

    /// The kernel positions o (0..<outSize) whose tap at `offset` lands inside 0..<size:
    /// 0 ≤ o·stride − padding + offset < size. Computed once per row so that the inner loops have
    /// no bounds tests and the padding is a zero fill.
    @inline(__always)
    func insidePositions(offset: Int, size: Int, outSize: Int) -> Range<Int> {
        let shift = padding - offset  // o·stride ≥ shift and o·stride < size + shift
        let low = shift <= 0 ? 0 : (shift + stride - 1) / stride
        let last = size + shift - 1
        let high = last < 0 ? 0 : min(outSize, last / stride + 1)
        return min(low, high)..<high
    }

    /// im2col of `count` images (count, C, H, W) into columns (depth, count·pixels). Every entry is
    /// written, padding as zeros. Parallel over (row, sample) pairs, which write disjoint spans.
    func unfold(images: UnsafePointer<Float>, count: Int, into columns: UnsafeMutablePointer<Float>) {
        let k = kernelSize, s = stride, p = padding, pixels = pixels, rowLength = count * pixels
        let (height, width, outWidth, imageSize) = (height, width, outWidth, imageSize)
        let target = SendablePointer(columns)
        Parallel.forChunks(depth * count, workPerItem: pixels) { range in
            for item in range {
                let row = item / count, sample = item % count
                let c = row / (k * k), ky = row / k % k, kx = row % k
                let image = images + sample * imageSize + c * height * width
                let column = target.base + row * rowLength + sample * pixels
                let xs = self.insidePositions(offset: kx, size: width, outSize: outWidth)
                let ys = self.insidePositions(offset: ky, size: height, outSize: self.outHeight)
                for oy in 0..<self.outHeight {
                    let out = column + oy * outWidth
                    guard ys.contains(oy) else {
                        out.update(repeating: 0, count: outWidth)
                        continue
                    }
                    let source = image + (oy * s - p + ky) * width - p + kx
                    out.update(repeating: 0, count: xs.lowerBound)
                    switch s {
                    case 1: (out + xs.lowerBound).update(from: source + xs.lowerBound, count: xs.count)
                    case 2: copyEvenElements(from: source + 2 * xs.lowerBound, to: out + xs.lowerBound, count: xs.count)
                    default: for ox in xs { out[ox] = source[ox * s] }
                    }
                    (out + xs.upperBound).update(repeating: 0, count: outWidth - xs.upperBound)
                }
            }
        }
    }

    /// col2im: overwrites `count` images (count, C, H, W) with the sum of the column entries read
    /// from each pixel, the adjoint of `unfold`. Parallel over (sample, channel) planes: every
    /// plane gathers its own k·k rows, so no two workers add into the same pixel.
    func fold(columns: UnsafePointer<Float>, count: Int, into images: UnsafeMutablePointer<Float>) {
        let k = kernelSize, s = stride, p = padding, pixels = pixels, rowLength = count * pixels
        let (height, width, outWidth, imageSize) = (height, width, outWidth, imageSize)
        let target = SendablePointer(images)
        Parallel.forChunks(count * channels, workPerItem: k * k * pixels) { range in
            for item in range {
                let sample = item / self.channels, c = item % self.channels
                let plane = target.base + sample * imageSize + c * height * width
                plane.update(repeating: 0, count: height * width)
                for ky in 0..<k {
                    let ys = self.insidePositions(offset: ky, size: height, outSize: self.outHeight)
                    for kx in 0..<k {
                        let xs = self.insidePositions(offset: kx, size: width, outSize: outWidth)
                        let column = columns + ((c * k + ky) * k + kx) * rowLength + sample * pixels
                        for oy in ys {
                            let out = column + oy * outWidth
                            let pixelRow = plane + (oy * s - p + ky) * width - p + kx
                            for ox in xs { pixelRow[ox * s] += out[ox] }
                        }
                    }
                }
            }
        }
    }

    /// Splits a batch into runs of samples whose products have about `targetColumns` columns
    /// (samples·pixels, rounded up to whole samples; at least one sample a run) and whose columns
    /// stay within `budget` floats, of near-equal sizes so that no run is a short remainder.
    static func chunks(batch: Int, pixels: Int, floatsPerSample: Int, targetColumns: Int,
                       budget: Int = maximumColumnFloats) -> [Range<Int>] {
        let wanted = targetColumns <= 0 ? 1 : (targetColumns - 1) / max(pixels, 1) + 1
        let perChunk = max(1, min(batch, wanted, budget / max(floatsPerSample, 1)))
        let count = (batch + perChunk - 1) / perChunk
        return (0..<count).map { batch * $0 / count..<batch * ($0 + 1) / count }
    }
}

/// target[i] = source[2·i] for i in 0..<count, sixteen at a time: the rows of a stride-2 unfold.
/// A step reads source[2·i ..< 2·i + 16] and source[2·i + 15 ..< 2·i + 31] and keeps the even
/// elements of the one and the odd of the other, so it never reads past source[2·i + 30], the
/// last element it copies. A row whose length is not a multiple of 16 ends with a step that
/// overlaps the one before.
@inline(__always)
func copyEvenElements(from source: UnsafePointer<Float>, to target: UnsafeMutablePointer<Float>, count: Int) {
    guard count >= vectorWidth else {
        for i in 0..<count { target[i] = source[2 * i] }
        return
    }
    var i = 0
    while true {
        let front = load(source + 2 * i), back = load(source + 2 * i + vectorWidth - 1)
        store(Vector(lowHalf: front.evenHalf, highHalf: back.oddHalf), target + i)
        if i == count - vectorWidth { return }
        i = min(i + vectorWidth, count - vectorWidth)
    }
}

/// Moves `count` samples (count, channels, pixels) into one matrix (channels, count·pixels): the
/// layout the batched products read and write.
func gatherChannelMajor(_ source: UnsafePointer<Float>, count: Int, channels: Int, pixels: Int,
                        into target: UnsafeMutablePointer<Float>) {
    let out = SendablePointer(target)
    Parallel.forChunks(count * channels, workPerItem: pixels) { range in
        for item in range {
            let sample = item / channels, c = item % channels
            (out.base + c * count * pixels + sample * pixels).update(from: source + item * pixels, count: pixels)
        }
    }
}

/// The inverse move, (channels, count·pixels) back to (count, channels, pixels), adding `bias[c]`
/// on the way when given, so that a convolution's bias costs no pass of its own.
func scatterSampleMajor(_ source: UnsafePointer<Float>, count: Int, channels: Int, pixels: Int,
                        bias: UnsafePointer<Float>? = nil, into target: UnsafeMutablePointer<Float>) {
    let out = SendablePointer(target)
    Parallel.forChunks(count * channels, workPerItem: pixels) { range in
        for item in range {
            let sample = item / channels, c = item % channels
            let from = source + c * count * pixels + sample * pixels, to = out.base + item * pixels
            if let bias {
                let b = Vector(repeating: bias[c])
                vectorLoop(0..<pixels) { i, lanes in store(load(from + i, lanes) + b, to + i, lanes) }
            } else {
                to.update(from: from, count: pixels)
            }
        }
    }
}

/// How many columns (samples·pixels) a convolution's product aims for: samples are batched until
/// a product is at least this long, and no further. Short products are what batching fixes (a
/// stride-2 convolution of a 16×16 map has 64 output pixels a sample); beyond about a thousand
/// columns BLAS runs at full speed and a longer product only pushes the columns out of the cache
/// between unfold, which writes them, and the product, which reads them. Measured on the codec's
/// batch-16 shapes (ConvCodecLayerTests.testConvolutionSpeed, 2 shared cores, 32 MB L3): this
/// target is within the run-to-run noise (±15%) of one sample per product overall, at times up
/// to 25% faster on the 16×16 maps, while whole-batch products (up to the 64 MB cap) ran the
/// 64×64 and 128×128 layers 20-40% slower. Most of the speed over the first version (1.5-1.7x)
/// came from `unfold` and `fold` working a row at a time instead of an entry at a time.
let defaultBatchColumns = 1024

/// Most floats of columns one product may use (2^24, 64 MB), whatever `defaultBatchColumns` asks.
let maximumColumnFloats = 1 << 24

/// Most floats of columns one `Conv2d.inferChannelsLast` piece unfolds (2 MB): pieces split a
/// sample only when its columns are larger than that.
let defaultInferenceColumnFloats = 1 << 19

/// 2D convolution on (B, Cin, H, W) → (B, Cout, Hout, Wout) as im2col + GEMM, batched over chunks
/// of samples (see `defaultBatchColumns`): a chunk unfolds into one (Cin·k·k, samples·pixels)
/// matrix and one product makes all their outputs, which a reorder then lays out as
/// (B, Cout, Hout, Wout); a chunk of one sample is laid out right already and skips the reorder.
/// The unfolded input of the whole batch is kept for backward's weight gradient (as the per-sample
/// version kept it); the product and column-gradient scratch is one chunk's. Unfolding again in
/// backward instead would save that memory but measured 10-40% slower on the codec's shapes.
public final class Conv2d: Layer {
    public let weight: Parameter
    public let bias: Parameter
    public let inputChannels: Int
    public let outputChannels: Int
    public let kernelSize: Int
    public let stride: Int
    public let padding: Int
    /// Columns a product aims for (see `defaultBatchColumns`); 0 runs one sample per product.
    var batchColumns = defaultBatchColumns
    /// Most floats of columns an `inferChannelsLast` piece unfolds (see `defaultInferenceColumnFloats`).
    var inferenceColumnFloats = defaultInferenceColumnFloats
    private var input: Tensor?
    private var columns: Tensor?
    private var pieceColumns: Tensor?
    private var pixelMajorWeight: Tensor?
    private var weightBehindPixelMajor: [Float] = []
    private var biasBehindPixelMajor: [Float] = []
    private var columnGradient: Tensor?
    private var product: Tensor?
    private var output: Tensor?
    private var inputGradient: Tensor?

    /// Weights (Cout, Cin·k·k) ~ N(0, 1/(Cin·k·k)).
    public init(name: String, inputChannels: Int, outputChannels: Int, kernelSize: Int, stride: Int = 1,
                padding: Int = 0, rng: inout SeededRandom) {
        self.inputChannels = inputChannels
        self.outputChannels = outputChannels
        self.kernelSize = kernelSize
        self.stride = stride
        self.padding = padding
        let fanIn = inputChannels * kernelSize * kernelSize
        weight = .normal(name: name + ".weight", shape: [outputChannels, inputChannels, kernelSize, kernelSize],
                         std: 1 / Float(fanIn).squareRoot(), decays: true, rng: &rng)
        bias = .constant(name: name + ".bias", shape: [outputChannels], value: 0, decays: false)
    }

    public var parameters: [Parameter] { [weight, bias] }

    private func outputSize(_ size: Int) -> Int { (size + 2 * padding - kernelSize) / stride + 1 }

    private func geometry(_ x: Tensor) -> ConvolutionGeometry {
        ConvolutionGeometry(channels: inputChannels, height: x.shape[2], width: x.shape[3], kernelSize: kernelSize,
                            stride: stride, padding: padding, outHeight: outputSize(x.shape[2]), outWidth: outputSize(x.shape[3]))
    }

    public func forward(_ x: Tensor) -> Tensor {
        precondition(x.shape.count == 4 && x.shape[1] == inputChannels, "Conv2d(\(weight.name)): input \(x.shape)")
        input = x
        let g = geometry(x), batch = x.shape[0], depth = g.depth, pixels = g.pixels, cout = outputChannels
        // Chunk after chunk, each (depth, samples·pixels).
        let chunks = ConvolutionGeometry.chunks(batch: batch, pixels: pixels, floatsPerSample: depth * pixels, targetColumns: batchColumns)
        let columns = Tensor.reuse(&columns, shape: [batch * depth * pixels])
        let y = Tensor.reuse(&output, shape: [batch, cout, g.outHeight, g.outWidth])
        weight.withValues { w in
            bias.withValues { bias in
                for chunk in chunks {
                    let n = chunk.count * pixels, column = columns.pointer + chunk.lowerBound * depth * pixels
                    let out = y.pointer + chunk.lowerBound * cout * pixels
                    g.unfold(images: x.pointer + chunk.lowerBound * g.imageSize, count: chunk.count, into: column)
                    if chunk.count == 1 {
                        // One sample is already laid out (Cout, pixels): the product lands in place.
                        for o in 0..<cout { (out + o * pixels).update(repeating: bias[o], count: pixels) }
                        gemm(m: cout, n: n, k: depth, a: w, lda: depth, b: column, ldb: n, beta: 1, c: out, ldc: n)
                    } else {
                        let product = Tensor.reuse(&self.product, shape: [cout, n])
                        gemm(m: cout, n: n, k: depth, a: w, lda: depth, b: column, ldb: n, c: product.pointer, ldc: n)
                        scatterSampleMajor(product.pointer, count: chunk.count, channels: cout, pixels: pixels, bias: bias, into: out)
                    }
                }
            }
        }
        return y
    }

    /// `forward` on channels-last tensors, (B, H, W, Cin) → (B, Hout, Wout, Cout), keeping nothing
    /// for backward: the encoder's path. Two things make it faster than `forward`:
    /// - the columns are pixel-major, one row of k·k·Cin values per output pixel, (ky, kx, c) in
    ///   order, so a row is k copies of k·Cin contiguous input values (stride-2 rows need no
    ///   gather), and the product has the pixels as its long side M and the output channels as N,
    ///   the orientation in which OpenBLAS runs these thin products near its 1024³ speed (a 1 at
    ///   the end of each row brings in the bias);
    /// - each worker takes whole pieces (some output rows of one sample), unfolds them into its own
    ///   scratch of at most about `inferenceColumnFloats` floats and multiplies them on its own
    ///   thread, straight into the output: one hand-off per layer, not two per product.
    /// A sample splits into as many pieces as its columns need, and at least enough for every worker.
    public func inferChannelsLast(_ x: Tensor) -> Tensor {
        precondition(x.shape.count == 4 && x.shape[3] == inputChannels, "Conv2d(\(weight.name)): channels-last input \(x.shape)")
        input = nil
        let batch = x.shape[0], height = x.shape[1], width = x.shape[2], cin = inputChannels, cout = outputChannels
        let k = kernelSize, s = stride, p = padding, taps = cin * k * k
        // A column row is the k·k·Cin inputs then a 1, whose weight is the bias: the product adds it.
        let depth = taps + 1
        let outHeight = outputSize(height), outWidth = outputSize(width), workers = Parallel.workerCount
        // The weights as (ky, kx, c) × Cout with the bias as the last row, made again only when the
        // weights or the bias changed since the last call.
        if pixelMajorWeight == nil || weightBehindPixelMajor != weight.value || biasBehindPixelMajor != bias.value {
            let kernel = Tensor(shape: [depth, cout])
            weight.withValues { w in
                for o in 0..<cout {
                    for c in 0..<cin {
                        for tap in 0..<k * k { kernel[(tap * cin + c) * cout + o] = w[(o * cin + c) * k * k + tap] }
                    }
                }
            }
            for o in 0..<cout { kernel[taps * cout + o] = bias.value[o] }
            pixelMajorWeight = kernel
            weightBehindPixelMajor = weight.value
            biasBehindPixelMajor = bias.value
        }
        let kernel = pixelMajorWeight!
        let rowFloats = depth * outWidth
        let piecesPerSample = min(outHeight, max((outHeight * rowFloats + inferenceColumnFloats - 1) / inferenceColumnFloats,
                                                 (workers + batch - 1) / batch))
        let rowsPerPiece = (outHeight + piecesPerSample - 1) / piecesPerSample
        let scratch = Tensor.reuse(&pieceColumns, shape: [workers * rowsPerPiece * rowFloats])
        let y = Tensor.reuse(&output, shape: [batch, outHeight, outWidth, cout])
        let xs = x.pointer, ys = SendablePointer(y.pointer), columns = SendablePointer(scratch.pointer), weights = kernel.pointer
        Parallel.forChunks(batch * piecesPerSample, workPerItem: cout * depth * outHeight * outWidth / piecesPerSample) { range, worker in
            let column = columns.base + worker * rowsPerPiece * rowFloats
            for item in range {
                let sample = item / piecesPerSample, piece = item % piecesPerSample
                // Rounding the rows per piece up can leave the last pieces past the end (64 rows in
                // 29 pieces of 3): those have nothing to do.
                let first = piece * rowsPerPiece
                guard first < outHeight else { continue }
                let rows = first..<min(outHeight, first + rowsPerPiece)
                let image = xs + sample * height * width * cin
                for oy in rows {
                    for ox in 0..<outWidth {
                        let row = column + ((oy - rows.lowerBound) * outWidth + ox) * depth
                        let left = ox * s - p, inside = max(0, -left)..<min(k, width - left)
                        for ky in 0..<k {
                            let run = row + ky * k * cin, iy = oy * s - p + ky
                            guard iy >= 0 && iy < height && !inside.isEmpty else {
                                run.update(repeating: 0, count: k * cin)
                                continue
                            }
                            run.update(repeating: 0, count: inside.lowerBound * cin)
                            let from = image + (iy * width + left + inside.lowerBound) * cin, length = inside.count * cin
                            if length < 64 {
                                // A few channels (the first layer's 3): a loop beats a memmove call.
                                for i in 0..<length { run[inside.lowerBound * cin + i] = from[i] }
                            } else {
                                (run + inside.lowerBound * cin).update(from: from, count: length)
                            }
                            (run + inside.upperBound * cin).update(repeating: 0, count: (k - inside.upperBound) * cin)
                        }
                        row[taps] = 1
                    }
                }
                let n = rows.count * outWidth, out = ys.base + (sample * outHeight + rows.lowerBound) * outWidth * cout
                serialGemm(m: n, n: cout, k: depth, a: column, lda: depth, b: weights, ldb: cout, c: out, ldc: cout)
            }
        }
        return y
    }

    public func backward(_ dOut: Tensor) -> Tensor {
        guard let x = input, let columns else { preconditionFailure("Conv2d.backward before forward") }
        let g = geometry(x), batch = x.shape[0], depth = g.depth, pixels = g.pixels, cout = outputChannels
        let dx = Tensor.reuse(&inputGradient, shape: x.shape)
        let chunks = ConvolutionGeometry.chunks(batch: batch, pixels: pixels, floatsPerSample: depth * pixels, targetColumns: batchColumns)
        let dColumns = Tensor.reuse(&columnGradient, shape: [chunks.map(\.count).max()! * depth * pixels])
        weight.withBuffers { w, dw in
            for chunk in chunks {
                let n = chunk.count * pixels, column = columns.pointer + chunk.lowerBound * depth * pixels
                var dy = dOut.pointer + chunk.lowerBound * cout * pixels
                if chunk.count > 1 {
                    let product = Tensor.reuse(&self.product, shape: [cout, n])
                    gatherChannelMajor(dy, count: chunk.count, channels: cout, pixels: pixels, into: product.pointer)
                    dy = product.pointer
                }
                gemm(transB: true, m: cout, n: depth, k: n, a: dy, lda: n, b: column, ldb: n, beta: 1, c: dw, ldc: depth)
                gemm(transA: true, m: depth, n: n, k: cout, a: w, lda: depth, b: dy, ldb: n, c: dColumns.pointer, ldc: n)
                g.fold(columns: dColumns.pointer, count: chunk.count, into: dx.pointer + chunk.lowerBound * g.imageSize)
            }
        }
        bias.withBuffers { _, db in addPlaneSums(dOut, into: db) }
        return dx
    }
}

/// db[c] += Σ over samples and pixels of dOut (B, C, H, W): a convolution's bias gradient.
func addPlaneSums(_ dOut: Tensor, into db: UnsafeMutablePointer<Float>) {
    let channels = dOut.shape[1], pixels = dOut.shape[2] * dOut.shape[3]
    for b in 0..<dOut.shape[0] {
        for c in 0..<channels { db[c] += sum(dOut.pointer + (b * channels + c) * pixels, pixels) }
    }
}

/// 2x upsampling of (B, C, H, W): nearest, or bilinear with half-pixel centres and edge clamping
/// (PyTorch's align_corners=false). Each output coordinate reads two source coordinates per axis
/// with weights; nearest is the case with weights (1, 0).
public final class Upsample2x: Layer {
    public enum Mode: Sendable { case nearest, bilinear }

    public let mode: Mode
    private var output: Tensor?
    private var inputGradient: Tensor?

    public init(_ mode: Mode) { self.mode = mode }

    public var parameters: [Parameter] { [] }

    struct Tap { let first: Int; let second: Int; let firstWeight: Float; let secondWeight: Float }

    func taps(_ size: Int) -> [Tap] {
        (0..<2 * size).map { o in
            switch mode {
            case .nearest:
                return Tap(first: o / 2, second: o / 2, firstWeight: 1, secondWeight: 0)
            case .bilinear:
                let source = max(Float(o) / 2 - 0.25, 0)
                let first = Int(source), fraction = source - Float(first)
                return Tap(first: first, second: min(first + 1, size - 1), firstWeight: 1 - fraction, secondWeight: fraction)
            }
        }
    }

    /// Runs `body(sourceIndex, outputIndex, weight)` for the four taps of every output pixel of one plane.
    @inline(__always)
    private func forEachTap(rows: [Tap], columns: [Tap], width: Int, _ body: (Int, Int, Float) -> Void) {
        for (oy, row) in rows.enumerated() {
            for (ox, column) in columns.enumerated() {
                let out = oy * columns.count + ox
                body(row.first * width + column.first, out, row.firstWeight * column.firstWeight)
                body(row.first * width + column.second, out, row.firstWeight * column.secondWeight)
                body(row.second * width + column.first, out, row.secondWeight * column.firstWeight)
                body(row.second * width + column.second, out, row.secondWeight * column.secondWeight)
            }
        }
    }

    public func forward(_ x: Tensor) -> Tensor {
        precondition(x.shape.count == 4, "Upsample2x: input \(x.shape), expects (B, C, H, W)")
        let planes = x.shape[0] * x.shape[1], height = x.shape[2], width = x.shape[3]
        let y = Tensor.reuse(&output, shape: [x.shape[0], x.shape[1], 2 * height, 2 * width])
        y.fill(0)
        let rows = taps(height), columns = taps(width), xs = x.pointer, ys = SendablePointer(y.pointer)
        Parallel.forChunks(planes, workPerItem: 4 * height * width) { range in
            for plane in range {
                let source = xs + plane * height * width, target = ys.base + plane * 4 * height * width
                self.forEachTap(rows: rows, columns: columns, width: width) { s, o, w in target[o] += w * source[s] }
            }
        }
        return y
    }

    public func backward(_ dOut: Tensor) -> Tensor {
        let planes = dOut.shape[0] * dOut.shape[1], height = dOut.shape[2] / 2, width = dOut.shape[3] / 2
        let dx = Tensor.reuse(&inputGradient, shape: [dOut.shape[0], dOut.shape[1], height, width])
        dx.fill(0)
        let rows = taps(height), columns = taps(width), dys = dOut.pointer, dxs = SendablePointer(dx.pointer)
        Parallel.forChunks(planes, workPerItem: 4 * height * width) { range in
            for plane in range {
                let dy = dys + plane * 4 * height * width, dSource = dxs.base + plane * height * width
                self.forEachTap(rows: rows, columns: columns, width: width) { s, o, w in dSource[s] += w * dy[o] }
            }
        }
        return dx
    }
}
