import VTokNN

#if canImport(Glibc)
import Glibc
#endif

/// What the tokenizer needs of a token quantizer: the encoder emits `latentsPerToken` values per
/// token, the decoder reads `decoderValuesPerToken` values per token, and a token id is
/// `groups·bitsPerGroup` bits, group 0 most significant.
protocol TokenQuantizer: AnyObject {
    var latentsPerToken: Int { get }
    var decoderValuesPerToken: Int { get }
    var entropyLoss: Float { get }
    var rowEntropy: Float { get }
    var codeEntropy: Float { get }
    var commitmentLoss: Float { get }
    /// The decoder's input for latent rows, and the auxiliary losses with their gradients.
    func forward(_ z: Tensor) -> Tensor
    /// The straight-through gradient plus the weighted auxiliary gradients.
    func backward(_ dQuantized: Tensor, entropyWeight: Float, commitmentWeight: Float) -> Tensor
    /// Token ids of `rows` latent rows.
    func tokenIDs(latents: UnsafePointer<Float>, rows: Int) -> [UInt32]
    /// The decoder's input rows for token ids (what `forward` returns for latents with these ids).
    func decoderValues(of ids: [UInt32], into output: UnsafeMutablePointer<Float>)
}

extension GroupedLFQ: TokenQuantizer {
    var latentsPerToken: Int { bitsPerToken }
    var decoderValuesPerToken: Int { bitsPerToken }

    func tokenIDs(latents: UnsafePointer<Float>, rows: Int) -> [UInt32] {
        Self.tokenIDs(signs: latents, rows: rows, bitsPerToken: bitsPerToken)
    }

    func decoderValues(of ids: [UInt32], into output: UnsafeMutablePointer<Float>) {
        Self.signs(of: ids, bitsPerToken: bitsPerToken, into: output)
    }
}

/// The commitment loss, mean (x − q)² of latents against the values they were rounded to, and its
/// gradient with respect to x.
func commitment(_ x: Tensor, _ q: Tensor) -> (loss: Float, gradient: [Float]) {
    var total = 0.0
    var gradient = [Float](repeating: 0, count: x.count)
    let scale = 2 / Float(x.count)
    for i in 0..<x.count {
        let d = x[i] - q[i]
        total += Double(d * d)
        gradient[i] = scale * d
    }
    return (Float(total / Double(x.count)), gradient)
}

/// The entropy of the batch-mean code distribution p̄ from per-code probability sums over `rows`
/// rows, and log p̄ per code (clamped at 1e-12), which the entropy loss's gradient needs.
func batchMeanEntropy(_ sums: [Double], rows: Int) -> (entropy: Double, logMean: [Float]) {
    var entropy = 0.0
    let logMean = sums.map { sum -> Float in
        let mean = max(sum / Double(rows), 1e-12)
        entropy -= mean * log(mean)
        return Float(log(mean))
    }
    return (entropy, logMean)
}
