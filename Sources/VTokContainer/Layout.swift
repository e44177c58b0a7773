/// How one token id is built: `groups` sub-indices of `bitsPerGroup` bits each, group 0 in the most
/// significant bits (a product quantizer with `groups` codebooks of `2^bitsPerGroup` entries, or one
/// codebook when `groups == 1`). The container stores the id as a `bitsPerToken`-bit integer either way.
public struct TokenLayout: Equatable, Hashable, Sendable, CustomStringConvertible {
    /// Token ids are handled as `UInt32`; no tokenizer needs a codebook of more than 2^32 entries.
    public static let maxBitsPerToken = 32

    public var groups: Int
    public var bitsPerGroup: Int

    public init(groups: Int, bitsPerGroup: Int) {
        self.groups = groups
        self.bitsPerGroup = bitsPerGroup
    }

    public var bitsPerToken: Int { groups * bitsPerGroup }

    /// The token id made of one index per group; each index must be below `2^bitsPerGroup`.
    public func tokenID(groupIndices: [Int]) -> UInt32 {
        precondition(groupIndices.count == groups, "TokenLayout: \(groupIndices.count) indices for \(groups) groups")
        return tokenID { groupIndices[$0] }
    }

    /// The token id whose group g has index `groupIndex(g)`, without an array per token (encoders
    /// build thousands of ids a pass); each index must be below `2^bitsPerGroup`.
    @inline(__always)
    public func tokenID(groupIndex: (Int) -> Int) -> UInt32 {
        var id: UInt64 = 0
        for group in 0..<groups {
            let index = groupIndex(group)
            precondition(index >= 0 && index < 1 << bitsPerGroup, "TokenLayout: group index \(index) needs more than \(bitsPerGroup) bits")
            id = id << UInt64(bitsPerGroup) | UInt64(index)
        }
        return UInt32(truncatingIfNeeded: id)
    }

    /// The per-group indices of `tokenID`, group 0 first.
    public func groupIndices(of tokenID: UInt32) -> [Int] {
        (0..<groups).map { groupIndex($0, of: tokenID) }
    }

    /// Group `group`'s index in `tokenID`, without an array per token.
    @inline(__always)
    public func groupIndex(_ group: Int, of tokenID: UInt32) -> Int {
        let mask = UInt64(1) << UInt64(bitsPerGroup) - 1
        return Int(UInt64(tokenID) >> UInt64((groups - 1 - group) * bitsPerGroup) & mask)
    }

    /// e.g. `2x6` (2 groups of 6 bits).
    public var description: String { "\(groups)x\(bitsPerGroup)" }
}

/// How the image is cut into the tiles that the model tokenizes one by one.
public enum TileLayout: Equatable, Hashable, Sendable {
    /// The whole image is resized into one model-resolution tile.
    case single
    /// The image is cut into `side`×`side` tiles, row-major from the top left; the tiles on the right
    /// and bottom edges extend past the image (the model decides how it pads them).
    case tiled(side: Int)

    /// Columns and rows of tiles for a `width`×`height` image.
    public func tileGrid(width: Int, height: Int) -> (columns: Int, rows: Int) {
        switch self {
        case .single: return (1, 1)
        case .tiled(let side): return ((width + side - 1) / side, (height + side - 1) / side)
        }
    }

    /// Number of tiles for a `width`×`height` image.
    public func tileCount(width: Int, height: Int) -> Int {
        let grid = tileGrid(width: width, height: height)
        return grid.columns * grid.rows
    }
}

/// How the payload codes the token ids; a reader refuses codings it does not know.
public enum PayloadCoding: UInt8, Sendable, CustomStringConvertible {
    /// Token ids bit-packed, `bitsPerToken` bits each, MSB first (versions 1 and 2).
    case raw = 0
    /// Each token's groups range-coded under the model's prior (version 2 only).
    case arithmetic = 1

    public var description: String {
        switch self {
        case .raw: return "raw"
        case .arithmetic: return "arithmetic"
        }
    }
}
