/// Per-row normalisation over the last dimension with a learned gain:
/// layer norm y = (x − mean)/σ·g + b, or RMS norm y = x/rms(x)·g (no mean, no bias).
public final class LayerNorm: Layer {
    public enum Kind: Sendable { case layerNorm, rmsNorm }

    public let kind: Kind
    public let gain: Parameter
    public let bias: Parameter?
    public let width: Int
    public let epsilon: Float
    private var input: Tensor?
    private var output: Tensor?
    private var inputGradient: Tensor?
    /// Per row: the mean (zero for RMS norm) and 1/σ.
    private var means: Tensor?
    private var inverseDeviations: Tensor?
    /// Per worker partial sums of dGain and dBias, summed after the parallel pass.
    private var partialGradients: Tensor?
    /// RMS norm's stand-in for the bias, so both kinds share one kernel.
    private let zeroBias: [Float]

    public init(name: String, width: Int, kind: Kind = .layerNorm, epsilon: Float = 1e-5) {
        self.kind = kind
        self.width = width
        self.epsilon = epsilon
        gain = .constant(name: name + ".weight", shape: [width], value: 1, decays: false)
        bias = kind == .layerNorm ? .constant(name: name + ".bias", shape: [width], value: 0, decays: false) : nil
        zeroBias = kind == .layerNorm ? [] : [Float](repeating: 0, count: width)
    }

    public var parameters: [Parameter] { [gain] + (bias.map { [$0] } ?? []) }

    public func forward(_ x: Tensor) -> Tensor {
        precondition(x.rowLength == width, "LayerNorm(\(gain.name)): input \(x.shape), expects last dim \(width)")
        input = x
        let rows = x.rows, n = width, centered = kind == .layerNorm, epsilon = epsilon
        let y = Tensor.reuse(&output, shape: x.shape)
        let means = Tensor.reuse(&means, shape: [rows]), inverses = Tensor.reuse(&inverseDeviations, shape: [rows])
        let xs = x.pointer, ys = SendablePointer(y.pointer)
        let meanOut = SendablePointer(means.pointer), inverseOut = SendablePointer(inverses.pointer)
        gain.withValues { g in
            (bias?.value ?? zeroBias).withUnsafeBufferPointer { b in
                let b = b.baseAddress!
                Parallel.forChunks(rows, workPerItem: n) { range in
                    for r in range {
                        let row = xs + r * n, out = ys.base + r * n
                        let mean = centered ? sum(row, n) / Float(n) : 0
                        var squares = Vector()
                        vectorLoop(0..<n) { i, lanes in
                            var d = load(row + i, lanes) - mean
                            if lanes < vectorWidth { for lane in lanes..<vectorWidth { d[lane] = 0 } }
                            squares += d * d
                        }
                        let inverse = 1 / (squares.sum() / Float(n) + epsilon).squareRoot()
                        meanOut.base[r] = mean
                        inverseOut.base[r] = inverse
                        vectorLoop(0..<n) { i, lanes in
                            let normalized = (load(row + i, lanes) - mean) * inverse
                            store(normalized * load(g + i, lanes) + load(b + i, lanes), out + i, lanes)
                        }
                    }
                }
            }
        }
        return y
    }

    public func backward(_ dOut: Tensor) -> Tensor {
        guard let x = input, let means, let inverseDeviations else { preconditionFailure("LayerNorm.backward before forward") }
        let rows = x.rows, n = width, centered = kind == .layerNorm
        let dx = Tensor.reuse(&inputGradient, shape: x.shape)
        let partials = Tensor.reuse(&partialGradients, shape: [Parallel.workerCount, 2, n])
        partials.fill(0)
        let xs = x.pointer, dys = dOut.pointer, dxs = SendablePointer(dx.pointer), partial = SendablePointer(partials.pointer)
        let meanIn = means.pointer, inverseIn = inverseDeviations.pointer
        gain.withValues { g in
            Parallel.forChunks(rows, workPerItem: n) { range, worker in
                let dGain = partial.base + worker * 2 * n, dBias = dGain + n
                for r in range {
                    let row = xs + r * n, dy = dys + r * n, out = dxs.base + r * n
                    let mean = meanIn[r], inverse = inverseIn[r]
                    // With n̂ = normalised x and d = dy ⊙ g:
                    // dx = (d − mean(d) − n̂·mean(d ⊙ n̂)) / σ; the mean(d) term only for layer norm.
                    var dSum = Vector(), dDotNormalized = Vector()
                    vectorLoop(0..<n) { i, lanes in
                        let normalized = (load(row + i, lanes) - mean) * inverse
                        let dyv = load(dy + i, lanes)
                        let d = dyv * load(g + i, lanes)
                        var dn = d * normalized
                        if lanes < vectorWidth { for lane in lanes..<vectorWidth { dn[lane] = 0 } }
                        dSum += d
                        dDotNormalized += dn
                        store(load(dGain + i, lanes) + dyv * normalized, dGain + i, lanes)
                        store(load(dBias + i, lanes) + dyv, dBias + i, lanes)
                    }
                    let dMean = centered ? dSum.sum() / Float(n) : 0
                    let dNormalizedMean = dDotNormalized.sum() / Float(n)
                    vectorLoop(0..<n) { i, lanes in
                        let normalized = (load(row + i, lanes) - mean) * inverse
                        let d = load(dy + i, lanes) * load(g + i, lanes)
                        store((d - dMean - normalized * dNormalizedMean) * inverse, out + i, lanes)
                    }
                }
            }
        }
        gain.grad.withUnsafeMutableBufferPointer { dg in
            for worker in 0..<Parallel.workerCount {
                for i in 0..<n { dg[i] += partials.pointer[worker * 2 * n + i] }
            }
        }
        bias?.grad.withUnsafeMutableBufferPointer { db in
            for worker in 0..<Parallel.workerCount {
                for i in 0..<n { db[i] += partials.pointer[worker * 2 * n + n + i] }
            }
        }
        return dx
    }
}
