extension VTokFile {
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
        guard CompactHeader.versions.contains(bytes[2]) else { throw .unsupportedVersion(bytes[2]) }
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
                let expected = VTokFile(width: header.width, height: header.height, tiles: header.tiles, layout: header.layout,
                                            modelID: model.id, tokens: tokens).codedPayload(prior: prior)
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
        return VTokReading(file: file, warnings: warnings, version: Int(header.version), coding: header.coding, headerSize: checkOffset + 2,
                           declaredTokens: k, isComplete: complete)
    }
}
