extension VTokFile {
    /// The file's bytes in `format`. Version 2 needs the model's id (it seeds the file's check) and,
    /// for coded payloads, its prior; `model.id` must be the file's model id. Version 1 needs no model.
    public func serialized(format: FileFormat, model: ModelCoding? = nil) throws(VTokError) -> [UInt8] {
        guard case .version2(let coding) = format else { return try serialized() }
        guard let model else { throw .modelRequired }
        guard model.id == modelID else { throw .modelMismatch(file: modelID, model: model.id) }
        let header = try compactHeader(coding: coding, model: model)
        switch coding {
        case .raw: return version2File(header: header, payload: try rawPayload(), model: model)
        case .arithmetic: return version2File(header: header, payload: codedPayload(prior: try requirePrior(model, for: header)), model: model)
        }
    }

    /// The most tokens per tile whose whole file in `format` fits `maxBytes`, and that file: the
    /// largest k with `fileSizes(format:model:)[k] <= maxBytes`, and the bytes of
    /// `truncated(toTokens: k).serialized(format:model:)`, from one pass of the range coder (its
    /// state kept at each round that fits, the stream finished from the last). Nil when not even
    /// the header fits.
    public func serialized(format: FileFormat, model: ModelCoding? = nil, maxBytes: Int) throws(VTokError) -> (bytes: [UInt8], tokens: Int)? {
        guard case .version2(.arithmetic) = format else {
            guard let kept = try fileSizes(format: format, model: model).lastIndex(where: { $0 <= maxBytes }) else { return nil }
            return (try truncated(toTokens: kept).serialized(format: format, model: model), kept)
        }
        guard let model else { throw .modelRequired }
        guard model.id == modelID else { throw .modelMismatch(file: modelID, model: model.id) }
        let header = try compactHeader(coding: .arithmetic, model: model)
        var fitting: (rounds: Int, state: RangeEncoder.State)?
        let overhead = header.checkedSizes()
        if overhead(0) + RangeEncoder().finishedByteCount <= maxBytes { fitting = (0, RangeEncoder().state) }
        var rounds = 0
        let encoder = encodeRounds(prior: try requirePrior(model, for: header)) { encoder in
            rounds += 1
            if overhead(rounds) + encoder.finishedByteCount <= maxBytes { fitting = (rounds, encoder.state) }
        }
        guard let fitting else { return nil }
        let kept = truncated(toTokens: fitting.rounds)
        let bytes = kept.version2File(header: try kept.compactHeader(coding: .arithmetic, model: model),
                                          payload: encoder.finished(at: fitting.state), model: model)
        return (bytes, fitting.rounds)
    }

    /// The compact header (its length byte set), the file check, then `payload`.
    private func version2File(header: CompactHeader, payload: [UInt8], model: ModelCoding) -> [UInt8] {
        var header = header
        header.payloadLengthLowByte = UInt8(truncatingIfNeeded: payload.count)
        let headerBytes = header.encoded(modelID: model.id)
        let check = crc16([model.id.bytes, headerBytes, payload])
        return headerBytes + [UInt8(check & 0xFF), UInt8(check >> 8)] + payload
    }

    /// `sizes[k]`: the bytes of this file cut to its first k tokens per tile, written in `format`.
    public func fileSizes(format: FileFormat, model: ModelCoding? = nil) throws(VTokError) -> [Int] {
        guard case .version2(let coding) = format else { return truncationOffsets() }
        guard let model else { throw .modelRequired }
        let header = try compactHeader(coding: coding, model: model)
        let overhead = header.checkedSizes()
        switch coding {
        case .raw:
            return (0...tokenCount).map { overhead($0) + RawPayload.size(rounds: $0, tiles: header.tileCount, bitsPerToken: layout.bitsPerToken) }
        case .arithmetic:
            return codedPayloadSizes(prior: try requirePrior(model, for: header)).enumerated().map { overhead($0.offset) + $0.element }
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
