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

/// Adds a learned linear mix of some positions into later ones of a (B, T, C) batch: target row i
/// (position `targetStart + i`) gains Σ_j M[i, j] · (source row j), one M for every channel and
/// sample. The targets are the positions from `targetStart` to the end of the sequence, at most
/// M's row count: an encoder run with fewer registers mixes into its first ones only.
///
/// The tokenizer uses it to start registers as fixed poolings of the patches (and decoder queries
/// as the transposed spread of the tokens), so that each register reads something different from
/// the first step instead of every register learning to break the symmetry by itself.
public final class SequenceMixing: Layer {
    /// [targets, sources], row-major.
    public let matrix: Parameter
    public let sources: Range<Int>
    public let targetStart: Int
    private var input: Tensor?
    private var output: Tensor?
    private var inputGradient: Tensor?

    public init(name: String, sources: Range<Int>, targetStart: Int, initialMatrix: [Float], targets: Int) {
        precondition(sources.upperBound <= targetStart, "SequenceMixing(\(name)): sources \(sources) overlap targets from \(targetStart)")
        precondition(initialMatrix.count == targets * sources.count, "SequenceMixing(\(name)): \(initialMatrix.count) values for \(targets)x\(sources.count)")
        self.sources = sources
        self.targetStart = targetStart
        matrix = Parameter(name: name, shape: [targets, sources.count], value: initialMatrix, decays: false)
    }

    public var parameters: [Parameter] { [matrix] }

    private func targetCount(length: Int) -> Int {
        let count = length - targetStart
        precondition((0...matrix.shape[0]).contains(count), "SequenceMixing(\(matrix.name)): \(count) targets, matrix has \(matrix.shape[0])")
        return count
    }

    public func forward(_ x: Tensor) -> Tensor {
        precondition(x.shape.count == 3 && sources.upperBound <= x.shape[1], "SequenceMixing(\(matrix.name)): input \(x.shape)")
        input = x
        let batch = x.shape[0], length = x.shape[1], width = x.shape[2]
        let targets = targetCount(length: length), sourceCount = sources.count
        let y = Tensor.reuse(&output, shape: x.shape)
        y.copy(from: x)
        guard targets > 0 else { return y }
        matrix.withValues { m in
            for b in 0..<batch {
                let sequence = b * length * width
                gemm(m: targets, n: width, k: sourceCount, a: m, lda: sourceCount,
                     b: x.pointer + sequence + sources.lowerBound * width, ldb: width,
                     beta: 1, c: y.pointer + sequence + targetStart * width, ldc: width)
            }
        }
        return y
    }

    public func backward(_ dOut: Tensor) -> Tensor {
        guard let x = input else { preconditionFailure("SequenceMixing.backward before forward") }
        let batch = x.shape[0], length = x.shape[1], width = x.shape[2]
        let targets = targetCount(length: length), sourceCount = sources.count
        let dx = Tensor.reuse(&inputGradient, shape: x.shape)
        dx.copy(from: dOut)
        guard targets > 0 else { return dx }
        matrix.withBuffers { m, dm in
            for b in 0..<batch {
                let sequence = b * length * width
                let dTargets = dOut.pointer + sequence + targetStart * width
                let sourceRows = sources.lowerBound * width + sequence
                // dSources += Mᵀ · dTargets; dM += dTargets · Sourcesᵀ.
                gemm(transA: true, m: sourceCount, n: width, k: targets, a: m, lda: sourceCount,
                     b: dTargets, ldb: width, beta: 1, c: dx.pointer + sourceRows, ldc: width)
                gemm(transB: true, m: targets, n: sourceCount, k: width, a: dTargets, lda: width,
                     b: x.pointer + sourceRows, ldb: width, beta: 1, c: dm, ldc: sourceCount)
            }
        }
        return dx
    }
}
