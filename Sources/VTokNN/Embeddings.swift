/// Learned position embeddings added to a (B, T, C) sequence; T may be shorter than `length`, in
/// which case the first T rows are used.
public final class PositionEmbedding: Layer {
    public let table: Parameter
    public let length: Int
    public let width: Int
    private var output: Tensor?

    public init(name: String, length: Int, width: Int, std: Float = 0.02, rng: inout SeededRandom) {
        self.length = length
        self.width = width
        table = .normal(name: name, shape: [length, width], std: std, decays: false, rng: &rng)
    }

    public var parameters: [Parameter] { [table] }

    public func forward(_ x: Tensor) -> Tensor {
        precondition(x.shape.count == 3 && x.shape[1] <= length && x.shape[2] == width, "PositionEmbedding: input \(x.shape)")
        let y = Tensor.reuse(&output, shape: x.shape)
        let span = x.shape[1] * width, xs = x.pointer, ys = SendablePointer(y.pointer)
        table.withValues { table in
            Parallel.forChunks(x.shape[0], workPerItem: span) { range in
                for b in range {
                    vectorLoop(0..<span) { i, lanes in
                        store(load(xs + b * span + i, lanes) + load(table + i, lanes), ys.base + b * span + i, lanes)
                    }
                }
            }
        }
        return y
    }

    /// The input gradient is dOut itself; the table collects dOut summed over the batch.
    public func backward(_ dOut: Tensor) -> Tensor {
        let span = dOut.shape[1] * width
        table.withBuffers { _, dTable in
            for b in 0..<dOut.shape[0] {
                let dy = dOut.pointer + b * span
                vectorLoop(0..<span) { i, lanes in store(load(dTable + i, lanes) + load(dy + i, lanes), dTable + i, lanes) }
            }
        }
        return dOut
    }
}

/// Replaces the rows at positions t ≥ keptLengths[b] of sample b in a (B, T, C) sequence by a
/// learned mask embedding: the decoder's stand-in for dropped tokens. Gradients of the replaced
/// rows flow into the embedding, those of the kept rows into the input.
public final class MaskEmbedding: Layer {
    public let embedding: Parameter
    public let width: Int
    /// One per sample; set before `forward`. nil keeps everything.
    public var keptLengths: [Int]?
    private var output: Tensor?
    private var inputGradient: Tensor?

    public init(name: String, width: Int, std: Float = 0.02, rng: inout SeededRandom) {
        self.width = width
        embedding = .normal(name: name, shape: [width], std: std, decays: false, rng: &rng)
    }

    public var parameters: [Parameter] { [embedding] }

    private func kept(batch: Int, length: Int) -> [Int] {
        guard let keptLengths else { return [Int](repeating: length, count: batch) }
        precondition(keptLengths.count == batch, "MaskEmbedding: \(keptLengths.count) lengths for batch \(batch)")
        return keptLengths.map { min(max($0, 0), length) }
    }

    public func forward(_ x: Tensor) -> Tensor {
        precondition(x.shape.count == 3 && x.shape[2] == width, "MaskEmbedding: input \(x.shape)")
        let batch = x.shape[0], length = x.shape[1]
        let y = Tensor.reuse(&output, shape: x.shape)
        let kept = kept(batch: batch, length: length)
        embedding.withValues { e in
            for b in 0..<batch {
                let rows = b * length * width
                (y.pointer + rows).update(from: x.pointer + rows, count: kept[b] * width)
                for t in kept[b]..<length { (y.pointer + rows + t * width).update(from: e, count: width) }
            }
        }
        return y
    }

    public func backward(_ dOut: Tensor) -> Tensor {
        let batch = dOut.shape[0], length = dOut.shape[1]
        let dx = Tensor.reuse(&inputGradient, shape: dOut.shape)
        let kept = kept(batch: batch, length: length)
        embedding.withBuffers { _, dEmbedding in
            for b in 0..<batch {
                let rows = b * length * width
                (dx.pointer + rows).update(from: dOut.pointer + rows, count: kept[b] * width)
                (dx.pointer + rows + kept[b] * width).update(repeating: 0, count: (length - kept[b]) * width)
                for t in kept[b]..<length {
                    let dy = dOut.pointer + rows + t * width
                    for i in 0..<width { dEmbedding[i] += dy[i] }
                }
            }
        }
        return dx
    }
}
