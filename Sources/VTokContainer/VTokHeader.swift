import CZlib

/// Everything a `.vtok` header says, readable without decoding the payload (`vtok info`).
/// Byte layout and limits: spec/vtok.md §3-4.
///
/// ```swift
/// let header = try VTokHeader(parsing: bytes)      // checks magic, version, CRC and every field
/// header.truncationOffsets()                       // file size for each prefix of 0...tokensPerTile
/// ```
public struct VTokHeader: Equatable, Sendable {
    public static let size = 28
    public static let magic: [UInt8] = Array("VTK".utf8)
    public static let currentVersion: UInt8 = 1

    /// Image sides are u16 fields: 65535 pixels is JPEG's limit too, beyond any image vtok targets.
    public static let maxDimension = 65535
    /// 65536 tiles cover the largest image in 256-pixel tiles; the bound keeps tiles × tokens per tile
    /// within 32 bits and the per-tile table a reader allocates under 1 MiB.
    public static let maxTiles = 65536
    /// A u16 field: tokenizers emit tens to hundreds of tokens per tile.
    public static let maxTokensPerTile = 65535

    public var width: Int
    public var height: Int
    public var tiles: TileLayout
    /// Tokens per tile the complete file holds.
    public var tokensPerTile: Int
    public var layout: TokenLayout
    public var payloadCoding: PayloadCoding
    public var modelID: ModelID

    public init(width: Int, height: Int, tiles: TileLayout, tokensPerTile: Int, layout: TokenLayout,
                payloadCoding: PayloadCoding = .raw, modelID: ModelID) {
        self.width = width
        self.height = height
        self.tiles = tiles
        self.tokensPerTile = tokensPerTile
        self.layout = layout
        self.payloadCoding = payloadCoding
        self.modelID = modelID
    }

    /// Reads and checks the header at the start of `bytes` (which may go on with a payload, or stop
    /// anywhere after the header). Throws on a short or corrupt header or a field out of range.
    public init(parsing bytes: [UInt8]) throws(VTokError) {
        self = try VTokHeader.decode(bytes).header
    }

    public var tileCount: Int { tiles.tileCount(width: width, height: height) }

    /// Payload bytes for the first `tokens` tokens of every tile: they are packed round by round, so
    /// a prefix of the tokens is a prefix of the payload.
    public func payloadSize(forTokens tokens: Int) -> Int {
        RawPayload.size(rounds: tokens, tiles: tileCount, bitsPerToken: layout.bitsPerToken)
    }

    /// Size of a complete file holding `tokens` tokens per tile.
    public func fileSize(forTokens tokens: Int) -> Int {
        VTokHeader.size + payloadSize(forTokens: tokens)
    }

    /// `fileSize(forTokens: k)` for k = 0...tokensPerTile: the truncation points of this file.
    /// Cutting the file at offset[k] or later (before offset[k+1]) still decodes k tokens per tile.
    public func truncationOffsets() -> [Int] {
        (0...tokensPerTile).map(fileSize(forTokens:))
    }

    /// Tokens per tile decodable from the first `payloadBytes` payload bytes: the complete rounds.
    public func decodableTokens(payloadBytes: Int) -> Int {
        min(tokensPerTile, payloadBytes * 8 / (tileCount * layout.bitsPerToken))
    }

    /// Throws `.invalidField` for the first field outside its range (spec §4).
    func validate() throws(VTokError) {
        try validateFields(width: width, height: height, tiles: tiles, tokensPerTile: tokensPerTile, layout: layout,
                           maxGroups: TokenLayout.maxBitsPerToken)
    }

    /// The header bytes, given the CRC-32 of the payload that follows them.
    func encoded(payloadCRC: UInt32) -> [UInt8] {
        var bytes = VTokHeader.magic
        bytes.append(VTokHeader.currentVersion)
        appendLittleEndian(&bytes, width, byteCount: 2)
        appendLittleEndian(&bytes, height, byteCount: 2)
        appendLittleEndian(&bytes, tileSideField, byteCount: 2)
        appendLittleEndian(&bytes, tokensPerTile, byteCount: 2)
        bytes.append(UInt8(layout.groups))
        bytes.append(UInt8(layout.bitsPerGroup))
        bytes.append(payloadCoding.rawValue)
        bytes.append(0)  // flags: none defined in version 1
        bytes += modelID.bytes
        appendLittleEndian(&bytes, Int(payloadCRC), byteCount: 4)
        appendLittleEndian(&bytes, Int(crc32(of: bytes[...])), byteCount: 4)
        return bytes
    }

    /// Parses the header; also returns the stored payload CRC, which only the payload reader needs.
    static func decode(_ bytes: [UInt8]) throws(VTokError) -> (header: VTokHeader, payloadCRC: UInt32) {
        // Magic and version come before the length check so that a file of another kind or a future
        // version, whatever its header size, is named as such rather than as "truncated".
        let magicBytes = bytes.prefix(magic.count)
        guard magicBytes.elementsEqual(magic.prefix(magicBytes.count)) else { throw .notVTok }
        if bytes.count > magic.count, bytes[magic.count] != currentVersion {
            throw .unsupportedVersion(bytes[magic.count])
        }
        guard bytes.count >= size else { throw .headerTruncated(byteCount: bytes.count) }

        let storedHeaderCRC = UInt32(readLittleEndian(bytes, at: 24, byteCount: 4))
        let computedHeaderCRC = crc32(of: bytes[0..<24])
        guard storedHeaderCRC == computedHeaderCRC else {
            throw .headerChecksumMismatch(stored: storedHeaderCRC, computed: computedHeaderCRC)
        }
        // Version 1 defines the raw coding only; coded payloads came with version 2's header.
        guard let coding = PayloadCoding(rawValue: bytes[14]), coding == .raw else { throw .unsupportedPayloadCoding(bytes[14]) }
        try checkField("flags", Int(bytes[15]), in: 0...0)

        let side = readLittleEndian(bytes, at: 8, byteCount: 2)
        let header = VTokHeader(
            width: readLittleEndian(bytes, at: 4, byteCount: 2),
            height: readLittleEndian(bytes, at: 6, byteCount: 2),
            tiles: side == 0 ? .single : .tiled(side: side),
            tokensPerTile: readLittleEndian(bytes, at: 10, byteCount: 2),
            layout: TokenLayout(groups: Int(bytes[12]), bitsPerGroup: Int(bytes[13])),
            payloadCoding: coding,
            modelID: ModelID(bytes: Array(bytes[16..<20]))!)
        try header.validate()
        return (header, UInt32(readLittleEndian(bytes, at: 20, byteCount: 4)))
    }

    private var tileSideField: Int {
        switch tiles {
        case .single: return 0
        case .tiled(let side): return side
        }
    }
}

/// The ranges both versions' headers share (spec §10): throws `.invalidField` for the first field
/// outside its range. Version 2 allows fewer groups (`maxGroups`) than version 1.
func validateFields(width: Int, height: Int, tiles: TileLayout, tokensPerTile: Int, layout: TokenLayout,
                    maxGroups: Int, maxTokensPerTile: Int = VTokHeader.maxTokensPerTile) throws(VTokError) {
    try checkField("width", width, in: 1...VTokHeader.maxDimension)
    try checkField("height", height, in: 1...VTokHeader.maxDimension)
    if case .tiled(let side) = tiles {
        try checkField("tile side", side, in: 1...VTokHeader.maxDimension)
        try checkField("tile count", tiles.tileCount(width: width, height: height), in: 1...VTokHeader.maxTiles)
    }
    try checkField("tokens per tile", tokensPerTile, in: 0...maxTokensPerTile)
    try checkField("groups", layout.groups, in: 1...maxGroups)
    try checkField("bits per group", layout.bitsPerGroup, in: 1...TokenLayout.maxBitsPerToken)
    try checkField("bits per token", layout.bitsPerToken, in: 1...TokenLayout.maxBitsPerToken)
}

/// zlib's CRC-32 (the one of PNG and gzip) of `bytes`.
func crc32(of bytes: ArraySlice<UInt8>) -> UInt32 {
    bytes.withUnsafeBufferPointer { buffer in
        UInt32(CZlib.crc32(0, buffer.baseAddress, UInt32(buffer.count)))
    }
}

func checkField(_ name: String, _ value: Int, in allowed: ClosedRange<Int>) throws(VTokError) {
    guard allowed.contains(value) else {
        let range = allowed.lowerBound == allowed.upperBound ? "\(allowed.lowerBound)" : "\(allowed.lowerBound)...\(allowed.upperBound)"
        throw .invalidField(name: name, value: value, allowed: range)
    }
}

private func appendLittleEndian(_ bytes: inout [UInt8], _ value: Int, byteCount: Int) {
    for i in 0..<byteCount { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * i))) }
}

private func readLittleEndian(_ bytes: [UInt8], at offset: Int, byteCount: Int) -> Int {
    (0..<byteCount).reduce(0) { value, i in value | Int(bytes[offset + i]) << (8 * i) }
}
