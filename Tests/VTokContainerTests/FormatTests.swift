import VTokTestSupport
import XCTest
@testable import VTokContainer

final class FormatTests: XCTestCase {
    // The worked examples of spec/vtok.md §7, byte for byte.
    static let singleTileExample = hexBytes("""
        56 54 4b 01 40 00 30 00 00 00 03 00 02 06 00 00 ba 78 16 bf 2e 27 b6 1b ed 5f 4e 3f \
        ab c1 23 ff f0
        """)
    static let tiledExample = hexBytes("""
        56 54 4b 01 2c 01 c8 00 00 01 02 00 03 03 00 00 ba 78 16 bf 23 bd a9 77 23 d2 7a 21 \
        d2 bc 00 7f f0
        """)
    static let singleTileFile = VTokFile(width: 64, height: 48, tiles: .single, layout: TokenLayout(groups: 2, bitsPerGroup: 6),
                                         modelID: testModelID, tokens: [[0xabc, 0x123, 0xfff]])
    static let tiledFile = VTokFile(width: 300, height: 200, tiles: .tiled(side: 256), layout: TokenLayout(groups: 3, bitsPerGroup: 3),
                                    modelID: testModelID, tokens: [[0x1a5, 0x003], [0x0f0, 0x1ff]])

    func testKnownVectorsAreWrittenBitExact() throws {
        XCTAssertEqual(try Self.singleTileFile.serialized(), Self.singleTileExample)
        XCTAssertEqual(try Self.tiledFile.serialized(), Self.tiledExample)
    }

    func testKnownVectorsParse() throws {
        for (bytes, file) in [(Self.singleTileExample, Self.singleTileFile), (Self.tiledExample, Self.tiledFile)] {
            let (parsed, warnings) = try VTokFile.parse(bytes)
            XCTAssertEqual(parsed, file)
            XCTAssertEqual(warnings, [])
        }
    }

    func testSpecTruncationExample() throws {
        XCTAssertEqual(try VTokFile.read(Self.tiledExample, model: nil).file.truncated(toTokens: 1).serialized(format: .version1),
                       hexBytes("56 54 4b 01 2c 01 c8 00 00 01 01 00 03 03 00 00 ba 78 16 bf f8 d9 3c 39 54 b8 c2 7e d2 bc 00"))
        let (cut, warnings) = try VTokFile.parse(Array(Self.tiledExample.prefix(32)))
        XCTAssertEqual(cut.tokens, [[0x1a5], [0x0f0]])
        XCTAssertEqual(warnings.count, 1)
    }

    func testHeaderParsesWithoutThePayload() throws {
        let header = try VTokHeader(parsing: Array(Self.tiledExample.prefix(VTokHeader.size)))
        XCTAssertEqual(header, Self.tiledFile.header)
        XCTAssertEqual(header.tileCount, 2)
        XCTAssertEqual(header.tokensPerTile, 2)
        XCTAssertEqual(header.truncationOffsets(), [28, 31, 33])
    }

    func testRoundTripsOverManyShapes() throws {
        var rng = SeededGenerator(seed: 7)
        let layouts = [(1, 8), (2, 6), (4, 4), (3, 5), (1, 32), (1, 1), (5, 3)].map { TokenLayout(groups: $0.0, bitsPerGroup: $0.1) }
        let shapes: [(width: Int, height: Int, tiles: TileLayout)] = [
            (1, 1, .single), (640, 480, .single), (65535, 65535, .single),
            (512, 512, .tiled(side: 256)), (513, 257, .tiled(side: 256)), (100, 30, .tiled(side: 16)),
            (7, 9, .tiled(side: 1)), (10, 10, .tiled(side: 65535)),
        ]
        for layout in layouts {
            for shape in shapes {
                for count in [0, 1, 2, 3, 7, 32, 100, 300] {
                    let file = randomFile(width: shape.width, height: shape.height, tiles: shape.tiles,
                                          layout: layout, tokens: count, using: &rng)
                    let bytes = try file.serialized()
                    XCTAssertEqual(bytes.count, file.header.fileSize(forTokens: count))
                    let (parsed, warnings) = try VTokFile.parse(bytes)
                    XCTAssertEqual(parsed, file, "\(layout) \(shape) \(count) tokens")
                    XCTAssertEqual(warnings, [])
                }
            }
        }
    }

    func testCompactness() throws {
        var rng = SeededGenerator(seed: 3)
        for layout in [TokenLayout(groups: 1, bitsPerGroup: 12), TokenLayout(groups: 3, bitsPerGroup: 5), TokenLayout(groups: 1, bitsPerGroup: 32)] {
            for count in 0...300 {
                let file = randomFile(width: 256, height: 256, tiles: .single, layout: layout, tokens: count, using: &rng)
                let payloadSize = (count * layout.bitsPerToken + 7) / 8
                let size = try file.serialized().count
                XCTAssertEqual(size, payloadSize + VTokHeader.size)
                XCTAssertLessThanOrEqual(size, payloadSize + 32)
            }
        }
        let file = randomFile(width: 256, height: 256, tiles: .single, layout: TokenLayout(groups: 1, bitsPerGroup: 12), tokens: 32, using: &rng)
        XCTAssertEqual(try file.serialized().count, 48 + 28)
    }

    func testZeroTokensIsAHeaderOnlyFile() throws {
        let file = Self.tiledFile.truncated(toTokens: 0)
        let bytes = try file.serialized()
        XCTAssertEqual(bytes, hexBytes("56 54 4b 01 2c 01 c8 00 00 01 00 00 03 03 00 00 ba 78 16 bf 00 00 00 00 22 98 b1 0e"))
        let (parsed, warnings) = try VTokFile.parse(bytes)
        XCTAssertEqual(parsed.tokens, [[], []])
        XCTAssertEqual(parsed.tokenCount, 0)
        XCTAssertEqual(warnings, [])
    }

    func testWritingRefusesWhatTheFormatCannotHold() {
        let base = Self.tiledFile
        func error(_ change: (inout VTokFile) -> Void) -> VTokError? {
            var file = base
            change(&file)
            return thrownError { () throws(VTokError) in try file.serialized() }
        }
        XCTAssertEqual(error { $0.width = 0 }, .invalidField(name: "width", value: 0, allowed: "1...65535"))
        XCTAssertEqual(error { $0.height = 65536 }, .invalidField(name: "height", value: 65536, allowed: "1...65535"))
        XCTAssertEqual(error { $0.tiles = .tiled(side: 0) }, .invalidField(name: "tile side", value: 0, allowed: "1...65535"))
        XCTAssertEqual(error { $0.width = 65535; $0.height = 65535; $0.tiles = .tiled(side: 255) },
                       .invalidField(name: "tile count", value: 257 * 257, allowed: "1...65536"))
        XCTAssertEqual(error { $0.layout = TokenLayout(groups: 3, bitsPerGroup: 11) },
                       .invalidField(name: "bits per token", value: 33, allowed: "1...32"))
        XCTAssertEqual(error { $0.layout = TokenLayout(groups: 0, bitsPerGroup: 8) },
                       .invalidField(name: "groups", value: 0, allowed: "1...32"))
        XCTAssertEqual(error { $0.tokens = [[1, 2]] }, .invalidTokens("1 tiles of tokens for a grid of 2 tiles"))
        XCTAssertEqual(error { $0.tokens[1] = [1] }, .invalidTokens("the tiles hold different numbers of tokens"))
        XCTAssertEqual(error { $0.tokens[1][1] = 512 }, .invalidTokens("token id 512 does not fit in 9 bits"))
        XCTAssertEqual(error { $0.tokens = [[UInt32]](repeating: [UInt32](repeating: 0, count: 65536), count: 2) },
                       .invalidField(name: "tokens per tile", value: 65536, allowed: "0...65535"))
        XCTAssertNil(error { $0.tokens = [[UInt32]](repeating: [UInt32](repeating: 0, count: 65535), count: 2) })
    }

    /// Spec §13: round-major, tiles row-major within a round; the last tile ends the round.
    func testTokenOrderIsRoundMajor() {
        let places = TokenOrder(rounds: 2, tiles: 3).map { [$0.round, $0.tile, $0.endsRound ? 1 : 0] }
        XCTAssertEqual(places, [[0, 0, 0], [0, 1, 0], [0, 2, 1], [1, 0, 0], [1, 1, 0], [1, 2, 1]])
        XCTAssertEqual(Array(TokenOrder(rounds: 0, tiles: 3)).count, 0)
        XCTAssertEqual(Array(TokenOrder(rounds: 4, tiles: 0)).count, 0)
    }
}
