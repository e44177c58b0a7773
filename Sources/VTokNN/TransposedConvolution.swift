/// Transposed 2D convolution on (B, Cin, H, W) → (B, Cout, Hout, Wout), with PyTorch
/// ConvTranspose2d's sizes, Hout = (H − 1)·stride − 2·padding + kernelSize + outputPadding, and its
/// weight layout (Cin, Cout, k, k): a synthesis transform's learned upsampling (k = 5, s = 2, p = 2,
/// outputPadding = 1 doubles H).
///
/// It is the adjoint of `Conv2d` with the same weights, i.e. Conv2d's input gradient: each input
/// pixel spreads Wᵀ·x over a k×k window of the output. So forward is a product into columns
/// (Cout·k·k, pixels) followed by col2im (`ConvolutionGeometry.fold`), and backward is im2col of the
/// output gradient followed by the two products, batched over chunks of samples as `Conv2d` is.
/// Nothing the size of the columns is kept between forward and backward: backward unfolds dOut.
public final class TransposedConv2d: Layer {
    public let weight: Parameter
    public let bias: Parameter
    public let inputChannels: Int
    public let outputChannels: Int
    public let kernelSize: Int
    public let stride: Int
    public let padding: Int
    public let outputPadding: Int
    /// Columns a product aims for (see `defaultBatchColumns`); 0 runs one sample per product.
    var batchColumns = defaultBatchColumns
    /// Most floats of columns an `inferChannelsLast` piece unfolds (see `defaultInferenceColumnFloats`).
    var inferenceColumnFloats = defaultInferenceColumnFloats
    private var input: Tensor?
    private var columns: Tensor?
    private var gathered: Tensor?
    private var output: Tensor?
    private var inputGradient: Tensor?
    private var pieceScratch: Tensor?
    private var phaseKernels: [Tensor] = []
    private var weightBehindPhaseKernels: [Float] = []
    private var biasBehindPhaseKernels: [Float] = []

    /// Weights ~ N(0, stride²/(Cin·k·k)): each output pixel sums about Cin·(k/stride)² terms, so
    /// this keeps unit-variance inputs at unit variance, as Conv2d's 1/(Cin·k·k) does.
    public init(name: String, inputChannels: Int, outputChannels: Int, kernelSize: Int, stride: Int = 1,
                padding: Int = 0, outputPadding: Int = 0, rng: inout SeededRandom) {
        precondition(outputPadding >= 0 && outputPadding < max(stride, 1),
                     "TransposedConv2d(\(name)): outputPadding \(outputPadding) must be below the stride \(stride)")
        self.inputChannels = inputChannels
        self.outputChannels = outputChannels
        self.kernelSize = kernelSize
        self.stride = stride
        self.padding = padding
        self.outputPadding = outputPadding
        let fanIn = Float(inputChannels * kernelSize * kernelSize) / Float(stride * stride)
        weight = .normal(name: name + ".weight", shape: [inputChannels, outputChannels, kernelSize, kernelSize],
                         std: 1 / fanIn.squareRoot(), decays: true, rng: &rng)
        bias = .constant(name: name + ".bias", shape: [outputChannels], value: 0, decays: false)
    }

    public var parameters: [Parameter] { [weight, bias] }

    public func outputSize(_ size: Int) -> Int { (size - 1) * stride - 2 * padding + kernelSize + outputPadding }

    /// The output is the image side, the input the grid of kernel positions: Conv2d's geometry
    /// with the roles of input and output swapped.
    private func geometry(_ x: Tensor) -> ConvolutionGeometry {
        let g = ConvolutionGeometry(channels: outputChannels, height: outputSize(x.shape[2]), width: outputSize(x.shape[3]),
                                    kernelSize: kernelSize, stride: stride, padding: padding,
                                    outHeight: x.shape[2], outWidth: x.shape[3])
        precondition(g.height > 0 && g.width > 0, "TransposedConv2d(\(weight.name)): input \(x.shape) gives an empty output")
        return g
    }

    public func forward(_ x: Tensor) -> Tensor {
        precondition(x.shape.count == 4 && x.shape[1] == inputChannels, "TransposedConv2d(\(weight.name)): input \(x.shape)")
        input = x
        let g = geometry(x), batch = x.shape[0], depth = g.depth, pixels = g.pixels, cin = inputChannels
        let y = Tensor.reuse(&output, shape: [batch, outputChannels, g.height, g.width])
        let chunks = ConvolutionGeometry.chunks(batch: batch, pixels: pixels, floatsPerSample: depth * pixels, targetColumns: batchColumns)
        let columns = Tensor.reuse(&columns, shape: [chunks.map(\.count).max()! * depth * pixels])
        weight.withValues { w in
            for chunk in chunks {
                let n = chunk.count * pixels
                var xs = x.pointer + chunk.lowerBound * cin * pixels
                if chunk.count > 1 {
                    let gathered = Tensor.reuse(&self.gathered, shape: [cin, n])
                    gatherChannelMajor(xs, count: chunk.count, channels: cin, pixels: pixels, into: gathered.pointer)
                    xs = gathered.pointer
                }
                gemm(transA: true, m: depth, n: n, k: cin, a: w, lda: depth, b: xs, ldb: n, c: columns.pointer, ldc: n)
                g.fold(columns: columns.pointer, count: chunk.count, into: y.pointer + chunk.lowerBound * g.imageSize)
            }
        }
        bias.withValues { bias in addBias(bias, to: y) }
        return y
    }

    /// `forward` on channels-last tensors, (B, H, W, Cin) → (B, Hout, Wout, Cout), keeping nothing
    /// for backward: the decoder's path. An output pixel oy of phase r = (oy + p) mod s reads only
    /// the taps t ≡ r (mod s), the j-th of them (t = r + j·s) at input row q − j, q = (oy + p − r)/s:
    /// a stride-s transposed convolution is s² ordinary convolutions, one per phase (for k = 5, s = 2
    /// of 3×3, 3×2, 2×3 and 2×2 taps). Each phase runs as `Conv2d.inferChannelsLast` runs: pixel-major
    /// columns of its taps (and a 1 for the bias) in pieces that fit the cache, one product per piece
    /// on the worker's own thread, then its pixels copied to their places. `forward` instead makes
    /// columns of Cout·k² values per input pixel and folds them, k²/s² times the floats.
    ///
    /// A layer with few output channels (a synthesis' last, to RGB) would make products only
    /// `outputChannels` wide, which OpenBLAS runs far under its speed: it goes through `forward`.
    public func inferChannelsLast(_ x: Tensor) -> Tensor {
        precondition(x.shape.count == 4 && x.shape[3] == inputChannels, "TransposedConv2d(\(weight.name)): channels-last input \(x.shape)")
        guard outputChannels >= Self.narrowestPixelMajorOutput else {
            return forward(x.transposedChannels(toLast: false)).transposedChannels(toLast: true)
        }
        input = nil
        let batch = x.shape[0], height = x.shape[1], width = x.shape[2], cin = inputChannels, cout = outputChannels
        let s = stride, p = padding, outHeight = outputSize(height), outWidth = outputSize(width), workers = Parallel.workerCount
        precondition(outHeight > 0 && outWidth > 0, "TransposedConv2d(\(weight.name)): input \(x.shape) gives an empty output")
        let kernels = phaseKernelsForWeights()
        // The q of the output pixels of phase r along a side of `size` outputs: 0 ≤ s·q + r − p < size.
        func phaseRange(_ r: Int, _ size: Int) -> Range<Int> {
            func ceilDiv(_ a: Int) -> Int { a >= 0 ? (a + s - 1) / s : -((-a) / s) }
            return ceilDiv(p - r)..<ceilDiv(size + p - r)
        }
        let taps = (0..<s).map { phaseTaps($0).count }
        let longestRow = (0..<s).map { phaseRange($0, outWidth).count }.max()!, deepest = taps.max()! * taps.max()! * cin + 1
        let rowsPerPiece = max(1, min((0..<s).map { phaseRange($0, outHeight).count }.max()!,
                                      inferenceColumnFloats / max(1, longestRow * deepest)))
        let piecesPerPhase = (0..<s).map { (phaseRange($0, outHeight).count + rowsPerPiece - 1) / rowsPerPiece }
        // Items: (sample, phase row r_y, phase column r_x, piece of its q_y rows).
        let items = (0..<s).flatMap { ry in (0..<s).flatMap { rx in (0..<piecesPerPhase[ry]).map { (ry, rx, $0) } } }
        let pieceFloats = rowsPerPiece * longestRow * (deepest + cout)
        let scratch = Tensor.reuse(&pieceScratch, shape: [workers * pieceFloats])
        let y = Tensor.reuse(&output, shape: [batch, outHeight, outWidth, cout])
        let xs = x.pointer, ys = SendablePointer(y.pointer), scratches = SendablePointer(scratch.pointer)
        let kernelPointers = kernels.map { SendablePointer($0.pointer) }
        Parallel.forChunks(batch * items.count, workPerItem: rowsPerPiece * longestRow * deepest * cout) { range, worker in
            let column = scratches.base + worker * pieceFloats
            for item in range {
                let sample = item / items.count, (ry, rx, piece) = items[item % items.count]
                let rowsQ = phaseRange(ry, outHeight), columnsQ = phaseRange(rx, outWidth)
                let qRows = (rowsQ.lowerBound + piece * rowsPerPiece)..<min(rowsQ.upperBound, rowsQ.lowerBound + (piece + 1) * rowsPerPiece)
                let ny = taps[ry], nx = taps[rx], depth = ny * nx * cin + 1
                let image = xs + sample * height * width * cin
                var row = column
                for qy in qRows {
                    for qx in columnsQ {
                        for jy in 0..<ny {
                            let iy = qy - jy
                            for jx in 0..<nx {
                                let ix = qx - jx, run = row + (jy * nx + jx) * cin
                                if iy >= 0 && iy < height && ix >= 0 && ix < width {
                                    run.update(from: image + (iy * width + ix) * cin, count: cin)
                                } else {
                                    run.update(repeating: 0, count: cin)
                                }
                            }
                        }
                        row[depth - 1] = 1
                        row += depth
                    }
                }
                let n = qRows.count * columnsQ.count, product = column + n * depth
                serialGemm(m: n, n: cout, k: depth, a: column, lda: depth, b: kernelPointers[ry * s + rx].base, ldb: cout,
                           c: product, ldc: cout)
                var from = product
                for qy in qRows {
                    let oy = s * qy + ry - p
                    for qx in columnsQ {
                        let ox = s * qx + rx - p
                        (ys.base + ((sample * outHeight + oy) * outWidth + ox) * cout).update(from: from, count: cout)
                        from += cout
                    }
                }
            }
        }
        return y
    }

    /// The kernel taps an output pixel of phase `r` reads along a side: r, r + s, … below k.
    private func phaseTaps(_ r: Int) -> [Int] { Array(Swift.stride(from: r, to: kernelSize, by: stride)) }

    /// Output channels below which `inferChannelsLast` runs `forward` between transposes.
    static let narrowestPixelMajorOutput = 16

    /// Per phase (r_y, r_x), its taps' weights as (j_y, j_x, c) × Cout rows and the bias as the last
    /// row, made again only when the weights or the bias changed since the last call.
    private func phaseKernelsForWeights() -> [Tensor] {
        if !phaseKernels.isEmpty && weightBehindPhaseKernels == weight.value && biasBehindPhaseKernels == bias.value {
            return phaseKernels
        }
        let s = stride, k = kernelSize, cin = inputChannels, cout = outputChannels
        phaseKernels = (0..<s * s).map { phase in
            let ry = phase / s, rx = phase % s
            let rowTaps = phaseTaps(ry), columnTaps = phaseTaps(rx)
            let depth = rowTaps.count * columnTaps.count * cin + 1
            let kernel = Tensor(shape: [depth, cout])
            for (jy, ty) in rowTaps.enumerated() {
                for (jx, tx) in columnTaps.enumerated() {
                    for c in 0..<cin {
                        for o in 0..<cout {
                            kernel[((jy * columnTaps.count + jx) * cin + c) * cout + o] = weight.value[((c * cout + o) * k + ty) * k + tx]
                        }
                    }
                }
            }
            for o in 0..<cout { kernel[(depth - 1) * cout + o] = bias.value[o] }
            return kernel
        }
        weightBehindPhaseKernels = weight.value
        biasBehindPhaseKernels = bias.value
        return phaseKernels
    }

    public func backward(_ dOut: Tensor) -> Tensor {
        guard let x = input else { preconditionFailure("TransposedConv2d.backward before forward") }
        let g = geometry(x), batch = x.shape[0], depth = g.depth, pixels = g.pixels, cin = inputChannels
        let dx = Tensor.reuse(&inputGradient, shape: x.shape)
        let chunks = ConvolutionGeometry.chunks(batch: batch, pixels: pixels, floatsPerSample: depth * pixels, targetColumns: batchColumns)
        let largest = chunks.map(\.count).max()!
        let dColumns = Tensor.reuse(&columns, shape: [largest * depth * pixels])
        // Rows 0..<cin hold the gathered input, rows cin..<2·cin the input gradient before its reorder.
        let gathered = Tensor.reuse(&gathered, shape: [2 * cin, largest * pixels])
        weight.withBuffers { w, dw in
            for chunk in chunks {
                let n = chunk.count * pixels
                g.unfold(images: dOut.pointer + chunk.lowerBound * g.imageSize, count: chunk.count, into: dColumns.pointer)
                var xs = x.pointer + chunk.lowerBound * cin * pixels
                var dxs = dx.pointer + chunk.lowerBound * cin * pixels
                if chunk.count > 1 {
                    gatherChannelMajor(xs, count: chunk.count, channels: cin, pixels: pixels, into: gathered.pointer)
                    xs = gathered.pointer
                    dxs = gathered.pointer + cin * n
                }
                gemm(transB: true, m: cin, n: depth, k: n, a: xs, lda: n, b: dColumns.pointer, ldb: n, beta: 1, c: dw, ldc: depth)
                gemm(m: cin, n: n, k: depth, a: w, lda: depth, b: dColumns.pointer, ldb: n, c: dxs, ldc: n)
                if chunk.count > 1 {
                    scatterSampleMajor(dxs, count: chunk.count, channels: cin, pixels: pixels,
                                       into: dx.pointer + chunk.lowerBound * cin * pixels)
                }
            }
        }
        bias.withBuffers { _, db in addPlaneSums(dOut, into: db) }
        return dx
    }
}

/// y[b, c, :] += bias[c] on (B, C, H, W).
func addBias(_ bias: UnsafePointer<Float>, to y: Tensor) {
    let channels = y.shape[1], pixels = y.shape[2] * y.shape[3], ys = SendablePointer(y.pointer)
    Parallel.forChunks(y.shape[0] * channels, workPerItem: pixels) { range in
        for plane in range {
            let b = Vector(repeating: bias[plane % channels]), row = ys.base + plane * pixels
            vectorLoop(0..<pixels) { i, lanes in store(load(row + i, lanes) + b, row + i, lanes) }
        }
    }
}
