import VTokContainer

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
