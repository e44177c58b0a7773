/// Element-wise nonlinearities: GELU (tanh form, as GPT-2) and SiLU.
public final class Activation: Layer {
    public enum Kind: Sendable { case gelu, silu }

    public let kind: Kind
    private var input: Tensor?
    private var output: Tensor?
    private var inputGradient: Tensor?

    public init(_ kind: Kind) { self.kind = kind }

    public var parameters: [Parameter] { [] }

    public func forward(_ x: Tensor) -> Tensor {
        input = x
        let y = Tensor.reuse(&output, shape: x.shape)
        let xs = x.pointer, ys = SendablePointer(y.pointer), kind = kind
        Parallel.forChunks(x.count) { range in
            vectorLoop(range) { i, lanes in
                let v = load(xs + i, lanes)
                store(Activation.value(kind, v), ys.base + i, lanes)
            }
        }
        return y
    }

    public func backward(_ dOut: Tensor) -> Tensor {
        guard let x = input else { preconditionFailure("Activation.backward before forward") }
        let dx = Tensor.reuse(&inputGradient, shape: x.shape)
        let xs = x.pointer, dys = dOut.pointer, dxs = SendablePointer(dx.pointer), kind = kind
        Parallel.forChunks(x.count) { range in
            vectorLoop(range) { i, lanes in
                let v = load(xs + i, lanes)
                store(load(dys + i, lanes) * Activation.derivative(kind, v), dxs.base + i, lanes)
            }
        }
        return dx
    }

    static let geluScale: Float = 0.797_884_56  // √(2/π)
    static let geluCubic: Float = 0.044_715

    /// tanh(u) = 1 − 2/(e^{2u} + 1); exp saturates, so no overflow for large |u|.
    @inline(__always)
    static func tanh(_ u: Vector) -> Vector { 1 - 2 / (exp(2 * u) + 1) }

    @inline(__always)
    static func sigmoid(_ x: Vector) -> Vector { 1 / (1 + exp(-x)) }

    @inline(__always)
    static func value(_ kind: Kind, _ x: Vector) -> Vector {
        switch kind {
        case .gelu:
            let cube: Vector = x * x * x
            let inner: Vector = geluScale * (x + geluCubic * cube)
            let half: Vector = 0.5 * x
            return half * (1 + tanh(inner))
        case .silu: return x * sigmoid(x)
        }
    }

    @inline(__always)
    static func derivative(_ kind: Kind, _ x: Vector) -> Vector {
        switch kind {
        case .gelu:
            let square: Vector = x * x
            let t: Vector = tanh(geluScale * (x + geluCubic * square * x))
            let slope: Vector = geluScale * (1 + 3 * geluCubic * square)
            let outer: Vector = 0.5 * (1 + t)
            let inner: Vector = 0.5 * x * (1 - t * t)
            return outer + inner * slope
        case .silu:
            let s = sigmoid(x)
            return s * (1 + x * (1 - s))
        }
    }
}

/// Softmax over the last dimension.
public final class Softmax: Layer {
    private var output: Tensor?
    private var inputGradient: Tensor?

    public init() {}

    public var parameters: [Parameter] { [] }

    public func forward(_ x: Tensor) -> Tensor {
        let y = Tensor.reuse(&output, shape: x.shape)
        y.copy(from: x)
        let n = x.rowLength, ys = SendablePointer(y.pointer)
        Parallel.forChunks(x.rows, workPerItem: n) { range in
            for r in range { softmaxRow(ys.base + r * n, n, bias: nil, keyBias: nil) }
        }
        return y
    }

    public func backward(_ dOut: Tensor) -> Tensor {
        guard let y = output else { preconditionFailure("Softmax.backward before forward") }
        let dx = Tensor.reuse(&inputGradient, shape: y.shape)
        let n = y.rowLength, ys = y.pointer, dys = dOut.pointer, dxs = SendablePointer(dx.pointer)
        Parallel.forChunks(y.rows, workPerItem: n) { range in
            for r in range { softmaxBackwardRow(probabilities: ys + r * n, dOut: dys + r * n, gradient: dxs.base + r * n, n) }
        }
        return dx
    }
}

/// Sign quantisation with a straight-through gradient: forward x ↦ ±1 (0 maps to +1), backward
/// passes the gradient unchanged, as if the layer were the identity.
public final class SignSTE: Layer {
    private var output: Tensor?

    public init() {}

    public var parameters: [Parameter] { [] }

    public func forward(_ x: Tensor) -> Tensor {
        let y = Tensor.reuse(&output, shape: x.shape)
        for i in 0..<x.count { y[i] = x[i] >= 0 ? 1 : -1 }
        return y
    }

    public func backward(_ dOut: Tensor) -> Tensor { dOut }
}
