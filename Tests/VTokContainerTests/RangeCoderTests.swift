import VTokTestSupport
import XCTest
@testable import VTokContainer

/// The range coder against random streams and priors, and against a reference decoder that shares no
/// code with `RangeDecoder`: it picks each symbol by comparing the file's bytes with the exact interval
/// ends the encoder reports for every candidate.
final class RangeCoderTests: XCTestCase {
    /// Random cumulative tables over `symbols` values: some nearly uniform, some with one value
    /// taking nearly everything, some with frequencies of 1.
    static func randomTable(symbols: Int, using rng: inout SeededGenerator) -> [UInt32] {
        var frequencies = [UInt32](repeating: 1, count: symbols)
        let spare = Int(RangeCoder.total) - symbols
        switch rng.next() % 3 {
        case 0:  // one value takes nearly all of the probability
            frequencies[Int(rng.next() % UInt64(symbols))] += UInt32(spare)
        case 1:  // random weights
            let weights = (0..<symbols).map { _ in Double(rng.next() % 1000) + 0.5 }
            let sum = weights.reduce(0, +)
            for i in 0..<symbols { frequencies[i] += UInt32(weights[i] / sum * Double(spare)) }
            frequencies[0] += RangeCoder.total - frequencies.reduce(0, +)
        default:  // uniform
            for i in 0..<symbols { frequencies[i] = RangeCoder.total / UInt32(symbols) }
            frequencies[0] += RangeCoder.total - frequencies.reduce(0, +)
        }
        var cumulative: [UInt32] = [0]
        for frequency in frequencies { cumulative.append(cumulative.last! + frequency) }
        return cumulative
    }

    /// Decodes `count` symbols of `tables` from `bytes` (zero-padded) by interval comparison alone.
    static func referenceDecode(_ bytes: [UInt8], tables: [[UInt32]]) -> [Int] {
        var encoder = RangeEncoder()
        var symbols: [Int] = []
        for table in tables {
            let choice = (0..<table.count - 1).first { symbol in
                var trial = encoder
                trial.encode(symbol, cumulative: table[...])
                let (lower, upper) = trial.intervalBounds
                let code = [0] + bytes + [UInt8](repeating: 0, count: max(0, upper.count - bytes.count))
                return !lexicographicallyLess(code, lower) && lexicographicallyLess(code, upper)
            }!
            encoder.encode(choice, cumulative: table[...])
            symbols.append(choice)
        }
        return symbols
    }

    private static func lexicographicallyLess(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        let length = max(a.count, b.count)
        for i in 0..<length {
            let x = i < a.count ? a[i] : 0, y = i < b.count ? b[i] : 0
            if x != y { return x < y }
        }
        return false
    }

    func testRandomStreamsRoundTripAtEveryLength() {
        var rng = SeededGenerator(seed: 11)
        for trial in 0..<40 {
            let symbolCount = [2, 8, 256][trial % 3]
            let tables = (0..<60).map { _ in Self.randomTable(symbols: symbolCount, using: &rng) }
            let symbols = tables.map { table -> Int in
                // Mostly likely symbols, sometimes the least likely one.
                if rng.next() % 4 == 0 { return Int(rng.next() % UInt64(symbolCount)) }
                let frequencies = zip(table.dropFirst(), table).map { $0 - $1 }
                return frequencies.indices.max { frequencies[$0] < frequencies[$1] }!
            }
            var encoder = RangeEncoder()
            for length in 0...symbols.count {
                let bytes = encoder.finished()
                XCTAssertEqual(bytes.count, encoder.finishedByteCount)
                var decoder = RangeDecoder(bytes[...])
                let decoded = tables.prefix(length).map { decoder.decode(cumulative: $0[...]) }
                XCTAssertEqual(decoded, Array(symbols.prefix(length)), "trial \(trial), length \(length)")
                if length % 7 == 0 {
                    XCTAssertEqual(Self.referenceDecode(bytes, tables: Array(tables.prefix(length))), Array(symbols.prefix(length)))
                }
                if length < symbols.count { encoder.encode(symbols[length], cumulative: tables[length][...]) }
            }
        }
    }

    func testAnyBytesDecodeWithoutTrapping() {
        var rng = SeededGenerator(seed: 5)
        let tables = (0..<50).map { _ in Self.randomTable(symbols: 8, using: &rng) }
        for _ in 0..<200 {
            let bytes = (0..<Int(rng.next() % 12)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            for padding: UInt8 in [0x00, 0xFF] {
                var decoder = RangeDecoder(bytes[...], padding: padding)
                let symbols = tables.map { decoder.decode(cumulative: $0[...]) }
                if padding == 0 { XCTAssertEqual(symbols, Self.referenceDecode(bytes, tables: tables)) }
            }
        }
    }

    func testTheFlushIsMinimal() {
        // No strict prefix of a finished stream confines the code value to the final interval.
        var rng = SeededGenerator(seed: 3)
        for _ in 0..<30 {
            let tables = (0..<20).map { _ in Self.randomTable(symbols: 8, using: &rng) }
            var encoder = RangeEncoder()
            for table in tables { encoder.encode(Int(rng.next() % 8), cumulative: table[...]) }
            let bytes = encoder.finished()
            guard !bytes.isEmpty else { continue }
            let shorter = Array(bytes.dropLast())
            var low = RangeDecoder(shorter[...], padding: 0x00), high = RangeDecoder(shorter[...], padding: 0xFF)
            let lows = tables.map { low.decode(cumulative: $0[...]) }, highs = tables.map { high.decode(cumulative: $0[...]) }
            XCTAssertNotEqual(lows, highs)
        }
    }

    func testCRC16CheckValue() {
        XCTAssertEqual(crc16([Array("123456789".utf8)]), 0x29B1)
        XCTAssertEqual(crc16([Array("1234".utf8), Array("56789".utf8)]), 0x29B1)
        XCTAssertEqual(crc4([Array("123456789".utf8)]), 0xE)
    }
}

final class ChannelRunPriorTests: XCTestCase {
    /// Head positions keep their own tables; each later table serves one run of the image's blocks.
    func testPositionsMapToTablesByRuns() throws {
        let layout = TokenLayout(groups: 1, bitsPerGroup: 2)
        let stored = try StaticTokenPrior.quantized(layout: layout, positions: 5,
                                                    counts: (0..<20).map { Double($0 % 4 + $0 / 4) })
        let prior = try ChannelRunPrior(stored: stored, headPositions: 3, blockPixels: 8)
        let sized = prior.runs(width: 20, height: 9)  // 3 x 2 blocks
        XCTAssertEqual(prior.sized(width: 20, height: 9).positions, sized.positions)
        XCTAssertEqual(sized.runLength, 6)
        XCTAssertEqual(sized.positions, 3 + 2 * 6)
        XCTAssertEqual((0..<15).map { sized.table(ofPosition: $0, earlierTokens: []) }, [0, 1, 2] + Array(repeating: 3, count: 6) + Array(repeating: 4, count: 6))
        for position in 0..<15 {
            XCTAssertEqual(sized.tables(position: position, earlierTokens: [])[0],
                           stored.tables(position: sized.table(ofPosition: position, earlierTokens: []), earlierTokens: [])[0])
        }
        XCTAssertThrowsError(try ChannelRunPrior(stored: stored, headPositions: 6, blockPixels: 8))
        // A static prior is the same for every size.
        XCTAssertEqual(stored.sized(width: 100, height: 100).positions, 5)
    }

    /// §15.1.2: the same block in the window of earlier channels picks one of a channel's tables,
    /// by ⌊√(2S)⌋ of its groups' distances from the middle value, capped at K − 1.
    func testContextsComeFromTheSameBlockInEarlierChannels() throws {
        let layout = TokenLayout(groups: 2, bitsPerGroup: 3)  // middle value 4
        let head = 2, channels = 4, contexts = 3
        let stored = StaticTokenPrior.uniform(layout: layout, positions: head + channels * contexts)
        let prior = try ChannelRunPrior(stored: stored, headPositions: head, blockPixels: 8, contexts: contexts, contextWindow: 2)
            .runs(width: 16, height: 8)  // 2 blocks a channel
        XCTAssertEqual(prior.positions, head + channels * 2)
        func id(_ a: Int, _ b: Int) -> UInt32 { UInt32(a << 3 | b) }
        // Head; channel 0 (blocks busy, flat); channel 1 (flat, busy); channels 2 and 3.
        let tokens: [UInt32] = [id(7, 7), id(0, 0), id(0, 7), id(4, 4), id(4, 4), id(4, 5), id(4, 4), id(4, 4), id(4, 4), id(4, 4)]
        let slice = tokens[...]
        // Channel 1, block 0 looks at channel 0's: S = 4 + 3 = 7, √14 → 3, capped at 2. Block 1: S = 0.
        XCTAssertEqual(prior.context(position: 4, earlierTokens: slice[..<4]), 2)
        XCTAssertEqual(prior.context(position: 5, earlierTokens: slice[..<5]), 0)
        // Channel 2, block 1 looks at channels 1 and 0: S = 1 (channel 1) + 0 = 1, √2 → 1. Tables: head + channel·K + context.
        XCTAssertEqual(prior.context(position: 7, earlierTokens: slice[..<7]), 1)
        // Channel 3, block 0, with a window of 2, sees channels 2 and 1 only, not channel 0's busy block.
        XCTAssertEqual(prior.context(position: 8, earlierTokens: slice[..<8]), 0)
        XCTAssertEqual((0..<10).map { prior.table(ofPosition: $0, earlierTokens: slice[..<$0]) }, [0, 1, 2, 2, 7, 5, 10, 9, 11, 12])
        // Channel 0 and the head have context 0; a stored prior that is not whole channels of K tables is refused.
        XCTAssertEqual(prior.context(position: 2, earlierTokens: slice[..<2]), 0)
        XCTAssertThrowsError(try ChannelRunPrior(stored: StaticTokenPrior.uniform(layout: layout, positions: head + 7),
                                                 headPositions: head, blockPixels: 8, contexts: contexts, contextWindow: 2))
    }
}
