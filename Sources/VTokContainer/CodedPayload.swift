/// The range-coded payload (spec §15): the walk over rounds, tiles and groups that every coder pass
/// shares, the encoder, and the decoder of what a cut payload determines.

extension VTokFile {
    /// Range-codes the tokens in payload order (spec §13: token i of every tile, then token i + 1),
    /// each group under its distribution given the tile's earlier tokens and the token's earlier
    /// groups (§15.2), and hands the encoder to `afterRound` after each round: the one walk that
    /// writing, sizing and the end offsets share.
    func encodeRounds(prior: any TokenPrior, afterRound: (RangeEncoder) -> Void = { _ in }) -> RangeEncoder {
        var encoder = RangeEncoder()
        for place in TokenOrder(rounds: tokenCount, tiles: tokens.count) {
            let tile = tokens[place.tile], index = place.round
            let tables = prior.tables(position: index, earlierTokens: tile[..<index])
            for group in 0..<layout.groups { encoder.encode(layout.groupIndex(group, of: tile[index]), cumulative: tables[group]) }
            if place.endsRound { afterRound(encoder) }
        }
        return encoder
    }

    /// The range-coded payload.
    func codedPayload(prior: any TokenPrior) -> [UInt8] { encodeRounds(prior: prior).finished() }

    /// The size the range-coded payload would have after each round (`sizes[k]` for k rounds).
    func codedPayloadSizes(prior: any TokenPrior) -> [Int] {
        var sizes = [RangeEncoder().finishedByteCount]
        _ = encodeRounds(prior: prior) { sizes.append($0.finishedByteCount) }
        return sizes
    }

    /// The rounds of a coded payload that its bytes determine: decoded twice in lockstep, reading
    /// 0x00 and then 0xFF past the end (the lowest and the highest completion of a cut file), up to
    /// the first round where the two differ. Every completion lies between those two and decodes to
    /// the same rounds, and work and memory stay bounded by what the bytes determine, not by the
    /// declared token count. Until a symbol could read past the end the two decoders are in one
    /// state, so one decoder runs alone until then.
    static func determinedRounds(_ payload: ArraySlice<UInt8>, header: CompactHeader, prior: any TokenPrior) -> [[UInt32]] {
        var lowest = RangeDecoder(payload, padding: 0x00)
        var highest = lowest.unreadBytes < RangeDecoder.maxBytesPerSymbol ? RangeDecoder(payload, padding: 0xFF) : nil
        var tokens = [[UInt32]](repeating: [], count: header.tileCount)
        for tile in tokens.indices { tokens[tile].reserveCapacity(header.tokensPerTile) }
        var groups = [Int](repeating: 0, count: header.layout.groups)
        var round = [UInt32](repeating: 0, count: header.tileCount)
        for place in TokenOrder(rounds: header.tokensPerTile, tiles: header.tileCount) {
            let tables = prior.tables(position: place.round, earlierTokens: tokens[place.tile][..<place.round])
            for group in 0..<header.layout.groups {
                let table = tables[group]
                if highest == nil && lowest.unreadBytes < RangeDecoder.maxBytesPerSymbol { highest = lowest.padded(with: 0xFF) }
                let value = lowest.decode(cumulative: table)
                if highest != nil { guard highest!.decode(cumulative: table) == value else { return tokens } }
                groups[group] = value
            }
            round[place.tile] = header.layout.tokenID(groupIndices: groups)
            // A round joins the tokens only once all its tiles are determined.
            if place.endsRound {
                for tile in 0..<header.tileCount { tokens[tile].append(round[tile]) }
            }
        }
        return tokens
    }
}

func requirePrior(_ model: ModelCoding, for header: CompactHeader) throws(VTokError) -> any TokenPrior {
    guard let prior = model.prior?.sized(width: header.width, height: header.height) else { throw .priorRequired }
    guard prior.layout == header.layout else {
        throw .invalidTokens("the prior is for \(prior.layout) tokens but the file's are \(header.layout)")
    }
    guard header.tokensPerTile <= prior.positions else {
        throw .invalidField(name: "tokens per tile", value: header.tokensPerTile, allowed: "0...\(prior.positions) (the prior's positions)")
    }
    return prior
}
