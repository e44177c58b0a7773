/// Learned tokens joined to every sequence of a (B, T, C) batch, before or after it: register
/// tokens after the patches in an encoder, patch queries before the latent tokens in a decoder.
public final class LearnedTokens: Layer {
    public enum Placement: Sendable { case before, after }

    public let tokens: Parameter
    public let count: Int
    public let width: Int
    public let placement: Placement
    /// How many of the learned rows are joined (the first ones): an encoder run with fewer registers.
    public var activeCount: Int
    private var output: Tensor?
    private var inputGradient: Tensor?

    public init(name: String, count: Int, width: Int, placement: Placement, std: Float = 0.02, rng: inout SeededRandom) {
        self.count = count
        self.width = width
        self.placement = placement
        activeCount = count
        tokens = .normal(name: name, shape: [count, width], std: std, decays: false, rng: &rng)
    }

    public var parameters: [Parameter] { [tokens] }

    /// Row offsets of the input's rows and of the learned rows within an output sequence.
    private func offsets(inputLength: Int) -> (input: Int, learned: Int) {
        placement == .before ? (activeCount, 0) : (0, inputLength)
    }

    public func forward(_ x: Tensor) -> Tensor {
        precondition(x.shape.count == 3 && x.shape[2] == width, "LearnedTokens(\(tokens.name)): input \(x.shape)")
        precondition((0...count).contains(activeCount), "LearnedTokens(\(tokens.name)): \(activeCount) of \(count) rows")
        let batch = x.shape[0], length = x.shape[1], total = length + activeCount
        let y = Tensor.reuse(&output, shape: [batch, total, width])
        let (inputOffset, learnedOffset) = offsets(inputLength: length)
        tokens.withValues { learned in
            for b in 0..<batch {
                let sequence = y.pointer + b * total * width
                (sequence + inputOffset * width).update(from: x.pointer + b * length * width, count: length * width)
                (sequence + learnedOffset * width).update(from: learned, count: activeCount * width)
            }
        }
        return y
    }

    public func backward(_ dOut: Tensor) -> Tensor {
        let batch = dOut.shape[0], total = dOut.shape[1], length = total - activeCount
        let dx = Tensor.reuse(&inputGradient, shape: [batch, length, width])
        let (inputOffset, learnedOffset) = offsets(inputLength: length)
        tokens.withBuffers { _, dLearned in
            for b in 0..<batch {
                let sequence = dOut.pointer + b * total * width
                (dx.pointer + b * length * width).update(from: sequence + inputOffset * width, count: length * width)
                let dy = sequence + learnedOffset * width
                vectorLoop(0..<activeCount * width) { i, lanes in store(load(dLearned + i, lanes) + load(dy + i, lanes), dLearned + i, lanes) }
            }
        }
        return dx
    }
}

/// Positions `range` of every sequence in a (B, T, C) batch: the register outputs of an encoder,
/// the patch outputs of a decoder. The other positions get zero gradient.
public final class SequenceSlice: Layer {
    public var range: Range<Int>
    private var inputShape: [Int] = []
    private var output: Tensor?
    private var inputGradient: Tensor?

    public init(_ range: Range<Int>) { self.range = range }

    public var parameters: [Parameter] { [] }

    public func forward(_ x: Tensor) -> Tensor {
        precondition(x.shape.count == 3 && range.upperBound <= x.shape[1], "SequenceSlice \(range): input \(x.shape)")
        inputShape = x.shape
        let batch = x.shape[0], length = x.shape[1], width = x.shape[2]
        let y = Tensor.reuse(&output, shape: [batch, range.count, width])
        for b in 0..<batch {
            (y.pointer + b * range.count * width).update(from: x.pointer + (b * length + range.lowerBound) * width, count: range.count * width)
        }
        return y
    }

    public func backward(_ dOut: Tensor) -> Tensor {
        let batch = inputShape[0], length = inputShape[1], width = inputShape[2]
        let dx = Tensor.reuse(&inputGradient, shape: inputShape)
        dx.fill(0)
        for b in 0..<batch {
            (dx.pointer + (b * length + range.lowerBound) * width).update(from: dOut.pointer + b * range.count * width, count: range.count * width)
        }
        return dx
    }
}
