/// 2D convolution on (B, Cin, H, W) → (B, Cout, Hout, Wout) as im2col + GEMM per sample: the
/// unfolded input (Cin·k·k, Hout·Wout) is kept for backward, where col2im scatters the gradient back.
public final class Conv2d: Layer {
    public let weight: Parameter
    public let bias: Parameter
    public let inputChannels: Int
    public let outputChannels: Int
    public let kernelSize: Int
    public let stride: Int
    public let padding: Int
    private var input: Tensor?
    private var columns: Tensor?
    private var columnGradient: Tensor?
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

    /// Visits every (column row, output pixel) pair of one sample's unfolded input with the flat
    /// image index it reads, or nil where the kernel hangs over the padding.
    @inline(__always)
    private func forEachColumnEntry(height: Int, width: Int, _ body: (Int, Int?) -> Void) {
        let outHeight = outputSize(height), outWidth = outputSize(width), k = kernelSize
        var entry = 0
        for c in 0..<inputChannels {
            for ky in 0..<k {
                for kx in 0..<k {
                    for oy in 0..<outHeight {
                        let y = oy * stride - padding + ky
                        for ox in 0..<outWidth {
                            let x = ox * stride - padding + kx
                            let inside = y >= 0 && y < height && x >= 0 && x < width
                            body(entry, inside ? (c * height + y) * width + x : nil)
                            entry += 1
                        }
                    }
                }
            }
        }
    }

    public func forward(_ x: Tensor) -> Tensor {
        precondition(x.shape.count == 4 && x.shape[1] == inputChannels, "Conv2d(\(weight.name)): input \(x.shape)")
        input = x
        let batch = x.shape[0], height = x.shape[2], width = x.shape[3]
        let pixels = outputSize(height) * outputSize(width), depth = inputChannels * kernelSize * kernelSize
        let columns = Tensor.reuse(&columns, shape: [batch, depth, pixels])
        let y = Tensor.reuse(&output, shape: [batch, outputChannels, outputSize(height), outputSize(width)])
        let columnPointer = SendablePointer(columns.pointer), xs = x.pointer, imageSize = inputChannels * height * width
        Parallel.forChunks(batch, workPerItem: depth * pixels) { range in
            for b in range {
                let column = columnPointer.base + b * depth * pixels, image = xs + b * imageSize
                self.forEachColumnEntry(height: height, width: width) { entry, index in
                    column[entry] = index.map { image[$0] } ?? 0
                }
            }
        }
        bias.withValues { bias in
            for b in 0..<batch {
                for o in 0..<outputChannels { (y.pointer + (b * outputChannels + o) * pixels).update(repeating: bias[o], count: pixels) }
            }
        }
        weight.withValues { w in
            for b in 0..<batch {
                gemm(m: outputChannels, n: pixels, k: depth, a: w, lda: depth, b: columns.pointer + b * depth * pixels,
                     ldb: pixels, beta: 1, c: y.pointer + b * outputChannels * pixels, ldc: pixels)
            }
        }
        return y
    }

    public func backward(_ dOut: Tensor) -> Tensor {
        guard let x = input, let columns else { preconditionFailure("Conv2d.backward before forward") }
        let batch = x.shape[0], height = x.shape[2], width = x.shape[3]
        let pixels = outputSize(height) * outputSize(width), depth = inputChannels * kernelSize * kernelSize
        let dColumns = Tensor.reuse(&columnGradient, shape: [batch, depth, pixels])
        let dx = Tensor.reuse(&inputGradient, shape: x.shape)
        weight.withBuffers { w, dw in
            for b in 0..<batch {
                let dy = dOut.pointer + b * outputChannels * pixels, column = columns.pointer + b * depth * pixels
                gemm(transB: true, m: outputChannels, n: depth, k: pixels, a: dy, lda: pixels, b: column, ldb: pixels,
                     beta: 1, c: dw, ldc: depth)
                gemm(transA: true, m: depth, n: pixels, k: outputChannels, a: w, lda: depth, b: dy, ldb: pixels,
                     c: dColumns.pointer + b * depth * pixels, ldc: pixels)
            }
        }
        bias.withBuffers { _, db in
            for b in 0..<batch {
                for o in 0..<outputChannels { db[o] += sum(dOut.pointer + (b * outputChannels + o) * pixels, pixels) }
            }
        }
        dx.fill(0)
        let dxs = SendablePointer(dx.pointer), dColumnPointer = dColumns.pointer, imageSize = inputChannels * height * width
        Parallel.forChunks(batch, workPerItem: depth * pixels) { range in
            for b in range {
                let dColumn = dColumnPointer + b * depth * pixels, dImage = dxs.base + b * imageSize
                self.forEachColumnEntry(height: height, width: width) { entry, index in
                    if let index { dImage[index] += dColumn[entry] }
                }
            }
        }
        return dx
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
