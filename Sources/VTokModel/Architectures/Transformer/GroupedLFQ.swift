import VTokNN

#if canImport(Glibc)
import Glibc
#endif

/// WeTok's group-wise lookup-free quantization. A latent row of `groups·bitsPerGroup` values is
/// quantized to the signs of its values (±1, no codebook lookup); its token id is those bits.
/// Gradients pass straight through the sign.
///
/// Two auxiliary losses act on the continuous latents:
/// - **entropy**, per group: soft code assignments p(c|z) ∝ exp(−‖z − c‖²/τ) over the group's
///   2^b codes; the loss is the mean per-row entropy of p(·|z) (confident rows) minus the entropy
///   of the batch-mean distribution (every code used), averaged over groups. Because the codes are
///   the corners of a hypercube, p(·|z) factorizes into per-bit probabilities σ(4z/τ), so the
///   per-row term is a sum of binary entropies and only the batch mean needs all 2^b codes.
/// - **commitment**: mean (z − sign z)², keeping latents near the corners they are rounded to.
public final class GroupedLFQ {
    public let groups: Int
    public let bitsPerGroup: Int
    public let temperature: Float

    public private(set) var entropyLoss: Float = 0
    /// The two halves of `entropyLoss`, for logging: low per-row entropy and high code entropy are good.
    public private(set) var rowEntropy: Float = 0
    public private(set) var codeEntropy: Float = 0
    public private(set) var commitmentLoss: Float = 0

    private var latents: Tensor?
    private var quantized: Tensor?
    private var latentGradient: Tensor?
    /// d(entropyLoss)/dz and d(commitmentLoss)/dz from the last forward.
    private var entropyGradient: [Float] = []
    private var commitmentGradient: [Float] = []

    public init(groups: Int, bitsPerGroup: Int, temperature: Float) {
        self.groups = groups
        self.bitsPerGroup = bitsPerGroup
        self.temperature = temperature
    }

    public var bitsPerToken: Int { groups * bitsPerGroup }

    /// Signs of `z` (a zero counts as positive), and the auxiliary losses and their gradients.
    public func forward(_ z: Tensor) -> Tensor {
        precondition(z.rowLength == bitsPerToken, "GroupedLFQ: rows of \(z.rowLength), expects \(bitsPerToken)")
        latents = z
        let q = Tensor.reuse(&quantized, shape: z.shape)
        for i in 0..<z.count { q[i] = z[i] >= 0 ? 1 : -1 }
        (commitmentLoss, commitmentGradient) = commitment(z, q)
        computeEntropy(z)
        return q
    }

    /// dz = dq (straight through) + the weighted gradients of the auxiliary losses.
    public func backward(_ dQuantized: Tensor, entropyWeight: Float, commitmentWeight: Float) -> Tensor {
        guard let z = latents else { preconditionFailure("GroupedLFQ.backward before forward") }
        let dz = Tensor.reuse(&latentGradient, shape: z.shape)
        for i in 0..<z.count {
            dz[i] = dQuantized[i] + entropyWeight * entropyGradient[i] + commitmentWeight * commitmentGradient[i]
        }
        return dz
    }

    private func computeEntropy(_ z: Tensor) {
        let rows = z.rows, width = bitsPerToken, b = bitsPerGroup, codes = 1 << b
        let logitScale = 4 / temperature
        entropyGradient = [Float](repeating: 0, count: z.count)
        var rowEntropyTotal = 0.0, codeEntropyTotal = 0.0
        var bitProbability = [Float](repeating: 0, count: rows * b)
        var codeProbability = [Float](repeating: 0, count: rows * codes)
        var meanCode = [Double](repeating: 0, count: codes)
        let gradientScale = logitScale / Float(rows * groups)
        for g in 0..<groups {
            meanCode.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
            for n in 0..<rows {
                let p = bitProbability.withUnsafeMutableBufferPointer { $0.baseAddress! + n * b }
                for j in 0..<b {
                    let a = logitScale * z[n * width + g * b + j]
                    let pj = 1 / (1 + expf(-a))
                    p[j] = pj
                    rowEntropyTotal += Double(binaryEntropy(pj))
                    // Row-entropy term: dH(σ(a))/da = −a·p(1−p).
                    entropyGradient[n * width + g * b + j] = gradientScale * (-a * pj * (1 - pj))
                }
                let row = n * codes
                codeProbability[row] = 1
                var filled = 1
                // Code c's bit j (most significant first) is 1 where the latent is positive.
                for j in 0..<b {
                    for c in stride(from: filled - 1, through: 0, by: -1) {
                        let parent = codeProbability[row + c]
                        codeProbability[row + 2 * c + 1] = parent * p[j]
                        codeProbability[row + 2 * c] = parent * (1 - p[j])
                    }
                    filled *= 2
                }
                for c in 0..<codes { meanCode[c] += Double(codeProbability[row + c]) }
            }
            let (groupCodeEntropy, logMean) = batchMeanEntropy(meanCode, rows: rows)
            codeEntropyTotal += groupCodeEntropy
            // Code-entropy term: d(−H(p̄))/da_nj = (1/N)·Σ_c log p̄_c · p_n(c)·(bit_j(c) − p_nj).
            for n in 0..<rows {
                let row = n * codes
                var weighted = [Float](repeating: 0, count: b)
                var total: Float = 0
                for c in 0..<codes {
                    let w = logMean[c] * codeProbability[row + c]
                    total += w
                    for j in 0..<b where (c >> (b - 1 - j)) & 1 == 1 { weighted[j] += w }
                }
                for j in 0..<b {
                    let pj = bitProbability[n * b + j]
                    entropyGradient[n * width + g * b + j] += gradientScale * (weighted[j] - pj * total)
                }
            }
        }
        rowEntropy = Float(rowEntropyTotal / Double(rows * groups))
        codeEntropy = Float(codeEntropyTotal / Double(groups))
        entropyLoss = rowEntropy - codeEntropy
    }

    /// Token ids of quantized rows: group 0 in the most significant bits, each group's first bit
    /// most significant (the container's `TokenLayout` convention).
    public static func tokenIDs(signs: UnsafePointer<Float>, rows: Int, bitsPerToken: Int) -> [UInt32] {
        (0..<rows).map { n in
            var id: UInt32 = 0
            for j in 0..<bitsPerToken { id = (id << 1) | (signs[n * bitsPerToken + j] >= 0 ? 1 : 0) }
            return id
        }
    }

    /// The ±1 rows of token ids (inverse of `tokenIDs`).
    public static func signs(of ids: [UInt32], bitsPerToken: Int, into output: UnsafeMutablePointer<Float>) {
        for (n, id) in ids.enumerated() {
            for j in 0..<bitsPerToken {
                output[n * bitsPerToken + j] = (id >> UInt32(bitsPerToken - 1 - j)) & 1 == 1 ? 1 : -1
            }
        }
    }
}

private func binaryEntropy(_ p: Float) -> Float {
    let clamped = min(max(p, 1e-7), 1 - 1e-7)
    return -(clamped * logf(clamped) + (1 - clamped) * logf(1 - clamped))
}

