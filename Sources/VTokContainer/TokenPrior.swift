#if canImport(FoundationEssentials)
import FoundationEssentials
import Glibc
#else
import Foundation
#endif

/// One token's distributions, a table per group: cumulative frequencies (2^b + 1 entries, 0 first,
/// `RangeCoder.total` last, strictly increasing), views into the prior's own array.
public struct GroupTables {
    let cumulative: [UInt32]
    let start: Int
    let stride: Int

    public subscript(group: Int) -> ArraySlice<UInt32> {
        cumulative[start + group * stride..<start + (group + 1) * stride]
    }
}

/// The probabilities a coded payload (spec/vtok.md §15.1) spends its bits by: for every token position
/// and group, a distribution over the group's 2^b values, as integer cumulative frequencies out of
/// `RangeCoder.total`. The model file carries its prior, so the writer and the reader code with the
/// same integers and no float ever decides a byte.
///
/// A prior may condition on what came before in the same tile: the earlier tokens. The static prior
/// ignores them; the layered model's context tables (`ChannelRunPrior`) pick a table from them.
public protocol TokenPrior: Sendable {
    /// The token layout the prior is for.
    var layout: TokenLayout { get }
    /// Token positions 0..<positions have distributions: a tile may hold at most this many tokens.
    var positions: Int { get }
    /// The distributions of the groups of the token at `position`, given the tile's `earlierTokens`
    /// (positions 0..<position): asked once per token, so a prior that picks its tables from the
    /// earlier tokens does so once, not once per group. (Spec §15.1 also lets a prior condition on
    /// the token's earlier groups; no vtok prior does.)
    func tables(position: Int, earlierTokens: ArraySlice<UInt32>) -> GroupTables
    /// The prior for the tokens of one width×height image: a model that codes images at their own
    /// resolution has more tokens per channel on a larger image. The file's header gives the size.
    func sized(width: Int, height: Int) -> any TokenPrior
}

extension TokenPrior {
    public func sized(width: Int, height: Int) -> any TokenPrior { self }
}

/// A prior for a token sequence whose length grows with the image (spec §15.1.1-15.1.2): its first
/// `headPositions` tables serve one token position each, as a `StaticTokenPrior`'s do, and then each
/// channel of a full-resolution layer, a run of ⌈w/P⌉·⌈h/P⌉ consecutive positions (one token per
/// P×P block of the image, P = `blockPixels`), has `contexts` tables. With one, the channel's table
/// serves every block; with more, the token's block in the `contextWindow` channels before it picks
/// the table (`context(position:earlierTokens:)`): where earlier channels are busy, this one is
/// likely busy too. The context is integer arithmetic on decoded tokens, so every machine computes
/// the same tables, and it only looks back, so every prefix of the file decodes.
public struct ChannelRunPrior: TokenPrior {
    public let stored: StaticTokenPrior
    public let headPositions: Int
    public let blockPixels: Int
    public let contexts: Int
    public let contextWindow: Int
    /// Positions per channel for the image this prior was sized to (1 until then).
    public private(set) var runLength = 1
    /// Per token id, its groups' distances from the middle value (with context tables only).
    private let activity: [Int32]

    public init(stored: StaticTokenPrior, headPositions: Int, blockPixels: Int, contexts: Int = 1, contextWindow: Int = 0)
        throws(VTokError) {
        guard headPositions >= 0, headPositions <= stored.positions, blockPixels >= 1,
              contexts >= 1, contextWindow >= 0, (stored.positions - headPositions) % contexts == 0 else {
            throw .invalidPrior("\(headPositions) head positions of \(stored.positions), blocks of \(blockPixels) px, "
                                + "\(contexts) tables a channel")
        }
        self.stored = stored
        self.headPositions = headPositions
        self.blockPixels = blockPixels
        self.contexts = contexts
        self.contextWindow = contextWindow
        let layout = stored.layout, mask = (1 << layout.bitsPerGroup) - 1, middle = 1 << (layout.bitsPerGroup - 1)
        activity = contexts == 1 ? [] : (0..<1 << layout.bitsPerToken).map { id in
            Int32((0..<layout.groups).reduce(0) { $0 + abs((id >> ($1 * layout.bitsPerGroup)) & mask - middle) })
        }
    }

    public var layout: TokenLayout { stored.layout }
    public var channels: Int { (stored.positions - headPositions) / contexts }
    public var positions: Int { headPositions + channels * runLength }

    /// The stored table of the token at `position`, given the tile's tokens before it.
    public func table(ofPosition position: Int, earlierTokens: ArraySlice<UInt32>) -> Int {
        guard position >= headPositions else { return position }
        return headPositions + (position - headPositions) / runLength * contexts + context(position: position, earlierTokens: earlierTokens)
    }

    /// The context of the token at `position` (§15.1.2): S, the sum over the same block in the
    /// `contextWindow` channels before it of every group's distance from the middle value 2^b/2,
    /// gives ⌊√(2S)⌋, at most `contexts` − 1. The head and a channel with none before it have context 0.
    public func context(position: Int, earlierTokens: ArraySlice<UInt32>) -> Int {
        guard contexts > 1, position >= headPositions else { return 0 }
        let channel = (position - headPositions) / runLength
        var sum = 0, earlier = earlierTokens.startIndex + position
        for _ in 0..<min(channel, contextWindow) {
            earlier -= runLength
            sum += Int(activity[Int(earlierTokens[earlier])])
        }
        var context = 0
        while context + 1 < contexts && (context + 1) * (context + 1) <= 2 * sum { context += 1 }
        return context
    }

    public func tables(position: Int, earlierTokens: ArraySlice<UInt32>) -> GroupTables {
        stored.tables(position: table(ofPosition: position, earlierTokens: earlierTokens), earlierTokens: earlierTokens)
    }

    public func sized(width: Int, height: Int) -> any TokenPrior { runs(width: width, height: height) }

    /// This prior for a width×height image: runs of its ⌈w/P⌉·⌈h/P⌉ blocks.
    public func runs(width: Int, height: Int) -> ChannelRunPrior {
        let p = blockPixels
        var sized = self
        sized.runLength = max(1, ((width + p - 1) / p) * ((height + p - 1) / p))
        return sized
    }
}

/// A distribution per token position and group, independent of the context.
public struct StaticTokenPrior: TokenPrior, Equatable {
    public let layout: TokenLayout
    public let positions: Int
    /// `frequencies[(position * groups + group) * 2^b + value]`, each ≥ 1, each distribution summing
    /// to `RangeCoder.total`.
    public let frequencies: [UInt32]
    private let cumulative: [UInt32]

    private var symbols: Int { 1 << layout.bitsPerGroup }

    /// Checks that every distribution is a valid coding table.
    public init(layout: TokenLayout, positions: Int, frequencies: [UInt32]) throws(VTokError) {
        let symbols = 1 << layout.bitsPerGroup
        guard layout.bitsPerGroup <= 16, positions >= 0, frequencies.count == positions * layout.groups * symbols else {
            throw .invalidPrior("\(frequencies.count) frequencies for \(positions) positions of layout \(layout) (at most 16 bits a group)")
        }
        var cumulative: [UInt32] = []
        cumulative.reserveCapacity(positions * layout.groups * (symbols + 1))
        for table in 0..<positions * layout.groups {
            let slice = frequencies[table * symbols..<(table + 1) * symbols]
            guard slice.allSatisfy({ $0 >= 1 }), slice.reduce(0, { $0 + UInt64($1) }) == UInt64(RangeCoder.total) else {
                throw .invalidPrior("distribution \(table) does not sum to \(RangeCoder.total) with every frequency at least 1")
            }
            var sum: UInt32 = 0
            cumulative.append(0)
            for frequency in slice {
                sum += frequency
                cumulative.append(sum)
            }
        }
        self.layout = layout
        self.positions = positions
        self.frequencies = frequencies
        self.cumulative = cumulative
    }

    /// The prior that gives every value of every group the same probability: a coded payload then
    /// costs what a raw one does, give or take the coder's last byte.
    public static func uniform(layout: TokenLayout, positions: Int) -> StaticTokenPrior {
        let symbols = 1 << layout.bitsPerGroup
        let frequencies = [UInt32](repeating: RangeCoder.total / UInt32(symbols), count: positions * layout.groups * symbols)
        return try! StaticTokenPrior(layout: layout, positions: positions, frequencies: frequencies)
    }

    /// Integer frequencies from `counts` (same indexing as `frequencies`; any non-negative values,
    /// for example token counts plus a smoothing constant): each distribution is scaled to
    /// `RangeCoder.total` with every value at least 1, the rounding remainder going to the most
    /// frequent values. Deterministic for given counts.
    public static func quantized(layout: TokenLayout, positions: Int, counts: [Double]) throws(VTokError) -> StaticTokenPrior {
        let symbols = 1 << layout.bitsPerGroup
        guard counts.count == positions * layout.groups * symbols, counts.allSatisfy({ $0 >= 0 && $0.isFinite }) else {
            throw .invalidPrior("\(counts.count) counts for \(positions) positions of layout \(layout)")
        }
        var frequencies: [UInt32] = []
        for table in 0..<positions * layout.groups {
            let slice = Array(counts[table * symbols..<(table + 1) * symbols])
            let sum = slice.reduce(0, +)
            let spare = Double(Int(RangeCoder.total) - symbols)
            var scaled = slice.map { 1 + UInt32((sum > 0 ? $0 / sum : 1 / Double(symbols)) * spare) }
            var remainder = Int(RangeCoder.total) - scaled.reduce(0) { $0 + Int($1) }
            let order = slice.indices.sorted { slice[$0] != slice[$1] ? slice[$0] > slice[$1] : $0 < $1 }
            var index = 0
            while remainder > 0 {
                scaled[order[index % symbols]] += 1
                remainder -= 1
                index += 1
            }
            frequencies += scaled
        }
        return try StaticTokenPrior(layout: layout, positions: positions, frequencies: frequencies)
    }

    public func tables(position: Int, earlierTokens: ArraySlice<UInt32>) -> GroupTables {
        GroupTables(cumulative: cumulative, start: position * layout.groups * (symbols + 1), stride: symbols + 1)
    }

    /// Expected bits of token `position` under the prior itself (its entropy): what a token costs when
    /// the tokens follow the prior.
    public func entropyBits(position: Int) -> Double {
        var bits = 0.0
        for group in 0..<layout.groups {
            let start = (position * layout.groups + group) * symbols
            for frequency in frequencies[start..<start + symbols] {
                let p = Double(frequency) / Double(RangeCoder.total)
                bits -= p * log2(p)
            }
        }
        return bits
    }

    /// `entropyBits` averaged over the positions: what a token costs on average under the prior.
    public var meanEntropyBits: Double {
        positions == 0 ? 0 : (0..<positions).map(entropyBits(position:)).reduce(0, +) / Double(positions)
    }

    /// The text form a model file stores: `static1 G b positions` and then every frequency, in
    /// decimal, separated by spaces.
    public var serialized: String {
        "static1 \(layout.groups) \(layout.bitsPerGroup) \(positions) " + frequencies.map(String.init).joined(separator: " ")
    }

    /// Parses `serialized`; throws `.invalidPrior` for anything else.
    public init(serialized text: String) throws(VTokError) {
        let fields = text.split(separator: " ", maxSplits: 4)
        guard fields.count >= 4, fields[0] == "static1",
              let groups = Int(fields[1]), let bits = Int(fields[2]), let positions = Int(fields[3]),
              (1...8).contains(groups), (1...16).contains(bits), (0...65535).contains(positions) else {
            throw .invalidPrior("not a static prior (expected \"static1 G b positions frequencies...\")")
        }
        // The frequencies are most of a model file's metadata: read as bytes, decimal digits separated by spaces.
        var frequencies: [UInt32] = []
        frequencies.reserveCapacity(min(positions * groups << bits, text.utf8.count / 2 + 1))
        var value: UInt64 = 0, digits = 0
        for byte in fields.count > 4 ? fields[4].utf8 : Substring().utf8 {
            if byte == UInt8(ascii: " ") {
                if digits > 0 { frequencies.append(UInt32(value)) }
                value = 0
                digits = 0
            } else if (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte), digits < 10 {
                value = value * 10 + UInt64(byte - UInt8(ascii: "0"))
                digits += 1
                guard value <= UInt64(UInt32.max) else { throw .invalidPrior("frequency \(value)... is past 2^32") }
            } else {
                throw .invalidPrior("frequency \(frequencies.count) is not a decimal integer (byte \(byte))")
            }
        }
        if digits > 0 { frequencies.append(UInt32(value)) }
        try self.init(layout: TokenLayout(groups: groups, bitsPerGroup: bits), positions: positions, frequencies: frequencies)
    }
}
