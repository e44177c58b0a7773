#if canImport(FoundationEssentials)
import FoundationEssentials
import Glibc
#else
import Foundation
#endif

/// A factorized entropy model for quantized latents: every channel c has its own learned
/// distribution p_c over the L symbols of a `ScalarQuantizer`, p_c = softmax(logits_c), shared by
/// all pixels and samples. It gives the rate term of a rate–distortion loss and the frequency
/// tables the range coder needs, so the model that is trained is the one the bitstream uses
/// (CompressAI's entropy bottleneck plays this part with a density over a continuous variable;
/// here the alphabet is finite, so the density is simply a table).
///
/// The rate is differentiable in the latents through soft assignments: a value y belongs to level
/// v_j with weight w_j = softmax_j(−(y − v_j)²/T) and costs Σ_j w_j·(−log₂ p_c,j) bits. Hard rounding
/// would give the encoder no signal at all; the soft cost moves smoothly as y crosses from one
/// level's cell into the next, so the encoder feels which direction makes the latent cheaper.
/// As T → 0 the weights become one-hot on the nearest level and the soft cost becomes the hard code
/// length −log₂ p(symbol), the cost the range coder actually pays (to within its rounding).
/// Annealing T during training trades gradient smoothness for that agreement.
///
/// The per-value `weights` carry tail dropping: a value that the truncated stream does not contain
/// costs nothing (weight 0), and a partial weight (an expected keep probability) scales its cost.
public final class CategoricalPrior {
    public let logits: Parameter
    public let channels: Int
    public let levels: Int
    /// Softness of the level assignment, in squared level units.
    public var temperature: Float

    private var latents: Tensor?
    private var weights: Tensor?
    private var latentGradient: Tensor?

    /// Logits start at 0: every symbol equally likely, log₂ L bits a value.
    public init(name: String, channels: Int, levels: Int, temperature: Float) {
        precondition(levels >= 2 && levels % 2 == 0, "CategoricalPrior: levels \(levels) must be even")
        precondition(temperature > 0, "CategoricalPrior: temperature must be positive")
        self.channels = channels
        self.levels = levels
        self.temperature = temperature
        logits = .constant(name: name + ".logits", shape: [channels, levels], value: 0, decays: false)
    }

    public var parameters: [Parameter] { [logits] }

    /// log p_c,j for every channel, as log-softmax of the logits, in Double: the frequency tables
    /// are derived from it and must not depend on summation-order noise more than necessary.
    func logProbabilities() -> [Double] {
        var result = [Double](repeating: 0, count: channels * levels)
        for c in 0..<channels {
            let row = logits.value[c * levels..<(c + 1) * levels].map(Double.init)
            let top = row.max()!
            let logSum = top + Glibc.log(row.reduce(0) { $0 + Glibc.exp($1 - top) })
            for j in 0..<levels { result[c * levels + j] = row[j] - logSum }
        }
        return result
    }

    /// −log₂ p_c,j: each symbol's code length in bits.
    func codeLengths() -> [Float] { logProbabilities().map { Float(-$0 / M_LN2) } }

    /// The hard code length of one symbol in bits: what the range coder pays for it.
    public func hardBits(symbol: Int, channel: Int) -> Float {
        Float(-logProbabilities()[channel * levels + symbol] / M_LN2)
    }

    /// w_j = softmax_j(−(y − v_j)²/T) into `w`, returning Σ_j w_j·cost_j.
    @inline(__always)
    private func softBits(_ y: Float, costs: UnsafePointer<Float>, _ w: UnsafeMutablePointer<Float>) -> Float {
        let half = levels / 2, scale = -1 / temperature
        var top = -Float.infinity
        for j in 0..<levels {
            let d = y - Float(j - half)
            w[j] = d * d * scale
            top = max(top, w[j])
        }
        var total: Float = 0
        for j in 0..<levels {
            w[j] = Glibc.exp(w[j] - top)
            total += w[j]
        }
        var bits: Float = 0
        for j in 0..<levels {
            w[j] /= total
            bits += w[j] * costs[j]
        }
        return bits
    }

    /// Bits per sample: Σ over the (B, C, H, W) values of weight · soft bits, divided by B.
    /// `latents` are the continuous values before rounding; both tensors are kept for `backward`.
    public func forward(latents: Tensor, weights: Tensor) -> Float {
        precondition(latents.shape.count == 4 && latents.shape[1] == channels && weights.shape == latents.shape,
                     "CategoricalPrior(\(logits.name)): latents \(latents.shape), weights \(weights.shape)")
        self.latents = latents
        self.weights = weights
        let batch = latents.shape[0], pixels = latents.shape[2] * latents.shape[3], levels = levels
        let costs = codeLengths()
        var partial = [Double](repeating: 0, count: Parallel.workerCount)
        costs.withUnsafeBufferPointer { costs in
            partial.withUnsafeMutableBufferPointer { partial in
                Parallel.forChunks(batch * channels, workPerItem: pixels * levels * 4) { range, worker in
                    var w = [Float](repeating: 0, count: levels)
                    var total = 0.0
                    w.withUnsafeMutableBufferPointer { w in
                        for plane in range {
                            let cost = costs.baseAddress! + plane % self.channels * levels
                            let ys = latents.pointer + plane * pixels, ws = weights.pointer + plane * pixels
                            var planeBits: Float = 0
                            for p in 0..<pixels where ws[p] != 0 {
                                planeBits += ws[p] * self.softBits(ys[p], costs: cost, w.baseAddress!)
                            }
                            total += Double(planeBits)
                        }
                    }
                    partial[worker] += total
                }
            }
        }
        return Float(partial.reduce(0, +) / Double(batch))
    }

    /// d(scale·rate)/d latents, and d(scale·rate)/d logits added into `logits.grad`.
    ///
    /// With cost_j = −log₂ p_j and bits = Σ_j w_j·cost_j: d bits/dy = Σ_j w_j·(cost_j − bits)·(−2(y − v_j)/T)
    /// (the softmax's Jacobian). For the logits, the rate is Σ_j A_j·cost_j / B with soft counts
    /// A_j = Σ weight·w_j, and d(−log p_j)/d logit_k = p_k − [j = k], so
    /// d rate/d logit_k = (p_k·Σ_j A_j − A_k) / (B·ln 2).
    public func backward(scale: Float) -> Tensor {
        guard let latents, let weights else { preconditionFailure("CategoricalPrior.backward before forward") }
        let batch = latents.shape[0], pixels = latents.shape[2] * latents.shape[3], levels = levels, channels = channels
        let dLatents = Tensor.reuse(&latentGradient, shape: latents.shape)
        let costs = codeLengths(), perValue = scale / Float(batch), half = levels / 2, slope = -2 / temperature
        // Soft counts A per worker, summed afterwards: workers never add into the same slot.
        var counts = [Double](repeating: 0, count: Parallel.workerCount * channels * levels)
        costs.withUnsafeBufferPointer { costs in
            counts.withUnsafeMutableBufferPointer { counts in
                Parallel.forChunks(batch * channels, workPerItem: pixels * levels * 6) { range, worker in
                    var w = [Float](repeating: 0, count: levels), planeCounts = [Float](repeating: 0, count: levels)
                    w.withUnsafeMutableBufferPointer { w in
                        for plane in range {
                            let c = plane % channels, cost = costs.baseAddress! + c * levels
                            let ys = latents.pointer + plane * pixels, ws = weights.pointer + plane * pixels
                            let dys = dLatents.pointer + plane * pixels
                            for j in 0..<levels { planeCounts[j] = 0 }
                            for p in 0..<pixels {
                                guard ws[p] != 0 else {
                                    dys[p] = 0
                                    continue
                                }
                                let y = ys[p], bits = self.softBits(y, costs: cost, w.baseAddress!)
                                var derivative: Float = 0
                                for j in 0..<levels {
                                    derivative += w[j] * (cost[j] - bits) * slope * (y - Float(j - half))
                                    planeCounts[j] += ws[p] * w[j]
                                }
                                dys[p] = perValue * ws[p] * derivative
                            }
                            let slot = counts.baseAddress! + (worker * channels + c) * levels
                            for j in 0..<levels { slot[j] += Double(planeCounts[j]) }
                        }
                    }
                }
            }
        }
        let logP = logProbabilities(), factor = Double(scale) / (Double(batch) * M_LN2)
        logits.grad.withUnsafeMutableBufferPointer { grad in
            for c in 0..<channels {
                var a = [Double](repeating: 0, count: levels)
                for worker in 0..<Parallel.workerCount {
                    for j in 0..<levels { a[j] += counts[(worker * channels + c) * levels + j] }
                }
                let total = a.reduce(0, +)
                for k in 0..<levels {
                    grad[c * levels + k] += Float(factor * (Glibc.exp(logP[c * levels + k]) * total - a[k]))
                }
            }
        }
        return dLatents
    }

    /// Integer frequencies per channel for a range coder: each at least 1 (every symbol stays
    /// codable, however unlikely the model thinks it), summing to exactly `total`. Each symbol
    /// gets 1 plus floor(p·(total − L)), its share of the rest; the few counts the floors leave
    /// (fewer than L) go to the largest remainders, ties to the lower symbol, so every count is
    /// within one of 1 + p·(total − L). The table depends on exp and log of the logits: a decoder
    /// must use the table the encoder used (store it with the model) rather than recompute it on
    /// another platform's libm, where a last-bit difference could move a count.
    public func frequencies(total: UInt32) -> [[UInt32]] {
        precondition(Int(total) >= levels, "CategoricalPrior.frequencies: total \(total) below \(levels) symbols")
        let logP = logProbabilities(), spare = Double(Int(total) - levels)
        return (0..<channels).map { c in
            let shares = (0..<levels).map { Glibc.exp(logP[c * levels + $0]) * spare }
            var counts = shares.map { UInt32($0.rounded(.down)) + 1 }
            let left = Int(total) - Int(counts.reduce(0, +))
            let order = (0..<levels).sorted {
                let (a, b) = (shares[$0] - shares[$0].rounded(.down), shares[$1] - shares[$1].rounded(.down))
                return a != b ? a > b : $0 < $1
            }
            // Floors lose less than 1 each, so at most L − 1 counts are left (more only if the
            // probabilities' Double sum falls short of 1 by rounding, hence the modulo).
            for i in 0..<max(left, 0) { counts[order[i % levels]] += 1 }
            return counts
        }
    }
}
