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
        // (one pass of the encoder, not a decode per cut point). The ends' settled digits (the
        // bytes the encoder has written) are compared with the file's once each, as they settle,
        // so a round costs the digits still held, not the whole file so far.
        let digits = [0] + Array(bytes[reading.headerSize...])
        var offsets = [reading.headerSize]
        var agreed = 0, settledDiffers = false, lastNonzeroSettled = 0
        _ = file.encodeRounds(prior: prior) { encoder in
            let settled = encoder.settledDigits
            while !settledDiffers && agreed < settled {
                let mine = agreed == 0 ? 0 : encoder.bytes[agreed - 1]
                if mine != (agreed < digits.count ? digits[agreed] : 0) {
                    settledDiffers = true
                } else {
                    if mine != 0 { lastNonzeroSettled = agreed }
                    agreed += 1
                }
            }
            let needed: Int
            if let (lower, upper) = encoder.intervalBounds(from: settled) {
                // Both ends share the settled digits: where the file leaves them, both differ from it.
                needed = settledDiffers ? agreed
                    : Self.neededDigits(digits, lower: lower, upper: upper, from: settled, lastNonzeroBefore: lastNonzeroSettled)
            } else {
                let (lower, upper) = encoder.intervalBounds
                needed = Self.neededDigits(digits, lower: lower, upper: upper, from: 0, lastNonzeroBefore: 0)
            }
            offsets.append(reading.headerSize + min(needed, digits.count - 1))
        }
        return offsets
    }

    /// The digits of `digits` that place every completion inside [lower, upper), the interval's
    /// ends given from digit `start` on (the digits before it agree with `digits`, the last nonzero
    /// of them at `lastNonzeroBefore`). Lowest completion (the bytes, then zeros) at or above
    /// `lower`: past the first digit where the bytes exceed it, or where only zeros of `lower`
    /// remain. Highest completion below `upper`: past the first digit where the bytes fall below it.
    private static func neededDigits(_ digits: [UInt8], lower: [UInt8], upper: [UInt8], from start: Int,
                                     lastNonzeroBefore: Int) -> Int {
        let lastNonzero = lower.lastIndex { $0 != 0 }.map { start + $0 } ?? lastNonzeroBefore
        let rest = digits.count > start ? digits[start...] : []
        return max(min(start + firstDifference(rest, lower[...]), lastNonzero), start + firstDifference(rest, upper[...]))
    }
}

/// The first offset where `a` and `b` differ, each read from its start and as followed by zeros;
/// their longer length when they do not.
func firstDifference(_ a: ArraySlice<UInt8>, _ b: ArraySlice<UInt8>) -> Int {
    let length = max(a.count, b.count)
    return (0..<length).first { offset in
        (offset < a.count ? a[a.startIndex + offset] : 0) != (offset < b.count ? b[b.startIndex + offset] : 0)
    } ?? length
}
