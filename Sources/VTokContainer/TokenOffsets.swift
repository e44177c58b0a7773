extension VTokFile {
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
        var offsets = [reading.headerSize]
        _ = file.encodeRounds(prior: prior) { encoder in
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
}

/// The first index where `a` and `b` differ, each read as followed by zeros; their longer length
/// when they do not.
func firstDifference(_ a: [UInt8], _ b: [UInt8]) -> Int {
    let length = max(a.count, b.count)
    return (0..<length).first { (($0 < a.count) ? a[$0] : 0) != (($0 < b.count) ? b[$0] : 0) } ?? length
}
