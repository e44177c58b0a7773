/// The version 2 header fields (spec §12): a compact header of 12 bytes for a single small tile.
/// Version 3 is the same header with a 4-byte token count, for files of more than 65,535 tokens.
struct CompactHeader: Equatable {
    static let magic: [UInt8] = [0x56, 0x54]  // "VT"
    static let versions: ClosedRange<UInt8> = 2...3
    /// The most tokens per tile a version 2 header's u16 declares; more take version 3.
    static let maxVersion2Tokens = 65535
    /// Version 3's u32 count, with tiles · tokens per tile within 32 bits too (as in version 1).
    static let maxTokens = Int(UInt32.max)
    /// Sizes up to this fit the 3-byte packed size field.
    static let narrowLimit = 4096
    static let maxGroups = 8

    var width: Int
    var height: Int
    var tiles: TileLayout
    var tokensPerTile: Int
    /// Raw payloads name their layout; coded ones take it from the model's prior.
    var layout: TokenLayout
    var coding: PayloadCoding
    /// Coded payloads only: the payload's length modulo 256, which tells a damaged complete file
    /// from a cut one (spec §15.3).
    var payloadLengthLowByte: UInt8 = 0

    var tileCount: Int { tiles.tileCount(width: width, height: height) }
    private var isWide: Bool { width > Self.narrowLimit || height > Self.narrowLimit }
    /// One content, one byte string: version 3 exactly when the count needs more than a u16.
    var version: UInt8 { tokensPerTile > Self.maxVersion2Tokens ? 3 : 2 }

    /// The length of the header and its 2 check bytes in this file cut to any token count: it grows
    /// by the 2 bytes of version 3's count past 65,535 tokens. Measured once on `encoded`'s bytes.
    func checkedSizes() -> (_ tokens: Int) -> Int {
        func size(declaring tokens: Int) -> Int {
            var header = self
            header.tokensPerTile = tokens
            return header.fieldBytes().count + 2
        }
        let version2 = size(declaring: 0), version3 = size(declaring: Self.maxVersion2Tokens + 1)
        return { $0 > Self.maxVersion2Tokens ? version3 : version2 }
    }

    func validate() throws(VTokError) {
        try validateFields(width: width, height: height, tiles: tiles, tokensPerTile: tokensPerTile, layout: layout,
                           maxGroups: Self.maxGroups, maxTokensPerTile: Self.maxTokens)
        try checkField("tiles · tokens per tile", tileCount * tokensPerTile, in: 0...Self.maxTokens)
    }

    /// The header bytes up to (not including) the 2-byte check. The descriptor's high 4 bits are the
    /// header check: a CRC-4 of the model id and these bytes (with those 4 bits zero).
    func encoded(modelID: ModelID) -> [UInt8] {
        var bytes = fieldBytes()
        bytes[3] |= crc4([modelID.bytes, bytes]) << 4
        return bytes
    }

    /// True when the header check of `bytes` (a header, as `encoded` writes it) matches `modelID`.
    static func headerCheckMatches(_ bytes: ArraySlice<UInt8>, modelID: ModelID) -> Bool {
        var fields = Array(bytes)
        let stored = fields[3] >> 4
        fields[3] &= 0x0F
        return crc4([modelID.bytes, fields]) == stored
    }

    /// The descriptor's shape codes (bits 1-3): whether the image is tiled and whether its size
    /// needs the wide fields. The four codes have even parity, so that no single flipped bit turns
    /// one into another and changes the header's length unseen.
    private static let shapeCodes: [(tiled: Bool, wide: Bool, code: UInt8)] = [
        (false, false, 0b000), (false, true, 0b011), (true, false, 0b101), (true, true, 0b110),
    ]

    private var isTiled: Bool {
        if case .tiled = tiles { return true }
        return false
    }

    private func fieldBytes() -> [UInt8] {
        var bytes = Self.magic + [version]
        let shape = Self.shapeCodes.first { $0.tiled == isTiled && $0.wide == isWide }!.code
        bytes.append(coding.rawValue | shape << 1)
        if isWide {
            appendUInt16(&bytes, width - 1)
            appendUInt16(&bytes, height - 1)
        } else {
            let packed = (width - 1) | (height - 1) << 12
            for i in 0..<3 { bytes.append(UInt8(truncatingIfNeeded: packed >> (8 * i))) }
        }
        if case .tiled(let side) = tiles { appendUInt16(&bytes, side - 1) }
        if version == 3 {
            appendUInt16(&bytes, tokensPerTile & 0xFFFF)
            appendUInt16(&bytes, tokensPerTile >> 16)
        } else {
            appendUInt16(&bytes, tokensPerTile)
        }
        switch coding {
        case .raw: bytes.append(UInt8((layout.groups - 1) << 5 | (layout.bitsPerGroup - 1)))
        case .arithmetic: bytes.append(payloadLengthLowByte)
        }
        return bytes
    }

    /// Parses the header of a version 2 or 3 file (magic and version already checked); returns it with
    /// the offset of its check, which the 2 check bytes follow. A coded payload's layout is the
    /// prior's: `codedLayout`.
    static func decode(_ bytes: [UInt8], codedLayout: TokenLayout?) throws(VTokError) -> (header: CompactHeader, checkOffset: Int) {
        var reader = ByteReader(bytes: bytes, offset: 3)
        let descriptor = try reader.byte()
        let coding: PayloadCoding = descriptor & 0x01 == 0 ? .raw : .arithmetic
        guard let shape = shapeCodes.first(where: { $0.code == descriptor >> 1 & 0x07 }) else {
            throw .invalidField(name: "shape code", value: Int(descriptor >> 1 & 0x07), allowed: "0, 3, 5 or 6")
        }
        let width: Int, height: Int
        if shape.wide {
            width = try reader.uint16() + 1
            height = try reader.uint16() + 1
        } else {
            let packed = Int(try reader.byte()) | Int(try reader.byte()) << 8 | Int(try reader.byte()) << 16
            width = (packed & 0xFFF) + 1
            height = (packed >> 12) + 1
        }
        let tiles: TileLayout = shape.tiled ? .tiled(side: try reader.uint16() + 1) : .single
        let version = bytes[2]
        let tokens = version == 3 ? try reader.uint16() | reader.uint16() << 16 : try reader.uint16()
        // One content, one byte string: a count that fits version 2 must use it.
        if version == 3 && tokens <= maxVersion2Tokens {
            throw .invalidField(name: "tokens per tile", value: tokens, allowed: "\(maxVersion2Tokens + 1)...\(maxTokens) in version 3")
        }
        let lastByte = try reader.byte()
        let layout: TokenLayout
        switch coding {
        case .raw: layout = TokenLayout(groups: Int(lastByte >> 5) + 1, bitsPerGroup: Int(lastByte & 0x1F) + 1)
        case .arithmetic:
            guard let codedLayout else { throw .priorRequired }
            layout = codedLayout
        }
        let header = CompactHeader(width: width, height: height, tiles: tiles, tokensPerTile: tokens, layout: layout,
                                   coding: coding,
                                   payloadLengthLowByte: coding == .arithmetic ? lastByte : 0)
        try header.validate()
        // One content, one byte string: a size that fits the packed field must use it.
        if shape.wide && !header.isWide { throw .invalidField(name: "size encoding", value: 1, allowed: "0 for sizes up to \(narrowLimit)") }
        guard reader.offset + 2 <= bytes.count else { throw .headerTruncated(byteCount: bytes.count) }
        return (header, reader.offset)
    }
}

func appendUInt16(_ bytes: inout [UInt8], _ value: Int) {
    bytes.append(UInt8(truncatingIfNeeded: value))
    bytes.append(UInt8(truncatingIfNeeded: value >> 8))
}

struct ByteReader {
    let bytes: [UInt8]
    var offset: Int

    mutating func byte() throws(VTokError) -> UInt8 {
        guard offset < bytes.count else { throw .headerTruncated(byteCount: bytes.count) }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func uint16() throws(VTokError) -> Int {
        Int(try byte()) | Int(try byte()) << 8
    }
}
