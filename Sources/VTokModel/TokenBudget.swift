import VTokContainer
import VTokImage

/// How many tokens an encoder keeps: the choices `vtok encode` and the C library offer.
public enum TokenBudget: Sendable, Equatable {
    /// All of the model's tokens.
    case all
    /// The first k tokens of every tile.
    case tokens(Int)
    /// The most tokens whose whole file fits this many bytes (at least one token per tile).
    case maxBytes(Int)
    /// The fewest tokens that decode to this PSNR (dB, 8-bit RGB), or all of them.
    case targetPSNR(Double)
}

/// Why a budget cannot be met; `description` is a sentence for an error message.
public enum TokenBudgetError: Error, Equatable, CustomStringConvertible {
    case moreTokensThanTheModelHas(requested: Int, available: Int)
    /// `smallestUsefulBytes` is the whole file with one token per tile.
    case byteBudgetHoldsNoToken(maxBytes: Int, tiles: Int, smallestUsefulBytes: Int)

    public var description: String {
        switch self {
        case .moreTokensThanTheModelHas(let requested, let available):
            return "\(requested) tokens per tile asked for; the model has \(available) tokens per tile"
        case .byteBudgetHoldsNoToken(let maxBytes, let tiles, let smallest):
            return "\(maxBytes) bytes leave room for 0 tokens" + (tiles > 1 ? " in each of the \(tiles) tiles" : "")
                + "; the smallest file with one token\(tiles > 1 ? " per tile" : "") is \(smallest) bytes"
        }
    }
}

extension VTokCodec {
    /// The one place an encoder's budget becomes a token count (`vtok encode`, the C library).
    /// The tokens per tile of `full` (all K tokens of `image`) that `budget` keeps, with the quality
    /// they decode to when the budget is a quality (`reached` false when even all tokens fall short).
    public func keptTokens(of full: VTokFile, image: RGBImage, budget: TokenBudget, format: FileFormat? = nil) throws
        -> (tokens: Int, quality: Double?, reached: Bool) {
        switch budget {
        case .all:
            return (full.tokenCount, nil, true)
        case .tokens(let count):
            guard count <= full.tokenCount else {
                throw TokenBudgetError.moreTokensThanTheModelHas(requested: count, available: full.tokenCount)
            }
            return (count, nil, true)
        case .maxBytes(let maxBytes):
            let sizes = try fileSizes(full, format: format)
            let kept = RateControl.tokens(fileSizes: sizes, maxBytes: maxBytes) ?? 0
            if kept == 0 && full.tokenCount > 0 {
                throw TokenBudgetError.byteBudgetHoldsNoToken(maxBytes: maxBytes, tiles: full.tokens.count, smallestUsefulBytes: sizes[1])
            }
            return (kept, nil, true)
        case .targetPSNR(let target):
            let choice = try RateControl.tokens(for: full, reaching: target) { PSNR.rgb(image, try decode($0)) }
            return (choice.tokens, choice.quality, choice.reached)
        }
    }
}

/// Choosing how many tokens to keep: by a byte budget, or by the quality they decode to. The
/// encoder knows all K tokens, so it can decode candidate prefixes and keep the shortest that is
/// good enough (One-D-Piece's quality control).
public enum RateControl {
    /// The most tokens per tile whose whole file fits in `maxBytes`, given `fileSizes[k]`, the size
    /// of the k-token file (`VTokCodec.fileSizes`); nil when not even the header fits.
    public static func tokens(fileSizes: [Int], maxBytes: Int) -> Int? {
        fileSizes.lastIndex { $0 <= maxBytes }
    }

    /// The fewest tokens per tile whose decoded quality reaches `target`, found by bisection over
    /// 0...tokenCount (quality grows with k for a tail-drop-trained model, so about log2(K) decodes
    /// suffice). Returns the full count, with `reached == false`, when even all tokens fall short.
    public static func tokens(for file: VTokFile, reaching target: Double,
                              quality: (VTokFile) throws -> Double) rethrows -> (tokens: Int, quality: Double, reached: Bool) {
        let full = try quality(file)
        guard full >= target else { return (file.tokenCount, full, false) }
        var low = 0, high = file.tokenCount, best = full
        // Invariant: `high` tokens reach the target; fewer than `low` were not found to.
        while low < high {
            let middle = (low + high) / 2
            let value = try quality(file.truncated(toTokens: middle))
            if value >= target {
                high = middle
                best = value
            } else {
                low = middle + 1
            }
        }
        return (high, best, true)
    }
}
