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
    private var input: Tensor?
    private var columns: Tensor?
    private var gathered: Tensor?
    private var output: Tensor?
    private var inputGradient: Tensor?

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
