/// Appends unsigned integers of a fixed width, most significant bit first, into bytes.
struct BitWriter {
    private(set) var bytes: [UInt8] = []
    private var accumulator: UInt64 = 0
    private var accumulatedBits = 0

    init(reservingBytes: Int) { bytes.reserveCapacity(reservingBytes) }

    /// `value` must fit in `bitCount` (1...32) bits.
    mutating func write(_ value: UInt32, bitCount: Int) {
        accumulator = accumulator << UInt64(bitCount) | UInt64(value)
        accumulatedBits += bitCount
        while accumulatedBits >= 8 {
            accumulatedBits -= 8
            bytes.append(UInt8(truncatingIfNeeded: accumulator >> UInt64(accumulatedBits)))
        }
    }

    /// The bytes written, the last one completed with zero bits.
    func finished() -> [UInt8] {
        guard accumulatedBits > 0 else { return bytes }
        return bytes + [UInt8(truncatingIfNeeded: accumulator << UInt64(8 - accumulatedBits))]
    }
}

/// Reads what `BitWriter` writes. The caller never reads past the bits present.
struct BitReader {
    private let bytes: ArraySlice<UInt8>
    private var nextByte: Int
    private var accumulator: UInt64 = 0
    private var accumulatedBits = 0

    init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        nextByte = bytes.startIndex
    }

    mutating func read(bitCount: Int) -> UInt32 {
        while accumulatedBits < bitCount {
            accumulator = accumulator << 8 | UInt64(bytes[nextByte])
            nextByte += 1
            accumulatedBits += 8
        }
        accumulatedBits -= bitCount
        return UInt32(truncatingIfNeeded: accumulator >> UInt64(accumulatedBits) & (UInt64(1) << UInt64(bitCount) - 1))
    }

    /// The bits left in the byte last read (the padding, once every token is read).
    var remainingBitsOfLastByte: UInt64 {
        accumulator & (UInt64(1) << UInt64(accumulatedBits) - 1)
    }
}

/// Raw payloads (both versions): `rounds` rounds of one `bitsPerToken`-bit id per tile, bit-packed,
/// the last byte completed with zero bits.
enum RawPayload {
    static func size(rounds: Int, tiles: Int, bitsPerToken: Int) -> Int {
        (rounds * tiles * bitsPerToken + 7) / 8
    }

    /// The complete rounds `payload` holds, at most `declaredRounds`, per tile; and whether the
    /// padding bits after them are nonzero. Allocations are bounded by the bytes present plus one
    /// empty array per tile, whatever the header declares.
    static func unpack(_ payload: ArraySlice<UInt8>, declaredRounds: Int, tiles: Int,
                       bitsPerToken: Int) -> (tokens: [[UInt32]], nonzeroPadding: Bool) {
        let rounds = min(declaredRounds, payload.count * 8 / (tiles * bitsPerToken))
        var tokens = [[UInt32]](repeating: [], count: tiles)
        var reader = BitReader(payload)
        for place in TokenOrder(rounds: rounds, tiles: tiles) {
            tokens[place.tile].append(reader.read(bitCount: bitsPerToken))
        }
        return (tokens, reader.remainingBitsOfLastByte != 0)
    }
}
