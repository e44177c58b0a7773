/// A byte-oriented range coder (an arithmetic coder with a 32-bit window and carry propagation),
/// first-in first-out: symbols come out of the decoder in the order they went into the encoder, so
/// every prefix of the byte stream holds a prefix of the symbols (spec/vtok.md §15.2). Integer
/// arithmetic only, so the bytes are the same on every machine.
///
/// A symbol is coded with its cumulative frequency `cumulative[s]` and its frequency
/// `cumulative[s+1] - cumulative[s]` out of `RangeCoder.total`. The highest symbol of a table also
/// takes the remainder of the range that the division by `total` leaves, so every code value
/// decodes to some symbol: that is what lets a reader decode any byte string, and bound a cut
/// file's tokens by decoding its lowest and highest completions.
public enum RangeCoder {
    /// Frequencies of one distribution sum to `total` = 2^precisionBits.
    public static let precisionBits = 16
    public static let total: UInt32 = 1 << 16

    /// Below this the range is renormalised by shifting out a byte.
    static let bottom: UInt64 = 1 << 24
    static let window: UInt64 = 1 << 32
}

/// The encoder. `low` and `range` describe the interval of code values (a 32-bit window onto the
/// infinite fraction the bytes spell) that the symbols so far select.
public struct RangeEncoder {
    private var low: UInt64 = 0
    private var range: UInt64 = RangeCoder.window
    /// The byte last shifted out of the window, not yet written because a carry may still reach it.
    private var cache: UInt8 = 0
    private var hasCache = false
    /// 0xFF bytes after `cache`, held back for the same reason.
    private var pendingFFs = 0
    public private(set) var bytes: [UInt8] = []

    public init() {}

    /// Codes symbol `symbol` of the distribution whose cumulative frequencies are `cumulative`
    /// (count + 1 entries, from 0 to `RangeCoder.total`, strictly increasing).
    public mutating func encode(_ symbol: Int, cumulative: ArraySlice<UInt32>) {
        let base = cumulative.startIndex
        let start = UInt64(cumulative[base + symbol])
        let r = range >> UInt64(RangeCoder.precisionBits)
        low += r * start
        if base + symbol + 2 == cumulative.endIndex {
            range -= r * start
        } else {
            range = r * (UInt64(cumulative[base + symbol + 1]) - start)
        }
        while range < RangeCoder.bottom {
            range <<= 8
            shiftLow()
        }
    }

    private mutating func shiftLow() {
        let carry = low >= RangeCoder.window
        let top = UInt8(truncatingIfNeeded: low >> 24)
        if low < 0xFF00_0000 || carry {
            writeHeldBytes(carry: carry)
            cache = top
            hasCache = true
        } else {
            pendingFFs += 1
        }
        low = (low & 0x00FF_FFFF) << 8
    }

    /// Writes the held-back byte and 0xFF bytes, a carry added.
    private mutating func writeHeldBytes(carry: Bool) {
        if hasCache { bytes.append(cache &+ (carry ? 1 : 0)) }
        for _ in 0..<pendingFFs { bytes.append(carry ? 0x00 : 0xFF) }
        pendingFFs = 0
    }

    /// How many bytes of the code value the interval still needs: the fewest n such that some
    /// n-byte continuation, followed by anything at all, stays inside the interval.
    private var flushByteCount: Int {
        for n in 0...4 {
            let step = UInt64(1) << UInt64(32 - 8 * n)
            let value = (low + step - 1) / step * step
            if value + step <= low + range { return n }
        }
        return 4  // unreachable: with n = 4, step is 1 and low itself fits.
    }

    /// The size in bytes that `finished()` would return now, without finishing.
    public var finishedByteCount: Int {
        bytes.count + (hasCache ? 1 : 0) + pendingFFs + flushByteCount
    }

    /// The interval's ends as big-endian digit strings of the code value: every code value from
    /// `lower` (inclusive) to `upper` (exclusive) decodes to the symbols so far. Exact, for checks:
    /// the first digit is the integer part (1 only for an upper end of 1.0), the rest the fraction's
    /// bytes. `VTokFile.tokenEndOffsets` compares a file's bytes with them.
    var intervalBounds: (lower: [UInt8], upper: [UInt8]) { intervalBounds(from: 0)! }

    /// Digits of the bounds that no later symbol changes and both share: the integer digit 0 and
    /// the bytes written, once a byte waits in `cache` (a carry stops there).
    var settledDigits: Int { hasCache ? 1 + bytes.count : 0 }

    /// `intervalBounds` from digit `start` on, without copying the digits before it (a caller that
    /// asks every symbol keeps the cost per symbol bounded); nil when a carry reaches further back.
    func intervalBounds(from start: Int) -> (lower: [UInt8], upper: [UInt8])? {
        func digits(_ value: UInt64) -> [UInt8]? {
            var result: [UInt8] = start == 0 ? [0] : []
            result += bytes[max(start - 1, 0)...]
            if hasCache { result.append(cache) }
            result += repeatElement(0xFF, count: pendingFFs)
            result += (0..<4).map { UInt8(truncatingIfNeeded: value >> UInt64(24 - 8 * $0)) }
            var carry = value >> 32, index = result.count - 5
            while carry > 0 {
                guard index >= 0 else { return nil }
                let sum = UInt64(result[index]) + carry
                result[index] = UInt8(truncatingIfNeeded: sum)
                carry = sum >> 8
                index -= 1
            }
            return result
        }
        guard let lower = digits(low), let upper = digits(low + range) else { return nil }
        return (lower, upper)
    }

    /// The encoder's state but for the bytes written, which only ever grow: with their count, enough
    /// to finish the stream as it stood then (`finished(at:)`).
    public struct State: Sendable {
        fileprivate let low: UInt64, range: UInt64, cache: UInt8, hasCache: Bool, pendingFFs: Int, byteCount: Int
    }

    public var state: State {
        State(low: low, range: range, cache: cache, hasCache: hasCache, pendingFFs: pendingFFs, byteCount: bytes.count)
    }

    /// `finished()` as it was when this encoder's `state` was `earlier`: the stream of the symbols
    /// coded up to then, without coding them again.
    public func finished(at earlier: State) -> [UInt8] {
        var copy = self
        copy.bytes.removeSubrange(earlier.byteCount...)
        (copy.low, copy.range, copy.cache, copy.hasCache, copy.pendingFFs) =
            (earlier.low, earlier.range, earlier.cache, earlier.hasCache, earlier.pendingFFs)
        return copy.finished()
    }

    /// The shortest byte string whose every continuation decodes to the symbols coded: the held-back
    /// bytes, then as few bytes of an aligned value inside the interval as can be.
    public func finished() -> [UInt8] {
        var copy = self
        let n = flushByteCount
        let step = UInt64(1) << UInt64(32 - 8 * n)
        copy.low = (low + step - 1) / step * step
        for _ in 0..<n { copy.shiftLow() }
        copy.writeHeldBytes(carry: copy.low >= RangeCoder.window)
        return copy.bytes
    }
}

/// The decoder. Reading past the end of the bytes it was given reads `padding`: 0x00 gives the
/// lowest completion of a cut stream and 0xFF (endlessly) the highest.
public struct RangeDecoder {
    private let bytes: ArraySlice<UInt8>
    private var next: Int
    private var padding: UInt8
    /// The code value minus the interval's low end; always below `range`, whatever the bytes.
    private var code: UInt64 = 0
    private var range: UInt64 = RangeCoder.window

    public init(_ bytes: ArraySlice<UInt8>, padding: UInt8 = 0) {
        self.bytes = bytes
        self.padding = padding
        next = bytes.startIndex
        for _ in 0..<4 { code = code << 8 | UInt64(nextByte()) }
    }

    /// Bytes read so far, padding included.
    public var bytesRead: Int { next - bytes.startIndex }

    /// The most bytes one `decode` reads: the range it leaves is at least `range` / 2^16 ≥ 2^8, and
    /// two bytes shifted in bring that to `RangeCoder.bottom`.
    public static let maxBytesPerSymbol = 2

    /// Bytes of the stream not read yet.
    public var unreadBytes: Int { max(bytes.endIndex - next, 0) }

    /// This decoder, reading `padding` past the end from now on: while it has read no padding, a
    /// decoder of the same bytes with another padding is in the same state.
    public func padded(with padding: UInt8) -> RangeDecoder {
        precondition(next <= bytes.endIndex, "RangeDecoder: padding changed after it was read")
        var copy = self
        copy.padding = padding
        return copy
    }

    private mutating func nextByte() -> UInt8 {
        defer { next += 1 }
        return next < bytes.endIndex ? bytes[next] : padding
    }

    /// The next symbol of the distribution `cumulative` (as for `RangeEncoder.encode`).
    public mutating func decode(cumulative: ArraySlice<UInt32>) -> Int {
        let base = cumulative.startIndex
        let count = cumulative.count - 1
        let r = range >> UInt64(RangeCoder.precisionBits)
        let target = UInt32(min(code / r, UInt64(RangeCoder.total - 1)))
        // The last entry whose start is at or below target: binary search over the table.
        var lowIndex = 0, highIndex = count - 1
        while lowIndex < highIndex {
            let middle = (lowIndex + highIndex + 1) / 2
            if cumulative[base + middle] <= target { lowIndex = middle } else { highIndex = middle - 1 }
        }
        let symbol = lowIndex
        let start = UInt64(cumulative[base + symbol])
        code -= r * start
        if symbol == count - 1 {
            range -= r * start
        } else {
            range = r * (UInt64(cumulative[base + symbol + 1]) - start)
        }
        while range < RangeCoder.bottom {
            range <<= 8
            code = code << 8 | UInt64(nextByte())
        }
        return symbol
    }
}
