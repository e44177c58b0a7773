/// A `.vtok` file in memory: the image and model it describes and the tokens of every tile.
/// Byte format: spec/vtok.md.
///
/// ```swift
/// let file = VTokFile(width: 640, height: 480, tiles: .single, layout: TokenLayout(groups: 1, bitsPerGroup: 12),
///                     modelID: model.id, tokens: [ids])
/// let bytes = try file.serialized(format: .version2(.arithmetic), model: model)   // Writing.swift
/// let reading = try VTokFile.read(bytes, model: model)    // Reading.swift; warnings: the file was cut short
/// let smaller = try file.serialized(format: .version2(.arithmetic), model: model, maxBytes: 40)  // longest prefix in 40 bytes
/// ```
/// Version 1 (spec part I) is one `FileFormat` of the same entry points: it needs no model.
public struct VTokFile: Equatable, Sendable {
    public var width: Int
    public var height: Int
    public var tiles: TileLayout
    public var layout: TokenLayout
    public var modelID: ModelID
    /// `tokens[tile][i]`: token `i` of each tile, tiles in row-major order, coarse to fine. Every tile
    /// holds the same number of tokens; each id is below `2^layout.bitsPerToken`.
    public var tokens: [[UInt32]]

    public init(width: Int, height: Int, tiles: TileLayout, layout: TokenLayout, modelID: ModelID, tokens: [[UInt32]]) {
        self.width = width
        self.height = height
        self.tiles = tiles
        self.layout = layout
        self.modelID = modelID
        self.tokens = tokens
    }

    /// Tokens per tile.
    public var tokenCount: Int { tokens.first?.count ?? 0 }

    public var header: VTokHeader {
        VTokHeader(width: width, height: height, tiles: tiles, tokensPerTile: tokenCount, layout: layout, modelID: modelID)
    }

    /// The version 1 byte size of this file cut to each token prefix, 0...tokenCount (see
    /// `VTokHeader.truncationOffsets`); `fileSizes(format: .version1)`.
    func truncationOffsets() -> [Int] { header.truncationOffsets() }

    /// The first `count` tokens of every tile (0...tokenCount).
    public func truncated(toTokens count: Int) -> VTokFile {
        precondition(count >= 0 && count <= tokenCount, "VTokFile: cannot keep \(count) of \(tokenCount) tokens")
        var copy = self
        copy.tokens = tokens.map { Array($0.prefix(count)) }
        return copy
    }

    /// The file's version 1 bytes (`serialized(format: .version1)`). Throws if a field is out of
    /// range or the tokens do not fit the layout.
    func serialized() throws(VTokError) -> [UInt8] {
        let header = self.header
        try header.validate()
        let payload = try rawPayload()
        return header.encoded(payloadCRC: crc32(of: payload[...])) + payload
    }

    /// Throws unless every tile holds the same number of tokens and every id fits the layout.
    func checkTokens() throws(VTokError) {
        let tileCount = tiles.tileCount(width: width, height: height)
        guard tokens.count == tileCount else {
            throw .invalidTokens("\(tokens.count) tiles of tokens for a grid of \(tileCount) tiles")
        }
        guard tokens.allSatisfy({ $0.count == tokenCount }) else {
            throw .invalidTokens("the tiles hold different numbers of tokens")
        }
        let bits = layout.bitsPerToken
        if let tooLarge = tokens.lazy.joined().first(where: { UInt64($0) >> UInt64(bits) != 0 }) {
            throw .invalidTokens("token id \(tooLarge) does not fit in \(bits) bits")
        }
    }

    /// The ids bit-packed prefix-major, the last byte completed with zero bits (spec §5).
    func rawPayload() throws(VTokError) -> [UInt8] {
        try checkTokens()
        let bits = layout.bitsPerToken
        var writer = BitWriter(reservingBytes: RawPayload.size(rounds: tokenCount, tiles: tokens.count, bitsPerToken: bits))
        for place in TokenOrder(rounds: tokenCount, tiles: tokens.count) {
            writer.write(tokens[place.tile][place.round], bitCount: bits)
        }
        return writer.finished()
    }

    /// Reads a file. A file cut anywhere after its header decodes to its longest complete token prefix
    /// with a `.truncated` warning; anything else that is not exactly a valid file throws (spec §6).
    /// The version 1 reader path of `read(_:model:)`.
    static func parse(_ bytes: [UInt8]) throws(VTokError) -> (file: VTokFile, warnings: [VTokWarning]) {
        let (header, storedPayloadCRC) = try VTokHeader.decode(bytes)
        let payload = bytes[VTokHeader.size...]
        let declaredPayloadSize = header.payloadSize(forTokens: header.tokensPerTile)
        guard payload.count <= declaredPayloadSize else { throw .trailingBytes(count: payload.count - declaredPayloadSize) }

        let count = header.decodableTokens(payloadBytes: payload.count)
        var warnings: [VTokWarning] = []
        let isComplete = payload.count == declaredPayloadSize
        if isComplete {
            let computed = crc32(of: payload)
            guard computed == storedPayloadCRC else { throw .corruptPayload(stored: storedPayloadCRC, computed: computed) }
        } else {
            warnings.append(.truncated(declaredTokens: header.tokensPerTile, decodedTokens: count,
                                       payloadBytes: payload.count, declaredPayloadBytes: declaredPayloadSize))
        }

        let (tokens, nonzeroPadding) = RawPayload.unpack(payload, declaredRounds: count, tiles: header.tileCount,
                                                         bitsPerToken: header.layout.bitsPerToken)
        // A CRC-valid payload with stray padding bits was not written by a conforming writer; refusing it
        // keeps the encoding canonical (one byte string per file content).
        if isComplete, nonzeroPadding { throw .nonzeroPadding }

        let file = VTokFile(width: header.width, height: header.height, tiles: header.tiles,
                            layout: header.layout, modelID: header.modelID, tokens: tokens)
        return (file, warnings)
    }
}
