import VTokNN

/// Draws the number of tokens k a training sample is decoded from: the mix that teaches every
/// prefix to decode.
///
/// With probability `uniformFraction`, k is uniform over 1...K (One-D-Piece's tail drop: every
/// length is trained). Otherwise k is uniform over the "nested" lengths, the powers of two up to K
/// and K itself (FlexTok's nested dropout: the lengths a user is most likely to keep get more of
/// the training signal). K need not be a power of two. A `fixedLength` replaces the mix: every
/// sample keeps that many tokens (no prefix property; the baseline that measures its price).
public struct LengthSampler: Sendable, Equatable {
    public let maxTokens: Int
    public let uniformFraction: Float
    /// 1, 2, 4, ... ≤ K, then K when it is not a power of two.
    public let nestedLengths: [Int]
    public let fixedLength: Int?

    public init(maxTokens: Int, uniformFraction: Float, fixedLength: Int? = nil) {
        precondition(maxTokens >= 1 && (0...1).contains(uniformFraction),
                     "LengthSampler: K \(maxTokens), uniform fraction \(uniformFraction)")
        self.maxTokens = maxTokens
        self.uniformFraction = uniformFraction
        precondition(fixedLength.map { (1...maxTokens).contains($0) } ?? true, "LengthSampler: fixed length \(fixedLength!) of K \(maxTokens)")
        self.fixedLength = fixedLength
        var lengths: [Int] = []
        var power = 1
        while power <= maxTokens {
            lengths.append(power)
            power *= 2
        }
        if lengths.last != maxTokens { lengths.append(maxTokens) }
        nestedLengths = lengths
    }

    public func sample(using rng: inout SeededRandom) -> Int {
        if let fixedLength { return fixedLength }
        // uniform() is in [0, 1): a fraction of 1 always takes the uniform branch, 0 never does.
        if rng.uniform() < uniformFraction { return rng.int(in: 1...maxTokens) }
        return nestedLengths[rng.int(in: 0...(nestedLengths.count - 1))]
    }
}
