import VTokNN

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
