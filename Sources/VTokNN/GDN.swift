/// Generalized divisive normalization (Ballé, Laparra, Simoncelli 2016) on (B, C, H, W): at every
/// pixel, y_i = x_i / sqrt(β_i + Σ_j γ_ij·x_j²), or with `inverse: true` (IGDN, for the synthesis
/// transform) y_i = x_i · sqrt(β_i + Σ_j γ_ij·x_j²). It is the nonlinearity of Ballé-2017 style
/// learned codecs: dividing each channel by a learned energy of its neighbours removes much of the
/// dependence between channels that a factorized prior cannot model, which a pointwise activation
/// does not do.
///
/// β and γ must stay positive (a non-positive argument under the square root is a NaN or a
/// division by zero). They are reparametrized as CompressAI's `NonNegativeParametrizer` does: the
/// parameters store p and the layer uses max(p, bound)² − pedestal, with pedestal = 2⁻³⁶ and
/// bound = sqrt(minimum + pedestal), minimum 1e-6 for β and 0 for γ. The square keeps the value
/// non-negative whatever an optimizer step does to p, and the bound keeps β off zero. Below the
/// bound only a gradient that would raise p passes (CompressAI's `LowerBound`), so an entry pinned
/// there can recover but is not pushed further out. The stored values ("<name>.beta",
/// "<name>.gamma") are p, as in CompressAI's state dicts, so weights can be carried across.
///
/// Per sample the Σ_j γ_ij·x_j² of all pixels is one product γ (C×C) · x² (C×H·W).
public final class GDN: Layer {
    public let beta: Parameter
    public let gamma: Parameter
    public let channels: Int
    public let inverse: Bool

    static let pedestal: Float = 1.0 / Float(1 << 18) / Float(1 << 18)  // 2⁻³⁶
    static let betaBound = (Float(1e-6) + pedestal).squareRoot()
    static let gammaBound = pedestal.squareRoot()

    private var input: Tensor?
    private var squares: Tensor?
    /// sqrt(β_i + Σ_j γ_ij·x_j²) of every element, kept for backward.
    private var roots: Tensor?
    private var output: Tensor?
    private var inputGradient: Tensor?
    private var normGradient: Tensor?
    private var squareGradient: Tensor?
    private var effectiveBeta: [Float] = []
    private var effectiveGamma: [Float] = []

    /// β = 1, γ = 0.1·I: close to the identity (divided by about 1) at unit-scale inputs.
    public init(name: String, channels: Int, inverse: Bool = false) {
        self.channels = channels
        self.inverse = inverse
        beta = .constant(name: name + ".beta", shape: [channels], value: (1 + GDN.pedestal).squareRoot(), decays: false)
        let offDiagonal = GDN.pedestal.squareRoot(), diagonal = (0.1 + GDN.pedestal).squareRoot()
        gamma = Parameter(name: name + ".gamma", shape: [channels, channels],
                          value: (0..<channels * channels).map { $0 % (channels + 1) == 0 ? diagonal : offDiagonal },
                          decays: false)
    }

    public var parameters: [Parameter] { [beta, gamma] }

    /// The value a stored p stands for: max(p, bound)² − pedestal.
    static func effective(_ p: Float, bound: Float) -> Float { max(p, bound) * max(p, bound) - pedestal }

    /// dL/dp from dL/d(value): 2·p·g above the bound; below it, only a gradient that raises p passes
    /// (as 2·bound·g, the slope at the bound).
    static func storedGradient(_ p: Float, bound: Float, _ g: Float) -> Float {
        p >= bound || g < 0 ? 2 * max(p, bound) * g : 0
    }

    public func forward(_ x: Tensor) -> Tensor {
        precondition(x.shape.count == 4 && x.shape[1] == channels, "GDN(\(beta.name)): input \(x.shape)")
        input = x
        let batch = x.shape[0], c = channels, pixels = x.shape[2] * x.shape[3]
        effectiveBeta = beta.value.map { GDN.effective($0, bound: GDN.betaBound) }
        effectiveGamma = gamma.value.map { GDN.effective($0, bound: GDN.gammaBound) }
        let squares = Tensor.reuse(&squares, shape: x.shape)
        let roots = Tensor.reuse(&roots, shape: x.shape)
        let y = Tensor.reuse(&output, shape: x.shape)
        let xs = x.pointer, sq = SendablePointer(squares.pointer)
        Parallel.forChunks(x.count) { range in
            vectorLoop(range) { i, lanes in
                let v = load(xs + i, lanes)
                store(v * v, sq.base + i, lanes)
            }
        }
        // roots ← β (broadcast over pixels), then += γ·x² per sample; the product is the bulk of the work.
        effectiveBeta.withUnsafeBufferPointer { b in
            for plane in 0..<batch * c { (roots.pointer + plane * pixels).update(repeating: b[plane % c], count: pixels) }
        }
        effectiveGamma.withUnsafeBufferPointer { g in
            for b in 0..<batch {
                gemm(m: c, n: pixels, k: c, a: g.baseAddress!, lda: c, b: squares.pointer + b * c * pixels, ldb: pixels,
                     beta: 1, c: roots.pointer + b * c * pixels, ldc: pixels)
            }
        }
        let rs = SendablePointer(roots.pointer), ys = SendablePointer(y.pointer), inverse = inverse
        Parallel.forChunks(x.count) { range in
            vectorLoop(range) { i, lanes in
                let root = load(rs.base + i, lanes).squareRoot()
                store(root, rs.base + i, lanes)
                let v = load(xs + i, lanes)
                store(inverse ? v * root : v / root, ys.base + i, lanes)
            }
        }
        return y
    }

    /// `forward` on channels-last tensors (B, H, W, C), keeping nothing for backward: the encoder's
    /// path. The pixels are the rows of one (B·H·W, C) matrix, so the norms of a piece of pixels
    /// are one product (pixels × C)·γᵀ with the pixels as its long side; each worker squares its
    /// pieces into its own scratch, multiplies on its own thread into the output, and divides in place.
    public func inferChannelsLast(_ x: Tensor) -> Tensor {
        precondition(x.shape.count == 4 && x.shape[3] == channels, "GDN(\(beta.name)): channels-last input \(x.shape)")
        input = nil
        let c = channels, rows = x.count / c, workers = Parallel.workerCount
        effectiveBeta = beta.value.map { GDN.effective($0, bound: GDN.betaBound) }
        effectiveGamma = gamma.value.map { GDN.effective($0, bound: GDN.gammaBound) }
        let pieces = max(workers, (rows + GDN.inferencePieceRows - 1) / GDN.inferencePieceRows)
        let pieceRows = (rows + pieces - 1) / pieces
        let scratch = Tensor.reuse(&squares, shape: [workers * pieceRows * c])
        let y = Tensor.reuse(&output, shape: x.shape)
        let xs = x.pointer, ys = SendablePointer(y.pointer), sq = SendablePointer(scratch.pointer), inverse = inverse
        effectiveBeta.withUnsafeBufferPointer { betas in
            effectiveGamma.withUnsafeBufferPointer { gammas in
                Parallel.forChunks(pieces, workPerItem: pieceRows * c * c) { range, worker in
                    let squares = sq.base + worker * pieceRows * c
                    for piece in range {
                        let first = piece * pieceRows, n = min(rows, first + pieceRows) - first
                        guard n > 0 else { continue }
                        let from = xs + first * c, norms = ys.base + first * c
                        vectorLoop(0..<n * c) { i, lanes in
                            let v = load(from + i, lanes)
                            store(v * v, squares + i, lanes)
                        }
                        for pixel in 0..<n { (norms + pixel * c).update(from: betas.baseAddress!, count: c) }
                        serialGemm(transB: true, m: n, n: c, k: c, a: squares, lda: c, b: gammas.baseAddress!, ldb: c, beta: 1,
                                   c: norms, ldc: c)
                        vectorLoop(0..<n * c) { i, lanes in
                            let root = load(norms + i, lanes).squareRoot(), v = load(from + i, lanes)
                            store(inverse ? v * root : v / root, norms + i, lanes)
                        }
                    }
                }
            }
        }
        return y
    }

    /// Pixels an `inferChannelsLast` product takes at most (1024·C floats of squares).
    static let inferencePieceRows = 1024

    /// With N = β + γ·x² and r = sqrt(N): GDN's y = x/r gives dx = dy/r and dN = −½·dy·x/r³;
    /// IGDN's y = x·r gives dx = dy·r and dN = ½·dy·x/r. Then dβ = Σ_pixels dN, dγ = dN·(x²)ᵀ, and
    /// the path through the squares adds 2·x·(γᵀ·dN) to dx.
    public func backward(_ dOut: Tensor) -> Tensor {
        guard let x = input, let squares, let roots else { preconditionFailure("GDN.backward before forward") }
        let batch = x.shape[0], c = channels, pixels = x.shape[2] * x.shape[3]
        let dx = Tensor.reuse(&inputGradient, shape: x.shape)
        let dN = Tensor.reuse(&normGradient, shape: x.shape)
        let xs = x.pointer, rs = roots.pointer, dys = dOut.pointer, inverse = inverse
        let dxs = SendablePointer(dx.pointer), dNs = SendablePointer(dN.pointer)
        Parallel.forChunks(x.count) { range in
            vectorLoop(range) { i, lanes in
                let v = load(xs + i, lanes), r = load(rs + i, lanes), dy = load(dys + i, lanes)
                if inverse {
                    store(dy * r, dxs.base + i, lanes)
                    store(0.5 * dy * v / r, dNs.base + i, lanes)
                } else {
                    let reciprocal = 1 / r
                    store(dy * reciprocal, dxs.base + i, lanes)
                    store(-0.5 * dy * v * reciprocal * reciprocal * reciprocal, dNs.base + i, lanes)
                }
            }
        }
        var dBeta = [Float](repeating: 0, count: c), dGamma = [Float](repeating: 0, count: c * c)
        dGamma.withUnsafeMutableBufferPointer { dg in
            for b in 0..<batch {
                let offset = b * c * pixels
                for i in 0..<c { dBeta[i] += sum(dN.pointer + offset + i * pixels, pixels) }
                gemm(transB: true, m: c, n: c, k: pixels, a: dN.pointer + offset, lda: pixels,
                     b: squares.pointer + offset, ldb: pixels, beta: 1, c: dg.baseAddress!, ldc: c)
            }
        }
        // dS = γᵀ·dN, then dx += 2·x·dS.
        let dS = Tensor.reuse(&squareGradient, shape: x.shape).pointer
        effectiveGamma.withUnsafeBufferPointer { g in
            for b in 0..<batch {
                let offset = b * c * pixels
                gemm(transA: true, m: c, n: pixels, k: c, a: g.baseAddress!, lda: c, b: dN.pointer + offset, ldb: pixels,
                     c: dS + offset, ldc: pixels)
            }
        }
        Parallel.forChunks(x.count) { range in
            vectorLoop(range) { i, lanes in
                store(load(dxs.base + i, lanes) + 2 * load(xs + i, lanes) * load(dS + i, lanes), dxs.base + i, lanes)
            }
        }
        beta.withBuffers { p, dp in
            for i in 0..<c { dp[i] += GDN.storedGradient(p[i], bound: GDN.betaBound, dBeta[i]) }
        }
        gamma.withBuffers { p, dp in
            for i in 0..<c * c { dp[i] += GDN.storedGradient(p[i], bound: GDN.gammaBound, dGamma[i]) }
        }
        return dx
    }
}
