/// Which keys each query may attend to, before per-sample key masks.
public enum AttentionMask: Sendable, Equatable {
    /// Every query sees every key.
    case full
    /// Query i sees keys j ≤ i.
    case causal
    /// FlexTok's register tokens: queries outside `range` see only keys outside it; a query inside
    /// sees every key outside plus in-range keys at or before itself. So register i never depends
    /// on a later register, not even through the patches.
    case causalWithin(Range<Int>)

    public func allows(query i: Int, key j: Int) -> Bool {
        switch self {
        case .full: return true
        case .causal: return j <= i
        case .causalWithin(let range):
            if !range.contains(j) { return true }
            return range.contains(i) && j <= i
        }
    }
}

/// Scaled dot-product attention over a fused (B, T, 3C) projection laid out per token as
/// [q | k | v], each C = heads·headWidth split by head; output (B, T, C). No parameters: the
/// projections around it are `Linear` layers (see `MultiHeadAttention`).
public final class AttentionCore: Layer {
    public let heads: Int
    public var mask: AttentionMask
    /// Per-sample key visibility, (B·T) row-major, true = visible; nil shows all keys. A decoder
    /// uses it to ignore dropped tokens. A query that sees no key at all outputs zeros.
    public var visibleKeys: [Bool]?

    private var input: Tensor?
    private var output: Tensor?
    private var inputGradient: Tensor?
    /// (B, heads, T, T) attention probabilities, kept for backward.
    private var probabilities: Tensor?
    /// (T, T) additive 0/−∞ bias for `mask`, rebuilt when the mask or T changes.
    private var maskBias: Tensor?
    private var maskBiasKey: (AttentionMask, Int)?
    /// (B, T) additive 0/−∞ bias for `visibleKeys`.
    private var keyBias: Tensor?
    /// One (T, T) scratch per worker for dProbabilities.
    private var scratch: Tensor?

    public init(heads: Int, mask: AttentionMask = .full) {
        self.heads = heads
        self.mask = mask
    }

    public var parameters: [Parameter] { [] }

    /// Key visibility for keys 0..<lengths[b] of sample b out of `sequenceLength`.
    public static func visibleKeys(lengths: [Int], sequenceLength: Int) -> [Bool] {
        lengths.flatMap { length in (0..<sequenceLength).map { $0 < length } }
    }

    private func prepareBiases(batch: Int, length: Int) -> (UnsafePointer<Float>?, UnsafePointer<Float>?) {
        var structural: UnsafePointer<Float>? = nil
        if mask != .full {
            if maskBiasKey?.0 != mask || maskBiasKey?.1 != length {
                let bias = Tensor.reuse(&maskBias, shape: [length, length])
                for i in 0..<length {
                    for j in 0..<length { bias[i * length + j] = mask.allows(query: i, key: j) ? 0 : -.infinity }
                }
                maskBiasKey = (mask, length)
            }
            structural = UnsafePointer(maskBias!.pointer)
        }
        var keys: UnsafePointer<Float>? = nil
        if let visibleKeys {
            precondition(visibleKeys.count == batch * length, "visibleKeys: \(visibleKeys.count) for B=\(batch), T=\(length)")
            let bias = Tensor.reuse(&keyBias, shape: [batch, length])
            for i in 0..<visibleKeys.count { bias[i] = visibleKeys[i] ? 0 : -.infinity }
            keys = UnsafePointer(bias.pointer)
        }
        return (structural, keys)
    }

    public func forward(_ x: Tensor) -> Tensor {
        precondition(x.shape.count == 3 && x.shape[2] % (3 * heads) == 0, "AttentionCore: input \(x.shape), expects (B, T, 3·C)")
        input = x
        let batch = x.shape[0], length = x.shape[1], width = x.shape[2] / 3, headWidth = width / heads
        let y = Tensor.reuse(&output, shape: [batch, length, width])
        let p = Tensor.reuse(&probabilities, shape: [batch, heads, length, length])
        let (structural, keys) = prepareBiases(batch: batch, length: length)
        let scale = 1 / Float(headWidth).squareRoot()
        let qkv = x.pointer, ys = SendablePointer(y.pointer), ps = SendablePointer(p.pointer)
        let heads = heads
        forEachHead(batch: batch) { b, h in
            let q = qkv + b * length * 3 * width + h * headWidth, k = q + width, v = q + 2 * width
            let scores = ps.base + (b * heads + h) * length * length
            serialGemm(transB: true, m: length, n: length, k: headWidth, alpha: scale, a: q, lda: 3 * width,
                 b: k, ldb: 3 * width, c: scores, ldc: length)
            for i in 0..<length {
                softmaxRow(scores + i * length, length, bias: structural.map { $0 + i * length }, keyBias: keys.map { $0 + b * length })
            }
            serialGemm(m: length, n: headWidth, k: length, a: scores, lda: length, b: v, ldb: 3 * width,
                 c: ys.base + b * length * width + h * headWidth, ldc: width)
        }
        return y
    }

    public func backward(_ dOut: Tensor) -> Tensor {
        guard let x = input, let p = probabilities else { preconditionFailure("AttentionCore.backward before forward") }
        let batch = x.shape[0], length = x.shape[1], width = x.shape[2] / 3, headWidth = width / heads
        let dx = Tensor.reuse(&inputGradient, shape: x.shape)
        let scratch = Tensor.reuse(&scratch, shape: [Parallel.workerCount, length, length])
        let scale = 1 / Float(headWidth).squareRoot()
        let qkv = x.pointer, dys = dOut.pointer, dxs = SendablePointer(dx.pointer), ps = p.pointer
        let scratches = SendablePointer(scratch.pointer), heads = heads
        forEachHead(batch: batch) { b, h, worker in
            let offset = b * length * 3 * width + h * headWidth
            let q = qkv + offset, k = q + width, v = q + 2 * width
            let dq = dxs.base + offset, dk = dq + width, dv = dq + 2 * width
            let dy = dys + b * length * width + h * headWidth
            let probs = ps + (b * heads + h) * length * length
            let dScores = scratches.base + worker * length * length
            // dP = dY·Vᵀ, then through the softmax row by row: dS = P ⊙ (dP − ⟨dP, P⟩).
            serialGemm(transB: true, m: length, n: length, k: headWidth, a: dy, lda: width, b: v, ldb: 3 * width,
                 c: dScores, ldc: length)
            for i in 0..<length {
                softmaxBackwardRow(probabilities: probs + i * length, dOut: dScores + i * length,
                                   gradient: dScores + i * length, length)
            }
            // S = scale·Q·Kᵀ: dQ = scale·dS·K, dK = scale·dSᵀ·Q; Y = P·V: dV = Pᵀ·dY.
            serialGemm(m: length, n: headWidth, k: length, alpha: scale, a: dScores, lda: length, b: k, ldb: 3 * width,
                 c: dq, ldc: 3 * width)
            serialGemm(transA: true, m: length, n: headWidth, k: length, alpha: scale, a: dScores, lda: length,
                 b: q, ldb: 3 * width, c: dk, ldc: 3 * width)
            serialGemm(transA: true, m: length, n: headWidth, k: length, a: probs, lda: length, b: dy, ldb: width,
                 c: dv, ldc: 3 * width)
        }
        return dx
    }

    /// Runs `body(b, h)` for every (sample, head), split over the workers; per-head products are
    /// small, so each runs whole on its worker (`serialGemm`).
    private func forEachHead(batch: Int, _ body: (Int, Int) -> Void) {
        forEachHead(batch: batch) { b, h, _ in body(b, h) }
    }

    private func forEachHead(batch: Int, _ body: (Int, Int, Int) -> Void) {
        let heads = heads
        BLASRuntime.useSingleThreadedKernels()
        Parallel.forChunks(batch * heads, workPerItem: Parallel.minimumParallelWork) { range, worker in
            for item in range { body(item / heads, item % heads, worker) }
        }
    }
}

/// Self-attention: fused q/k/v projection, scaled dot-product attention, output projection.
public final class MultiHeadAttention: Layer {
    public let qkv: Linear
    public let core: AttentionCore
    public let projection: Linear
    private let stack: Sequential

    public init(name: String, width: Int, heads: Int, mask: AttentionMask = .full, rng: inout SeededRandom) {
        precondition(width % heads == 0, "MultiHeadAttention: width \(width) not divisible by \(heads) heads")
        qkv = Linear(name: name + ".qkv", inputs: width, outputs: 3 * width, rng: &rng)
        core = AttentionCore(heads: heads, mask: mask)
        projection = Linear(name: name + ".proj", inputs: width, outputs: width, rng: &rng)
        stack = Sequential([qkv, core, projection])
    }

    public var parameters: [Parameter] { stack.parameters }
    public func forward(_ x: Tensor) -> Tensor { stack.forward(x) }
    public func backward(_ dOut: Tensor) -> Tensor { stack.backward(dOut) }
}

/// Pre-LN transformer block: x + attention(norm(x)), then + MLP(norm(·)) with a GELU hidden layer.
public final class TransformerBlock: Layer {
    public let attentionNorm: LayerNorm
    public let attention: MultiHeadAttention
    public let mlpNorm: LayerNorm
    public let hidden: Linear
    public let activation: Activation
    public let output: Linear
    private let stack: Sequential

    public init(name: String, width: Int, heads: Int, mlpRatio: Int = 4, mask: AttentionMask = .full,
                norm: LayerNorm.Kind = .layerNorm, activation: Activation.Kind = .gelu, rng: inout SeededRandom) {
        attentionNorm = LayerNorm(name: name + ".norm1", width: width, kind: norm)
        attention = MultiHeadAttention(name: name + ".attn", width: width, heads: heads, mask: mask, rng: &rng)
        mlpNorm = LayerNorm(name: name + ".norm2", width: width, kind: norm)
        hidden = Linear(name: name + ".mlp.fc1", inputs: width, outputs: mlpRatio * width, rng: &rng)
        self.activation = Activation(activation)
        output = Linear(name: name + ".mlp.fc2", inputs: mlpRatio * width, outputs: width, rng: &rng)
        stack = Sequential([
            Residual(Sequential([attentionNorm, attention])),
            Residual(Sequential([mlpNorm, hidden, self.activation, output])),
        ])
    }

    /// Per-sample key visibility for this block's attention (see `AttentionCore.visibleKeys`).
    public var visibleKeys: [Bool]? {
        get { attention.core.visibleKeys }
        set { attention.core.visibleKeys = newValue }
    }

    public var parameters: [Parameter] { stack.parameters }
    public func forward(_ x: Tensor) -> Tensor { stack.forward(x) }
    public func backward(_ dOut: Tensor) -> Tensor { stack.backward(dOut) }
}
