/// Reconstruction losses, reduced per sample (mean over a sample's elements) and then averaged
/// over the batch with optional per-sample weights: total = (1/B)·Σ_b w_b·L_b.
public final class ReconstructionLoss {
    public enum Kind: Sendable, Equatable {
        case meanSquaredError
        case meanAbsoluteError
        /// √(d² + ε²) − ε: L1 that is smooth near zero.
        case charbonnier(epsilon: Float)
    }

    public let kind: Kind
    /// L_b of the last `forward`.
    public private(set) var perSample: [Float] = []
    private var prediction: Tensor?
    private var target: Tensor?
    private var weights: [Float] = []
    private var inputGradient: Tensor?

    public init(_ kind: Kind) { self.kind = kind }

    @inline(__always)
    private func value(_ d: Float) -> Float {
        switch kind {
        case .meanSquaredError: return d * d
        case .meanAbsoluteError: return abs(d)
        case .charbonnier(let epsilon): return (d * d + epsilon * epsilon).squareRoot() - epsilon
        }
    }

    @inline(__always)
    private func derivative(_ d: Float) -> Float {
        switch kind {
        case .meanSquaredError: return 2 * d
        case .meanAbsoluteError: return d > 0 ? 1 : (d < 0 ? -1 : 0)
        case .charbonnier(let epsilon): return d / (d * d + epsilon * epsilon).squareRoot()
        }
    }

    /// The batch loss; the leading dimension of `prediction` is the sample.
    public func forward(_ prediction: Tensor, _ target: Tensor, sampleWeights: [Float]? = nil) -> Float {
        precondition(prediction.shape == target.shape, "loss: prediction \(prediction.shape) vs target \(target.shape)")
        let batch = prediction.shape[0], span = prediction.count / batch
        weights = sampleWeights ?? [Float](repeating: 1, count: batch)
        precondition(weights.count == batch, "loss: \(weights.count) weights for batch \(batch)")
        self.prediction = prediction
        self.target = target
        // Double accumulation: a sample has up to ~10^5 elements and the result is compared
        // across steps to three digits.
        perSample = (0..<batch).map { b in
            var total = 0.0
            for i in b * span..<(b + 1) * span { total += Double(value(prediction[i] - target[i])) }
            return Float(total / Double(span))
        }
        return zip(weights, perSample).map { $0 * $1 }.reduce(0, +) / Float(batch)
    }

    /// d total / d prediction.
    public func backward() -> Tensor {
        guard let prediction, let target else { preconditionFailure("loss.backward before forward") }
        let batch = prediction.shape[0], span = prediction.count / batch
        let dx = Tensor.reuse(&inputGradient, shape: prediction.shape)
        for b in 0..<batch {
            let scale = weights[b] / Float(batch * span)
            for i in b * span..<(b + 1) * span { dx[i] = scale * derivative(prediction[i] - target[i]) }
        }
        return dx
    }
}
