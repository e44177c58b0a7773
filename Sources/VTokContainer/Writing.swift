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
        case .arithmetic: payload = codedPayload(prior: try requirePrior(model, for: header)).bytes
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
            return codedPayload(prior: try requirePrior(model, for: header)).sizes.map { overhead + $0 }
        }
    }

    func compactHeader(coding: PayloadCoding, model: ModelCoding) throws(VTokError) -> CompactHeader {
        let header = CompactHeader(width: width, height: height, tiles: tiles, tokensPerTile: tokenCount, layout: layout,
                                   coding: coding)
        try header.validate()
        try checkTokens()
        return header
    }
}
