import VTokTestSupport
import XCTest
@testable import VTokContainer

final class Version2Tests: XCTestCase {
    static let layout = TokenLayout(groups: 2, bitsPerGroup: 3)

    /// A prior over 2 × 3-bit groups with random, often lopsided distributions.
    static func randomPrior(positions: Int, layout: TokenLayout = layout, using rng: inout SeededGenerator) -> StaticTokenPrior {
        let symbols = 1 << layout.bitsPerGroup
        var frequencies: [UInt32] = []
        for _ in 0..<positions * layout.groups {
            let cumulative = RangeCoderTests.randomTable(symbols: symbols, using: &rng)
            frequencies += zip(cumulative.dropFirst(), cumulative).map { $0 - $1 }
        }
        return try! StaticTokenPrior(layout: layout, positions: positions, frequencies: frequencies)
    }

    /// Tokens drawn mostly from the prior's likely values.
    static func tokens(count: Int, tiles: Int, prior: StaticTokenPrior, using rng: inout SeededGenerator) -> [[UInt32]] {
        (0..<tiles).map { _ in
            (0..<count).map { position in
                let groups = (0..<prior.layout.groups).map { group -> Int in
                    let table = Array(prior.tables(position: position, earlierTokens: [])[group])
                    let draw = UInt32(rng.next() % UInt64(RangeCoder.total))
                    return table.lastIndex { $0 <= draw }!
                }
                return prior.layout.tokenID(groupIndices: groups)
            }
        }
    }

    static let model = ModelCoding(id: testModelID, prior: nil)

    func file(width: Int = 64, height: Int = 48, tiles: TileLayout = .single, tokens: [[UInt32]]) -> VTokFile {
        VTokFile(width: width, height: height, tiles: tiles, layout: Self.layout, modelID: testModelID, tokens: tokens)
    }

    func testOneTileOverheadIsAtMost12Bytes() throws {
        let prior = StaticTokenPrior.uniform(layout: Self.layout, positions: 65535)
        for (width, height) in [(1, 1), (256, 256), (4096, 4096), (4096, 1), (640, 480)] {
            for count in [0, 1, 256, 65535] {
                let tokens = [[UInt32](repeating: 5, count: count)]
                let small = VTokFile(width: width, height: height, tiles: .single, layout: Self.layout, modelID: testModelID, tokens: tokens)
                let raw = try small.serialized(format: .version2(.raw), model: Self.model)
                XCTAssertEqual(raw.count - (count * 6 + 7) / 8, 12)
                let coded = try small.serialized(format: .version2(.arithmetic), model: ModelCoding(id: testModelID, prior: prior))
                let reading = try VTokFile.read(coded, model: ModelCoding(id: testModelID, prior: prior))
                XCTAssertEqual(reading.headerSize, 12)
                XCTAssertEqual(reading.file, small)
            }
        }
    }

    func testRoundTripsOfRandomStreamsUnderRandomPriors() throws {
        var rng = SeededGenerator(seed: 21)
        let shapes: [(Int, Int, TileLayout)] = [(64, 48, .single), (65535, 3, .single), (300, 200, .tiled(side: 256)),
                                                (5000, 70, .tiled(side: 64)), (7, 9, .tiled(side: 1))]
        for (width, height, tiles) in shapes {
            let tileCount = tiles.tileCount(width: width, height: height)
            let prior = Self.randomPrior(positions: 40, using: &rng)
            let model = ModelCoding(id: testModelID, prior: prior)
            let full = file(width: width, height: height, tiles: tiles,
                            tokens: Self.tokens(count: 40, tiles: tileCount, prior: prior, using: &rng))
            let sizes = try full.fileSizes(format: .version2(.arithmetic), model: model)
            for count in 0...40 {
                let kept = full.truncated(toTokens: count)
                for coding in [PayloadCoding.raw, .arithmetic] {
                    let bytes = try kept.serialized(format: .version2(coding), model: model)
                    let reading = try VTokFile.read(bytes, model: model)
                    XCTAssertEqual(reading.file, kept, "\(width)x\(height) \(tiles) k=\(count) \(coding)")
                    XCTAssertEqual(reading.warnings, [])
                    XCTAssertTrue(reading.isComplete)
                    XCTAssertEqual(reading.coding, coding)
                    if coding == .arithmetic { XCTAssertEqual(bytes.count, sizes[count]) }
                }
            }
        }
    }

    func testEveryCutDecodesToTheDeterminedPrefixAndNeverAWrongToken() throws {
        var rng = SeededGenerator(seed: 8)
        for trial in 0..<12 {
            let tiles: TileLayout = trial % 3 == 0 ? .tiled(side: 32) : .single
            let tileCount = tiles.tileCount(width: 64, height: 48)
            let prior = Self.randomPrior(positions: 30, using: &rng)
            let model = ModelCoding(id: testModelID, prior: prior)
            let full = file(tiles: tiles, tokens: Self.tokens(count: 30, tiles: tileCount, prior: prior, using: &rng))
            let bytes = try full.serialized(format: .version2(.arithmetic), model: model)
            let headerSize = try VTokFile.read(bytes, model: model).headerSize
            let ends = try VTokFile.tokenEndOffsets(bytes, model: model)
            XCTAssertEqual(ends.count, 31)
            XCTAssertEqual(ends.last, bytes.count)
            // The symbols in coding order, for the reference decoder.
            let tables: [[UInt32]] = (0..<30).flatMap { position in
                (0..<tileCount).flatMap { _ in
                    (0..<Self.layout.groups).map { Array(prior.tables(position: position, earlierTokens: [])[$0]) }
                }
            }
            let symbolsPerRound = tileCount * Self.layout.groups
            for length in headerSize..<bytes.count {
                let cut = Array(bytes.prefix(length))
                let reading = try VTokFile.read(cut, model: model)
                XCTAssertFalse(reading.isComplete)
                XCTAssertEqual(reading.warnings.count, 1)
                let decoded = reading.file.tokenCount
                XCTAssertEqual(reading.file.tokens, full.tokens.map { Array($0.prefix(decoded)) }, "trial \(trial) cut \(length)")
                // Independently: the rounds on which the lowest and highest completions agree.
                let payload = Array(cut[headerSize...])
                let low = RangeCoderTests.referenceDecode(payload, tables: tables)
                let high = RangeCoderTests.referenceDecode(payload + [UInt8](repeating: 0xFF, count: 8), tables: tables)
                let agreeing = zip(low, high).prefix { $0 == $1 }.count
                XCTAssertEqual(decoded, min(30, agreeing / symbolsPerRound), "trial \(trial) cut \(length)")
                XCTAssertEqual(ends.lastIndex { $0 <= length }, decoded)
            }
        }
    }

    func testEverySingleBitFlipOfACompleteFileIsRefused() throws {
        var rng = SeededGenerator(seed: 4)
        let prior = Self.randomPrior(positions: 20, using: &rng)
        let model = ModelCoding(id: testModelID, prior: prior)
        for tiles in [TileLayout.single, .tiled(side: 32)] {
            let tileCount = tiles.tileCount(width: 64, height: 48)
            let full = file(tiles: tiles, tokens: Self.tokens(count: 20, tiles: tileCount, prior: prior, using: &rng))
            for coding in [PayloadCoding.raw, .arithmetic] {
                let bytes = try full.serialized(format: .version2(coding), model: model)
                for bit in 0..<bytes.count * 8 {
                    var flipped = bytes
                    flipped[bit / 8] ^= 0x80 >> UInt8(bit % 8)
                    XCTAssertThrowsError(try VTokFile.read(flipped, model: model), "\(tiles) \(coding) bit \(bit)")
                }
            }
        }
    }

    func testAnotherModelIsRefused() throws {
        var rng = SeededGenerator(seed: 9)
        let prior = Self.randomPrior(positions: 10, using: &rng)
        let full = file(tokens: Self.tokens(count: 10, tiles: 1, prior: prior, using: &rng))
        let bytes = try full.serialized(format: .version2(.arithmetic), model: ModelCoding(id: testModelID, prior: prior))
        // Another model: the 4-bit header check refuses 15 ids in 16, the file's checksum the rest.
        var corrupt = 0, headerCheck = 0
        for last in 0..<64 {
            let other = ModelCoding(id: ModelID(bytes: [0xb0, 0, 0, UInt8(last)])!, prior: prior)
            switch thrownError({ () throws(VTokError) in try VTokFile.read(bytes, model: other) }) {
            case .corruptFile?: corrupt += 1
            case .headerCheckMismatch?: headerCheck += 1
            case let other: XCTFail("\(String(describing: other))")
            }
        }
        XCTAssertEqual(corrupt + headerCheck, 64)
        XCTAssertGreaterThan(corrupt, 0)
        XCTAssertGreaterThan(headerCheck, 40)
        XCTAssertEqual(thrownError { () throws(VTokError) in try VTokFile.read(bytes, model: nil) }, .modelRequired)
        let noPrior = ModelCoding(id: testModelID, prior: nil)
        XCTAssertEqual(thrownError { () throws(VTokError) in try VTokFile.read(bytes, model: noPrior) }, .priorRequired)
    }

    /// A byte budget in one coder pass gives exactly the file of the longest prefix that fits, for
    /// every budget, every format, tiled or not.
    func testTheLongestPrefixThatFitsABudgetInOnePass() throws {
        var rng = SeededGenerator(seed: 23)
        for (width, height, tiles) in [(64, 48, TileLayout.single), (300, 200, .tiled(side: 256))] {
            let prior = Self.randomPrior(positions: 30, using: &rng)
            let model = ModelCoding(id: testModelID, prior: prior)
            let full = file(width: width, height: height, tiles: tiles,
                            tokens: Self.tokens(count: 30, tiles: tiles.tileCount(width: width, height: height), prior: prior, using: &rng))
            for format in [FileFormat.version2(.arithmetic), .version2(.raw), .version1] {
                let sizes = try full.fileSizes(format: format, model: model)
                for maxBytes in 0...sizes.last! + 2 {
                    let result = try full.serialized(format: format, model: model, maxBytes: maxBytes)
                    guard let kept = sizes.lastIndex(where: { $0 <= maxBytes }) else {
                        XCTAssertNil(result, "\(format) \(maxBytes) B")
                        continue
                    }
                    XCTAssertEqual(result?.tokens, kept, "\(format) \(maxBytes) B")
                    XCTAssertEqual(result?.bytes, try full.truncated(toTokens: kept).serialized(format: format, model: model),
                                   "\(format) \(maxBytes) B")
                }
            }
        }
    }

    func testTrailingBytesAndOtherVersions() throws {
        var rng = SeededGenerator(seed: 2)
        let prior = Self.randomPrior(positions: 10, using: &rng)
        let model = ModelCoding(id: testModelID, prior: prior)
        let bytes = try file(tokens: Self.tokens(count: 10, tiles: 1, prior: prior, using: &rng))
            .serialized(format: .version2(.arithmetic), model: model)
        XCTAssertThrowsError(try VTokFile.read(bytes + [0], model: model))
        XCTAssertEqual(thrownError { () throws(VTokError) in try VTokFile.read([0x56, 0x54, 9, 0, 0], model: model) }, .unsupportedVersion(9))
        XCTAssertEqual(thrownError { () throws(VTokError) in try VTokFile.read([0x56, 0x54, 2, 0], model: model) }, .headerTruncated(byteCount: 4))
        XCTAssertEqual(thrownError { () throws(VTokError) in try VTokFile.read(Array("PNG".utf8), model: model) }, .notVTok)
        // Version 1 files read as before, with or without a model.
        let v1 = FormatTests.tiledExample
        XCTAssertEqual(try VTokFile.read(v1, model: nil).file, FormatTests.tiledFile)
        XCTAssertEqual(try VTokFile.read(v1, model: model).version, 1)
    }

    func testPriorTextRoundTripsAndBadTablesAreRefused() throws {
        var rng = SeededGenerator(seed: 1)
        let prior = Self.randomPrior(positions: 5, using: &rng)
        XCTAssertEqual(try StaticTokenPrior(serialized: prior.serialized), prior)
        XCTAssertThrowsError(try StaticTokenPrior(serialized: "static1 2 3 1 1 2 3"))
        // The frequencies are decimal digits separated by spaces, each below 2^32.
        XCTAssertEqual(try StaticTokenPrior(serialized: "static1 1 1 1  32768   32768 ").frequencies, [32768, 32768])
        for bad in ["static1 1 1 1 32768 +32768", "static1 1 1 1 32768 3276x", "static1 1 1 1 32768 4294967296",
                    "static1 1 1 1 32768 99999999999", "static1 1 1 1 32768\t32768", "static1 1 1 1"] {
            XCTAssertThrowsError(try StaticTokenPrior(serialized: bad), bad)
        }
        XCTAssertThrowsError(try StaticTokenPrior(layout: Self.layout, positions: 1, frequencies: [UInt32](repeating: 4096, count: 16)))
        XCTAssertThrowsError(try StaticTokenPrior(layout: Self.layout, positions: 1,
                                                  frequencies: [0, 16384, 8192, 8192, 8192, 8192, 8192, 8192] + [UInt32](repeating: 8192, count: 8)))
        let quantized = try StaticTokenPrior.quantized(layout: Self.layout, positions: 1, counts: [1000, 0, 0, 0, 0, 0, 0, 3] + [Double](repeating: 1, count: 8))
        XCTAssertEqual(quantized.frequencies[1], 1)
        XCTAssertEqual(quantized.frequencies[0...7].reduce(0, +), RangeCoder.total)
        XCTAssertEqual(quantized.entropyBits(position: 0), 3 + quantized.entropyBits(position: 0) - 3, accuracy: 1e-12)
        XCTAssertEqual(StaticTokenPrior.uniform(layout: Self.layout, positions: 1).entropyBits(position: 0), 6, accuracy: 1e-9)
    }

    // The worked examples of spec/vtok.md §18, byte for byte.
    func testSpecExampleARaw() throws {
        let expected = hexBytes("56 54 02 60 3f f0 02 03 00 25 82 b4 ab c1 23 ff f0")
        XCTAssertEqual(try FormatTests.singleTileFile.serialized(format: .version2(.raw), model: Self.model), expected)
        let reading = try VTokFile.read(expected, model: Self.model)
        XCTAssertEqual(reading.file, FormatTests.singleTileFile)
        XCTAssertEqual(reading.headerSize, 12)
        XCTAssertEqual(crc4([testModelID.bytes, hexBytes("56 54 02 00 3f f0 02 03 00 25")]), 6)
    }

    func testSpecExampleBCoded() throws {
        let prior = try StaticTokenPrior(serialized: "static1 1 2 3 32768 16384 8192 8192 8192 8192 16384 32768 16384 16384 16384 16384")
        let model = ModelCoding(id: testModelID, prior: prior)
        let file = VTokFile(width: 64, height: 48, tiles: .single, layout: TokenLayout(groups: 1, bitsPerGroup: 2),
                            modelID: testModelID, tokens: [[0, 3, 2]])
        let expected = hexBytes("56 54 02 b1 3f f0 02 03 00 01 0e 12 60")
        XCTAssertEqual(try file.serialized(format: .version2(.arithmetic), model: model), expected)
        XCTAssertEqual(try VTokFile.read(expected, model: model).file, file)
        let cut = try VTokFile.read(Array(expected.prefix(12)), model: model)
        XCTAssertEqual(cut.file.tokenCount, 0)
        XCTAssertEqual(cut.warnings.count, 1)
    }

    /// §15.4: the prior of example B sized to the image, its first table for position 0 and each
    /// later table for a run of 4 positions (a 64×48 image in 32-px blocks).
    func testSpecExampleCSizedPrior() throws {
        let stored = try StaticTokenPrior(serialized: "static1 1 2 3 32768 16384 8192 8192 8192 8192 16384 32768 16384 16384 16384 16384")
        let prior = try ChannelRunPrior(stored: stored, headPositions: 1, blockPixels: 32)
        XCTAssertEqual(prior.sized(width: 64, height: 48).positions, 9)
        let model = ModelCoding(id: testModelID, prior: prior)
        let file = VTokFile(width: 64, height: 48, tiles: .single, layout: TokenLayout(groups: 1, bitsPerGroup: 2),
                            modelID: testModelID, tokens: [[0, 3, 2, 3, 3]])
        let expected = hexBytes("56 54 02 c1 3f f0 02 05 00 01 44 72 5c")
        XCTAssertEqual(try file.serialized(format: .version2(.arithmetic), model: model), expected)
        XCTAssertEqual(try VTokFile.read(expected, model: model).file, file)
        // Ten positions do not fit a 64×48 image's prior.
        let tooMany = VTokFile(width: 64, height: 48, tiles: .single, layout: file.layout, modelID: testModelID,
                               tokens: [Array(repeating: 0, count: 10)])
        XCTAssertThrowsError(try tooMany.serialized(format: .version2(.arithmetic), model: model))
    }

    /// §15.1.2: two channels of two context tables each; channel 1's tables are picked by channel 0's
    /// values at the same block. The bytes were computed by a separate implementation of the spec.
    func testSpecExampleDContextTables() throws {
        let stored = try StaticTokenPrior(serialized: "static1 1 2 5 32768 16384 8192 8192 8192 8192 32768 16384 "
            + "16384 16384 16384 16384 4096 4096 49152 8192 16384 16384 16384 16384")
        let prior = try ChannelRunPrior(stored: stored, headPositions: 1, blockPixels: 32, contexts: 2, contextWindow: 1)
        let tokens: [UInt32] = [0, 2, 3, 2, 0, 2, 1, 2, 3]
        let sized = prior.runs(width: 64, height: 48)
        XCTAssertEqual(sized.positions, 9)
        XCTAssertEqual((0..<9).map { sized.table(ofPosition: $0, earlierTokens: tokens[..<$0]) }, [0, 1, 1, 1, 1, 3, 4, 3, 4])
        let model = ModelCoding(id: testModelID, prior: prior)
        let file = VTokFile(width: 64, height: 48, tiles: .single, layout: TokenLayout(groups: 1, bitsPerGroup: 2),
                            modelID: testModelID, tokens: [tokens])
        let expected = hexBytes("56 54 02 71 3f f0 02 09 00 02 01 64 54 71")
        XCTAssertEqual(try file.serialized(format: .version2(.arithmetic), model: model), expected)
        XCTAssertEqual(try VTokFile.read(expected, model: model).file, file)
        // Every cut decodes a prefix, and the first payload byte alone determines at least the head.
        for n in 12...expected.count {
            let cut = try VTokFile.read(Array(expected.prefix(n)), model: model).file.tokens[0]
            XCTAssertEqual(cut, Array(tokens.prefix(cut.count)), "cut at \(n)")
        }
    }

    /// §12, version 3: a file of more than 65,535 tokens declares its count in 4 bytes. The 256×256
    /// image in 1-px blocks gives a prior of 1 + 65,536 positions; the payload was computed by a
    /// separate implementation of §15.2.
    func testSpecExampleEVersion3() throws {
        let stored = try StaticTokenPrior(serialized: "static1 1 1 2 32768 32768 65535 1")
        let prior = try ChannelRunPrior(stored: stored, headPositions: 1, blockPixels: 1)
        let model = ModelCoding(id: testModelID, prior: prior)
        let tokens: [UInt32] = [1] + Array(repeating: 0, count: 65536)
        let file = VTokFile(width: 256, height: 256, tiles: .single, layout: TokenLayout(groups: 1, bitsPerGroup: 1),
                            modelID: testModelID, tokens: [tokens])
        let expected = hexBytes("56 54 03 21 ff f0 0f 01 00 01 00 02 6d 5d 80 00")
        XCTAssertEqual(try file.serialized(format: .version2(.arithmetic), model: model), expected)
        let reading = try VTokFile.read(expected, model: model)
        XCTAssertEqual(reading.file, file)
        XCTAssertEqual(reading.version, 3)
        XCTAssertEqual(reading.headerSize, 14)
        // Cut to 65,535 tokens or fewer, the same file is version 2, two bytes shorter in its header;
        // the sizes of every cut and the byte budget agree with the files written.
        let sizes = try file.fileSizes(format: .version2(.arithmetic), model: model)
        for k in [0, 1, 65535, 65536, 65537] {
            let cut = try file.truncated(toTokens: k).serialized(format: .version2(.arithmetic), model: model)
            XCTAssertEqual(cut[2], k > 65535 ? 3 : 2, "k = \(k)")
            XCTAssertEqual(cut.count, sizes[k], "k = \(k)")
            let budgeted = try XCTUnwrap(try file.serialized(format: .version2(.arithmetic), model: model, maxBytes: cut.count))
            XCTAssertEqual(budgeted.bytes, try file.truncated(toTokens: budgeted.tokens).serialized(format: .version2(.arithmetic), model: model))
            XCTAssertGreaterThanOrEqual(budgeted.tokens, k)
        }
        // A version 3 header declaring a count that version 2 holds is refused: one content, one byte string.
        var small = try file.truncated(toTokens: 5).serialized(format: .version2(.arithmetic), model: model)
        XCTAssertEqual(small[2], 2)
        small[2] = 3
        small.insert(contentsOf: [0, 0], at: 9)
        XCTAssertThrowsError(try VTokFile.read(small, model: model)) { error in
            guard case .invalidField(let name, 5, _) = error as? VTokError else { return XCTFail("\(error)") }
            XCTAssertEqual(name, "tokens per tile")
        }
    }

    /// What a cut file can promise: its header is checked (every single-bit change is refused, cut or
    /// not); its payload cannot be, and decodes to tokens that the bytes determine.
    func testACutFilesHeaderIsStillChecked() throws {
        var rng = SeededGenerator(seed: 6)
        let prior = Self.randomPrior(positions: 20, using: &rng)
        let model = ModelCoding(id: testModelID, prior: prior)
        for coding in [PayloadCoding.raw, .arithmetic] {
            let bytes = try file(tokens: Self.tokens(count: 20, tiles: 1, prior: prior, using: &rng))
                .serialized(format: .version2(coding), model: model)
            let cut = Array(bytes.prefix(bytes.count - 3))
            XCTAssertEqual(try VTokFile.read(cut, model: model).warnings.count, 1)
            for bit in 0..<10 * 8 {
                var flipped = cut
                flipped[bit / 8] ^= 0x80 >> UInt8(bit % 8)
                XCTAssertThrowsError(try VTokFile.read(flipped, model: model), "\(coding) bit \(bit)")
            }
        }
    }
}
