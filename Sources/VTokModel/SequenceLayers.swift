import VTokNN

/// Appends learned rows after every sample's sequence: (B, T, C) → (B, T + active, C). The
/// encoder's register tokens and the decoder's image queries. `activeRows` lets a caller append
/// only the first rows (an encoder run with fewer registers).
final class AppendLearnedRows: Layer {
    let table: Parameter
    let width: Int
    var activeRows: Int
    private var inputLength = 0
    private var output: Tensor?
    private var inputGradient: Tensor?

    init(name: String, rows: Int, width: Int, rng: inout SeededRandom) {
        self.width = width
        activeRows = rows
        table = Parameter(name: name, shape: [rows, width], value: (0..<rows * width).map { _ in 0.02 * rng.normal() },
                          decays: false)
    }

    var parameters: [Parameter] { [table] }

    func forward(_ x: Tensor) -> Tensor {
        let batch = x.shape[0], length = x.shape[1]
        inputLength = length
        let y = Tensor.reuse(&output, shape: [batch, length + activeRows, width])
        table.value.withUnsafeBufferPointer { rows in
            for b in 0..<batch {
                let sample = y.pointer + b * (length + activeRows) * width
                sample.update(from: x.pointer + b * length * width, count: length * width)
                (sample + length * width).update(from: rows.baseAddress!, count: activeRows * width)
            }
        }
        return y
    }

    func backward(_ dOut: Tensor) -> Tensor {
        let batch = dOut.shape[0], length = inputLength, total = length + activeRows
        let dx = Tensor.reuse(&inputGradient, shape: [batch, length, width])
        table.grad.withUnsafeMutableBufferPointer { dTable in
            for b in 0..<batch {
                let sample = dOut.pointer + b * total * width
                (dx.pointer + b * length * width).update(from: sample, count: length * width)
                for i in 0..<activeRows * width { dTable[i] += sample[length * width + i] }
            }
        }
        return dx
    }
}

/// Keeps positions `range` of every sample: (B, T, C) → (B, range.count, C).
final class SliceRows: Layer {
    var range: Range<Int>
    private var inputShape: [Int] = []
    private var output: Tensor?
    private var inputGradient: Tensor?

    init(_ range: Range<Int>) { self.range = range }

    var parameters: [Parameter] { [] }

    func forward(_ x: Tensor) -> Tensor {
        inputShape = x.shape
        let batch = x.shape[0], length = x.shape[1], width = x.shape[2]
        precondition(range.upperBound <= length, "SliceRows: \(range) of \(length) positions")
        let y = Tensor.reuse(&output, shape: [batch, range.count, width])
        for b in 0..<batch {
            (y.pointer + b * range.count * width)
                .update(from: x.pointer + (b * length + range.lowerBound) * width, count: range.count * width)
        }
        return y
    }

    func backward(_ dOut: Tensor) -> Tensor {
        let batch = inputShape[0], length = inputShape[1], width = inputShape[2]
        let dx = Tensor.reuse(&inputGradient, shape: inputShape)
        dx.fill(0)
        for b in 0..<batch {
            (dx.pointer + (b * length + range.lowerBound) * width)
                .update(from: dOut.pointer + b * range.count * width, count: range.count * width)
        }
        return dx
    }
}
