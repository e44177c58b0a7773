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

/// Zeroes the rows (tokens) at positions t ≥ keptLengths[b] of sample b in a (B, T, C) sequence:
/// the decoder's tail drop. A dropped token's ±1 bits become 0, which no kept token can be.
final class DropTokens: Layer {
    var keptLengths: [Int] = []
    private var output: Tensor?
    private var inputGradient: Tensor?

    var parameters: [Parameter] { [] }

    private func apply(_ source: Tensor, into target: Tensor) {
        let batch = source.shape[0], length = source.shape[1], width = source.shape[2]
        precondition(keptLengths.count == batch, "DropTokens: \(keptLengths.count) lengths for batch \(batch)")
        for b in 0..<batch {
            let kept = min(max(keptLengths[b], 0), length) * width
            let offset = b * length * width
            (target.pointer + offset).update(from: source.pointer + offset, count: kept)
            (target.pointer + offset + kept).update(repeating: 0, count: length * width - kept)
        }
    }

    func forward(_ x: Tensor) -> Tensor {
        let y = Tensor.reuse(&output, shape: x.shape)
        apply(x, into: y)
        return y
    }

    func backward(_ dOut: Tensor) -> Tensor {
        let dx = Tensor.reuse(&inputGradient, shape: dOut.shape)
        apply(dOut, into: dx)
        return dx
    }
}

/// The same storage seen with another row shape: (B, T, C) ↔ (B, T·C/C', C'). Several tokens share
/// one transformer position (a register emits `tokensPerRegister` tokens; the decoder embeds them
/// together), which keeps the expensive layers on few positions.
final class Regroup: Layer {
    var rowsPerSample: Int
    let rowWidth: Int
    private var inputShape: [Int] = []

    init(rowsPerSample: Int, rowWidth: Int) {
        self.rowsPerSample = rowsPerSample
        self.rowWidth = rowWidth
    }

    var parameters: [Parameter] { [] }

    func forward(_ x: Tensor) -> Tensor {
        inputShape = x.shape
        return x.reshaped([x.shape[0], rowsPerSample, rowWidth])
    }

    func backward(_ dOut: Tensor) -> Tensor { dOut.reshaped(inputShape) }
}
