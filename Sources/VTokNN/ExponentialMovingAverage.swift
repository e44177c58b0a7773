/// An exponential moving average of a model's weights, for evaluation and export: it smooths out
/// the last steps' noise. Call `update()` after each optimiser step.
///
/// With `warmsUp`, the decay at update t (from 0) is min(decay, (1 + t) / (10 + t)), so early
/// averages follow the fast-moving weights instead of remembering the random initialisation.
public final class ExponentialMovingAverage {
    public let parameters: [Parameter]
    public let decay: Float
    public let warmsUp: Bool
    public private(set) var updateCount = 0
    /// The averaged weights, one array per parameter; the training weights while swapped in.
    private var averages: [[Float]]
    /// Whether `parameters` currently hold the averages (see `swapWeights()`).
    public private(set) var isSwappedIn = false

    /// Starts the average at the parameters' current values.
    public init(parameters: [Parameter], decay: Float, warmsUp: Bool = true) {
        self.parameters = parameters
        self.decay = decay
        self.warmsUp = warmsUp
        averages = parameters.map(\.value)
    }

    /// The decay the next `update()` uses.
    public var currentDecay: Float {
        warmsUp ? min(decay, Float(1 + updateCount) / Float(10 + updateCount)) : decay
    }

    public func update() {
        precondition(!isSwappedIn, "update the moving average with the training weights in place")
        let rate = 1 - currentDecay
        for (index, parameter) in parameters.enumerated() {
            parameter.value.withUnsafeBufferPointer { value in
                averages[index].withUnsafeMutableBufferPointer { average in
                    // Moving by a fraction of the difference keeps a constant weight exactly constant.
                    for i in 0..<value.count { average[i] -= rate * (average[i] - value[i]) }
                }
            }
        }
        updateCount += 1
    }

    /// Exchanges the training weights and the averages, without copying. Calling it twice restores
    /// the training weights exactly.
    public func swapWeights() {
        for (index, parameter) in parameters.enumerated() { swap(&parameter.value, &averages[index]) }
        isSwappedIn.toggle()
    }

    /// Runs `body` (evaluation, export) with the averaged weights in the parameters, then puts the
    /// training weights back.
    public func withAverageWeights<Result>(_ body: () throws -> Result) rethrows -> Result {
        swapWeights()
        defer { swapWeights() }
        return try body()
    }

    // MARK: State

    private static let updateCountKey = "ema.updates"
    private static let prefix = "ema."

    /// Adds the averages as tensors "ema.<name>" and the update count as metadata "ema.updates".
    public func save(into file: inout WeightsFile) {
        precondition(!isSwappedIn, "save the moving average with the training weights in place")
        for (index, parameter) in parameters.enumerated() {
            file.tensors.append(NamedTensor(name: Self.prefix + parameter.name, shape: parameter.shape, values: averages[index]))
        }
        file.metadata[Self.updateCountKey] = String(updateCount)
    }

    /// Replaces the state with the one `save(into:)` wrote for the same parameter names and shapes.
    public func restore(from file: WeightsFile) throws {
        precondition(!isSwappedIn, "restore the moving average with the training weights in place")
        guard let savedCount = file.metadata[Self.updateCountKey].flatMap({ Int($0) }), savedCount >= 0 else {
            throw WeightsFileError.mismatch(["missing or invalid metadata \(Self.updateCountKey)"])
        }
        averages = try file.values(matching: parameters.map { (Self.prefix + $0.name, $0.shape) }, prefix: Self.prefix)
        updateCount = savedCount
    }
}
