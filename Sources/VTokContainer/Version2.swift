/// `.vtok` version 2 (spec/vtok.md, part II): a compact header of 12 bytes for a single tile, and a
/// payload either bit-packed (raw) or range-coded under the model's prior.

/// Which format a writer produces.
public enum FileFormat: Equatable, Sendable, CustomStringConvertible {
    /// The 28-byte header and raw payload of spec part I.
    case version1
    /// The compact header, with the payload coded as given.
    case version2(PayloadCoding)

    /// The fewest bytes any file takes: a version 2 header for one small tile.
    public static let smallestHeaderSize = 12

    public var description: String {
        switch self {
        case .version1: return "version 1 (raw)"
        case .version2(let coding): return "version 2 (\(coding))"
        }
    }
}

/// What a version 2 writer or reader needs of the model: its id, which seeds the file's check, and,
/// for coded payloads, its prior.
public struct ModelCoding: Sendable {
    public let id: ModelID
    public let prior: (any TokenPrior)?

    public init(id: ModelID, prior: (any TokenPrior)?) {
        self.id = id
        self.prior = prior
    }
}

/// Everything a reader learned from a file, beyond its tokens.
public struct VTokReading: Sendable {
    public var file: VTokFile
    public var warnings: [VTokWarning]
    /// 1 or 2.
    public var version: Int
    public var coding: PayloadCoding
    /// Bytes before the payload: 28 in version 1; 12 for a small single-tile file in version 2.
    public var headerSize: Int
    /// Tokens per tile the header declares; `file.tokenCount` is fewer when the file was cut.
    public var declaredTokens: Int
    /// True when the whole file was present and its checksums verified.
    public var isComplete: Bool
}

/// The version 2 header fields (spec §12).
struct CompactHeader: Equatable {
    static let magic: [UInt8] = [0x56, 0x54]  // "VT"
    static let version: UInt8 = 2
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

    func validate() throws(VTokError) {
        try validateFields(width: width, height: height, tiles: tiles, tokensPerTile: tokensPerTile, layout: layout,
                           maxGroups: Self.maxGroups)
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
        var bytes = Self.magic + [Self.version]
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
        appendUInt16(&bytes, tokensPerTile)
        switch coding {
        case .raw: bytes.append(UInt8((layout.groups - 1) << 5 | (layout.bitsPerGroup - 1)))
        case .arithmetic: bytes.append(payloadLengthLowByte)
        }
        return bytes
    }

    /// Parses the header of a version 2 file (magic and version already checked); returns it with
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
        let tokens = try reader.uint16()
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

/// A CRC-4 with the polynomial x⁴ + x + 1 (ITU's), initial value 0, most significant bit first,
/// no final XOR: it detects every single-bit error and every burst of up to 4 bits.
/// `crc4("123456789") = 0xE`.
func crc4(_ parts: [[UInt8]]) -> UInt8 {
    var register: UInt8 = 0
    for part in parts {
        for byte in part {
            for bit in (0..<8).reversed() {
                let feedback = (register >> 3 ^ byte >> UInt8(bit)) & 1
                register = register << 1 & 0x0F
                if feedback != 0 { register ^= 0x03 }
            }
        }
    }
    return register
}

/// CRC-16/CCITT-FALSE (polynomial 0x1021, initial value 0xFFFF, no reflection, no final XOR):
/// `crc16("123456789") = 0x29B1`. It detects every error burst of up to 16 bits.
func crc16<S: Sequence>(_ parts: [S]) -> UInt16 where S.Element == UInt8 {
    var crc: UInt16 = 0xFFFF
    for part in parts {
        for byte in part {
            crc ^= UInt16(byte) << 8
            for _ in 0..<8 { crc = crc & 0x8000 != 0 ? crc << 1 ^ 0x1021 : crc << 1 }
        }
    }
    return crc
}

extension VTokFile {
    /// The file's bytes in `format`. Version 2 needs the model's id (it seeds the file's check) and,
    /// for coded payloads, its prior; `model.id` must be the file's model id.
    public func serialized(format: FileFormat, model: ModelCoding) throws(VTokError) -> [UInt8] {
        guard case .version2(let coding) = format else { return try serialized() }
        guard model.id == modelID else { throw .modelMismatch(file: modelID, model: model.id) }
        var header = try compactHeader(coding: coding, model: model)
        let payload: [UInt8]
        switch coding {
        case .raw: payload = try rawPayload()
        case .arithmetic: payload = try codedPayload(prior: try requirePrior(model, for: header)).bytes
        }
        header.payloadLengthLowByte = UInt8(truncatingIfNeeded: payload.count)
        let headerBytes = header.encoded(modelID: model.id)
        let check = crc16([model.id.bytes, headerBytes, payload])
        return headerBytes + [UInt8(check & 0xFF), UInt8(check >> 8)] + payload
    }

    /// `sizes[k]`: the bytes of this file cut to its first k tokens per tile, written in `format`.
    public func fileSizes(format: FileFormat, model: ModelCoding) throws(VTokError) -> [Int] {
        guard case .version2(let coding) = format else { return truncationOffsets() }
        let header = try compactHeader(coding: coding, model: model)
        let overhead = header.encoded(modelID: model.id).count + 2
        switch coding {
        case .raw:
            return (0...tokenCount).map { overhead + RawPayload.size(rounds: $0, tiles: header.tileCount, bitsPerToken: layout.bitsPerToken) }
        case .arithmetic:
            return try codedPayload(prior: try requirePrior(model, for: header)).sizes.map { overhead + $0 }
        }
    }

    /// The format version of `bytes` (1 or 2, or a version this reader does not know) when they start
    /// like a `.vtok` file; nil otherwise. Reading a version 1 file needs no model.
    public static func formatVersion(of bytes: [UInt8]) -> Int? {
        guard bytes.count >= 3, bytes.starts(with: CompactHeader.magic) else { return nil }
        if bytes[2] == VTokHeader.magic[2] { return bytes.count >= 4 ? Int(bytes[3]) : nil }
        return Int(bytes[2])
    }

    /// Reads a file of either version. Version 2 files need `model` (its id verifies the check; a
    /// coded payload needs its prior); version 1 files ignore it. A file cut anywhere after its
    /// header decodes to the tokens its bytes determine, with a `.truncated` warning.
    public static func read(_ bytes: [UInt8], model: ModelCoding?) throws(VTokError) -> VTokReading {
        let magicBytes = bytes.prefix(CompactHeader.magic.count)
        guard magicBytes.elementsEqual(CompactHeader.magic.prefix(magicBytes.count)) else { throw .notVTok }
        if bytes.count > 2, bytes[2] == VTokHeader.magic[2] {
            let (file, warnings) = try parse(bytes)
            let declared = try VTokHeader(parsing: bytes).tokensPerTile
            return VTokReading(file: file, warnings: warnings, version: 1, coding: .raw, headerSize: VTokHeader.size,
                               declaredTokens: declared, isComplete: warnings.isEmpty)
        }
        guard bytes.count > 2 else { throw .headerTruncated(byteCount: bytes.count) }
        guard bytes[2] == CompactHeader.version else { throw .unsupportedVersion(bytes[2]) }
        return try readVersion2(bytes, model: model)
    }

    private static func readVersion2(_ bytes: [UInt8], model: ModelCoding?) throws(VTokError) -> VTokReading {
        // The header's fields come first so that a bad one is named even without a model.
        if bytes.count > 3, bytes[3] & 0x01 == 0 {
            _ = try CompactHeader.decode(bytes, codedLayout: nil)
        }
        guard let model else { throw .modelRequired }
        let (header, checkOffset) = try CompactHeader.decode(bytes, codedLayout: model.prior?.layout)
        guard CompactHeader.headerCheckMatches(bytes[..<checkOffset], modelID: model.id) else { throw .headerCheckMismatch(model: model.id) }
        let payload = bytes[(checkOffset + 2)...]
        let storedCheck = UInt16(bytes[checkOffset]) | UInt16(bytes[checkOffset + 1]) << 8
        let checkMatches = crc16([model.id.bytes[...], bytes[..<checkOffset], payload]) == storedCheck
        let tiles = header.tileCount, k = header.tokensPerTile

        var tokens: [[UInt32]]
        var complete: Bool
        switch header.coding {
        case .raw:
            let declared = RawPayload.size(rounds: k, tiles: tiles, bitsPerToken: header.layout.bitsPerToken)
            guard payload.count <= declared else { throw .trailingBytes(count: payload.count - declared) }
            complete = payload.count == declared
            if complete && !checkMatches { throw .corruptFile }
            let nonzeroPadding: Bool
            (tokens, nonzeroPadding) = RawPayload.unpack(payload, declaredRounds: k, tiles: tiles, bitsPerToken: header.layout.bitsPerToken)
            if complete && nonzeroPadding { throw .nonzeroPadding }
        case .arithmetic:
            let prior = try requirePrior(model, for: header)
            // A failed check with the declared length (modulo 256) is damage, not a cut.
            let lengthMatches = UInt8(truncatingIfNeeded: payload.count) == header.payloadLengthLowByte
            if !checkMatches && lengthMatches { throw .corruptFile }
            tokens = determinedRounds(payload, header: header, prior: prior)
            complete = false
            if tokens.first?.count ?? 0 == k {
                let expected = try VTokFile(width: header.width, height: header.height, tiles: header.tiles, layout: header.layout,
                                            modelID: model.id, tokens: tokens).codedPayload(prior: prior).bytes
                if payload.count > expected.count {
                    if payload.starts(with: expected) { throw .trailingBytes(count: payload.count - expected.count) }
                    throw .corruptFile
                }
                if checkMatches {
                    // A check that matches by chance on a file that is not canonical: still damage.
                    guard payload.elementsEqual(expected) else { throw .corruptFile }
                    complete = true
                }
            } else if checkMatches {
                throw .corruptFile
            }
        }
        var warnings: [VTokWarning] = []
        if !complete {
            warnings.append(.truncated(declaredTokens: k, decodedTokens: tokens.first?.count ?? 0, payloadBytes: payload.count,
                                       declaredPayloadBytes: header.coding == .raw
                                           ? RawPayload.size(rounds: k, tiles: tiles, bitsPerToken: header.layout.bitsPerToken) : nil))
        }
        let file = VTokFile(width: header.width, height: header.height, tiles: header.tiles, layout: header.layout,
                            modelID: model.id, tokens: tokens)
        return VTokReading(file: file, warnings: warnings, version: 2, coding: header.coding, headerSize: checkOffset + 2,
                           declaredTokens: k, isComplete: complete)
    }

    /// `offsets[i]`: the fewest bytes of `bytes` (a file of either version, complete or cut) that
    /// determine its first i tokens of every tile, for i in 0...(tokens the file holds).
    public static func tokenEndOffsets(_ bytes: [UInt8], model: ModelCoding?) throws(VTokError) -> [Int] {
        let reading = try read(bytes, model: model)
        let file = reading.file, tiles = file.header.tileCount
        guard reading.coding == .arithmetic, let prior = model?.prior?.sized(width: file.width, height: file.height) else {
            return (0...file.tokenCount).map {
                reading.headerSize + RawPayload.size(rounds: $0, tiles: tiles, bitsPerToken: file.layout.bitsPerToken)
            }
        }
        // n payload bytes determine rounds 0...r exactly when every completion of them lies in the
        // interval the encoder holds after round r: compare the bytes with that interval's ends
        // (one pass of the encoder, not a decode per cut point).
        let digits = [0] + Array(bytes[reading.headerSize...])
        var encoder = RangeEncoder()
        var offsets = [reading.headerSize]
        for index in 0..<file.tokenCount {
            for tile in file.tokens {
                let groups = file.layout.groupIndices(of: tile[index])
                for group in 0..<file.layout.groups {
                    encoder.encode(groups[group], cumulative: prior.cumulativeFrequencies(
                        position: index, group: group, earlierTokens: tile[..<index], earlierGroups: groups[..<group]))
                }
            }
            let (lower, upper) = encoder.intervalBounds
            // Lowest completion (the bytes, then zeros) at or above `lower`: past the first digit where
            // the bytes exceed it, or where only zeros of `lower` remain. Highest completion below
            // `upper`: past the first digit where the bytes fall below it.
            let lastNonzero = lower.lastIndex { $0 != 0 } ?? 0
            let needed = max(min(firstDifference(digits, lower), lastNonzero), firstDifference(digits, upper))
            offsets.append(reading.headerSize + min(needed, digits.count - 1))
        }
        return offsets
    }

    private func compactHeader(coding: PayloadCoding, model: ModelCoding) throws(VTokError) -> CompactHeader {
        let header = CompactHeader(width: width, height: height, tiles: tiles, tokensPerTile: tokenCount, layout: layout,
                                   coding: coding)
        try header.validate()
        try checkTokens()
        return header
    }

    /// The range-coded payload, and the size it would have after each round (`sizes[k]` for k rounds).
    func codedPayload(prior: any TokenPrior) throws(VTokError) -> (bytes: [UInt8], sizes: [Int]) {
        var encoder = RangeEncoder()
        var sizes = [encoder.finishedByteCount]
        for index in 0..<tokenCount {
            for tile in tokens {
                let groups = layout.groupIndices(of: tile[index])
                for group in 0..<layout.groups {
                    encoder.encode(groups[group], cumulative: prior.cumulativeFrequencies(
                        position: index, group: group, earlierTokens: tile[..<index], earlierGroups: groups[..<group]))
                }
            }
            sizes.append(encoder.finishedByteCount)
        }
        return (encoder.finished(), sizes)
    }

    /// The rounds of a coded payload that its bytes determine: decoded twice in lockstep, reading
    /// 0x00 and then 0xFF past the end (the lowest and the highest completion of a cut file), up to
    /// the first round where the two differ. Every completion lies between those two and decodes to
    /// the same rounds, and work and memory stay bounded by what the bytes determine, not by the
    /// declared token count.
    private static func determinedRounds(_ payload: ArraySlice<UInt8>, header: CompactHeader,
                                         prior: any TokenPrior) -> [[UInt32]] {
        var lowest = RangeDecoder(payload, padding: 0x00), highest = RangeDecoder(payload, padding: 0xFF)
        var tokens = [[UInt32]](repeating: [], count: header.tileCount)
        var groups = [Int](repeating: 0, count: header.layout.groups)
        var round = [UInt32](repeating: 0, count: header.tileCount)
        for index in 0..<header.tokensPerTile {
            for tile in 0..<header.tileCount {
                for group in 0..<header.layout.groups {
                    let table = prior.cumulativeFrequencies(position: index, group: group, earlierTokens: tokens[tile][..<index],
                                                            earlierGroups: groups[..<group])
                    let value = lowest.decode(cumulative: table)
                    guard highest.decode(cumulative: table) == value else { return tokens }
                    groups[group] = value
                }
                round[tile] = header.layout.tokenID(groupIndices: groups)
            }
            for tile in 0..<header.tileCount { tokens[tile].append(round[tile]) }
        }
        return tokens
    }
}

private func requirePrior(_ model: ModelCoding, for header: CompactHeader) throws(VTokError) -> any TokenPrior {
    guard let prior = model.prior?.sized(width: header.width, height: header.height) else { throw .priorRequired }
    guard prior.layout == header.layout else {
        throw .invalidTokens("the prior is for \(prior.layout) tokens but the file's are \(header.layout)")
    }
    guard header.tokensPerTile <= prior.positions else {
        throw .invalidField(name: "tokens per tile", value: header.tokensPerTile, allowed: "0...\(prior.positions) (the prior's positions)")
    }
    return prior
}

/// The first index where `a` and `b` differ, each read as followed by zeros; their longer length
/// when they do not.
private func firstDifference(_ a: [UInt8], _ b: [UInt8]) -> Int {
    let length = max(a.count, b.count)
    return (0..<length).first { (($0 < a.count) ? a[$0] : 0) != (($0 < b.count) ? b[$0] : 0) } ?? length
}

private func appendUInt16(_ bytes: inout [UInt8], _ value: Int) {
    bytes.append(UInt8(truncatingIfNeeded: value))
    bytes.append(UInt8(truncatingIfNeeded: value >> 8))
}

private struct ByteReader {
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
