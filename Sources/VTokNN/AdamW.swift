/// AdamW (Loshchilov & Hutter, "Decoupled Weight Decay Regularization"), with PyTorch's semantics:
///
///     p -= lr * weightDecay * p                       (only where parameter.decays)
///     m  = beta1 * m + (1 - beta1) * g
///     v  = beta2 * v + (1 - beta2) * g * g
///     p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
///
/// The moments and the step count are the whole state: `save(into:)` and `restore(from:)` carry
/// them through a checkpoint bit for bit, so a resumed run continues exactly as an unbroken one.
public final class AdamW {
    public struct Config: Codable, Equatable, Sendable {
        public var beta1: Float
        public var beta2: Float
        public var eps: Float
        public var weightDecay: Float

        /// The defaults are PyTorch's.
        public init(beta1: Float = 0.9, beta2: Float = 0.999, eps: Float = 1e-8, weightDecay: Float = 0.01) {
            self.beta1 = beta1
            self.beta2 = beta2
            self.eps = eps
            self.weightDecay = weightDecay
        }
    }

    public let parameters: [Parameter]
    public let config: Config
    /// Updates taken so far; the bias corrections use it.
    public private(set) var step = 0
    /// First and second moments, one array per parameter, in `parameters` order.
    private var firstMoments: [[Float]]
    private var secondMoments: [[Float]]

    public init(parameters: [Parameter], config: Config = Config()) {
        self.parameters = parameters
        self.config = config
        firstMoments = parameters.map { [Float](repeating: 0, count: $0.count) }
        secondMoments = firstMoments
    }

    /// One update of every parameter from its accumulated `grad`, at `learningRate`.
    public func update(learningRate: Float) {
        step += 1
        let (beta1, beta2, eps) = (config.beta1, config.beta2, config.eps)
        // In Double, as PyTorch does in Python: 1 - 0.999^t loses digits in Float for small t.
        let stepSize = Float(Double(learningRate) / (1 - pow(Double(beta1), Double(step))))
        let inverseSecondCorrection = Float(1 / (1 - pow(Double(beta2), Double(step))).squareRoot())

        for (index, parameter) in parameters.enumerated() {
            let decayFactor = parameter.decays ? 1 - learningRate * config.weightDecay : 1
            parameter.value.withUnsafeMutableBufferPointer { value in
                parameter.grad.withUnsafeBufferPointer { grad in
                    firstMoments[index].withUnsafeMutableBufferPointer { m in
                        secondMoments[index].withUnsafeMutableBufferPointer { v in
                            // Vectorises only with clang's -fno-math-errno: Float.squareRoot() is
                            // C's sqrtf, which may set errno, and LLVM will not widen that call.
                            for i in 0..<value.count {
                                let g = grad[i]
                                m[i] = beta1 * m[i] + (1 - beta1) * g
                                v[i] = beta2 * v[i] + (1 - beta2) * g * g
                                let denominator = v[i].squareRoot() * inverseSecondCorrection + eps
                                value[i] = value[i] * decayFactor - stepSize * m[i] / denominator
                            }
                        }
                    }
                }
            }
        }
    }

    // MARK: State

    private static let stepKey = "adamw.step"
    private static let firstMomentPrefix = "adamw.m."
    private static let secondMomentPrefix = "adamw.v."

    /// Adds the moments as tensors "adamw.m.<name>", "adamw.v.<name>" and the step count as
    /// metadata "adamw.step". Write the file as F32 for an exact resume.
    public func save(into file: inout WeightsFile) {
        for (index, parameter) in parameters.enumerated() {
            file.tensors.append(NamedTensor(name: Self.firstMomentPrefix + parameter.name, shape: parameter.shape, values: firstMoments[index]))
            file.tensors.append(NamedTensor(name: Self.secondMomentPrefix + parameter.name, shape: parameter.shape, values: secondMoments[index]))
        }
        file.metadata[Self.stepKey] = String(step)
    }

    /// Replaces the state with the one `save(into:)` wrote for the same parameter names and shapes.
    public func restore(from file: WeightsFile) throws {
        guard let savedStep = file.metadata[Self.stepKey].flatMap({ Int($0) }), savedStep >= 0 else {
            throw WeightsFileError.mismatch(["missing or invalid metadata \(Self.stepKey)"])
        }
        func moments(_ prefix: String) throws -> [[Float]] {
            try file.values(matching: parameters.map { (prefix + $0.name, $0.shape) }, prefix: prefix)
        }
        let first = try moments(Self.firstMomentPrefix)
        let second = try moments(Self.secondMomentPrefix)
        (step, firstMoments, secondMoments) = (savedStep, first, second)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
