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

    // Both are x·σ(z(x)): SiLU with z = x, GELU's tanh form with z = 2·√(2/π)·(x + 0.044715·x³),
    // because 0.5·(1 + tanh(u)) = σ(2u). One exponential and one division per element.
    // Derivative: σ(z)·(1 + x·(1 − σ(z))·z').

    @inline(__always)
    static func gate(_ kind: Kind, _ x: Vector) -> (z: Vector, slope: Vector) {
        switch kind {
        case .silu:
            return (x, Vector(repeating: 1))
        case .gelu:
            let square = x * x
            let z: Vector = (2 * geluScale) * (x + geluCubic * square * x)
            let slope: Vector = (2 * geluScale) * (1 + (3 * geluCubic) * square)
            return (z, slope)
        }
    }

    @inline(__always)
    static func sigmoid(_ z: Vector) -> Vector { 1 / (1 + exp(-z)) }

    @inline(__always)
    static func value(_ kind: Kind, _ x: Vector) -> Vector {
        x * sigmoid(gate(kind, x).z)
    }

    @inline(__always)
    static func derivative(_ kind: Kind, _ x: Vector) -> Vector {
        let (z, slope) = gate(kind, x)
        let s = sigmoid(z)
        let inner: Vector = x * (1 - s) * slope
        return s * (1 + inner)
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
