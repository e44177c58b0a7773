import VTokTestSupport
import XCTest
@testable import VTokContainer

final class TruncationTests: XCTestCase {
    /// Files whose payload ends mid-byte for some prefixes and on a byte boundary for others.
    private func sampleFiles() -> [VTokFile] {
        var rng = SeededGenerator(seed: 11)
        return [
            randomFile(width: 640, height: 480, tiles: .single, layout: TokenLayout(groups: 1, bitsPerGroup: 12), tokens: 40, using: &rng),
            randomFile(width: 600, height: 300, tiles: .tiled(side: 256), layout: TokenLayout(groups: 3, bitsPerGroup: 5), tokens: 17, using: &rng),
            randomFile(width: 33, height: 20, tiles: .tiled(side: 16), layout: TokenLayout(groups: 1, bitsPerGroup: 7), tokens: 9, using: &rng),
            randomFile(width: 64, height: 64, tiles: .single, layout: TokenLayout(groups: 1, bitsPerGroup: 32), tokens: 5, using: &rng),
            randomFile(width: 64, height: 64, tiles: .single, layout: TokenLayout(groups: 1, bitsPerGroup: 8), tokens: 0, using: &rng),
        ]
    }

    func testTruncatingEqualsEncodingFewerTokensForEveryCount() throws {
        for file in sampleFiles() {
            let bytes = try file.serialized()
            for count in 0...file.tokenCount {
                let fresh = VTokFile(width: file.width, height: file.height, tiles: file.tiles, layout: file.layout,
                                     modelID: file.modelID, tokens: file.tokens.map { Array($0.prefix(count)) })
                let expected = try fresh.serialized()
                XCTAssertEqual(try file.truncated(toTokens: count).serialized(), expected)
                XCTAssertEqual(try VTokFile.read(bytes, model: nil).file.truncated(toTokens: count).serialized(format: .version1), expected)
            }
        }
    }

    func testTruncationOffsetsAreTheActualSizes() throws {
        for file in sampleFiles() {
            let offsets = file.truncationOffsets()
            XCTAssertEqual(offsets.count, file.tokenCount + 1)
            for (count, offset) in offsets.enumerated() {
                XCTAssertEqual(try file.truncated(toTokens: count).serialized().count, offset)
            }
            let header = try VTokHeader(parsing: try file.serialized())
            XCTAssertEqual(header.truncationOffsets(), offsets)
        }
    }

    func testTruncateToByteBudgetKeepsTheLongestPrefixThatFits() throws {
        for file in sampleFiles() {
            let bytes = try file.serialized()
            let offsets = file.truncationOffsets()
            for maxBytes in VTokHeader.size...(bytes.count + 3) {
                let expectedCount = offsets.lastIndex { $0 <= maxBytes }!
                let result = try XCTUnwrap(try file.serialized(format: .version1, maxBytes: maxBytes))
                XCTAssertLessThanOrEqual(result.bytes.count, maxBytes)
                XCTAssertEqual(result.tokens, expectedCount)
                XCTAssertEqual(result.bytes, try file.truncated(toTokens: expectedCount).serialized())
            }
            for maxBytes in [-1, 0, VTokHeader.size - 1] {
                XCTAssertNil(try file.serialized(format: .version1, maxBytes: maxBytes), "not even the header fits")
            }
        }
    }

    func testEveryBytePrefixDecodesToItsLongestCompleteTokenPrefix() throws {
        for file in sampleFiles() {
            let bytes = try file.serialized()
            let offsets = file.truncationOffsets()
            for length in 0...bytes.count {
                let prefix = Array(bytes.prefix(length))
                guard length >= VTokHeader.size else {
                    XCTAssertEqual(thrownError { () throws(VTokError) in try VTokFile.parse(prefix) }, .headerTruncated(byteCount: length))
                    continue
                }
                let (parsed, warnings) = try VTokFile.parse(prefix)
                let expectedCount = offsets.lastIndex { $0 <= length }!
                XCTAssertEqual(parsed, file.truncated(toTokens: expectedCount), "cut at \(length) of \(bytes.count)")
                if length == bytes.count {
                    XCTAssertEqual(warnings, [])
                } else {
                    XCTAssertEqual(warnings, [.truncated(declaredTokens: file.tokenCount, decodedTokens: expectedCount,
                                                         payloadBytes: length - VTokHeader.size,
                                                         declaredPayloadBytes: bytes.count - VTokHeader.size)])
                }
            }
        }
    }

    func testACutFileCanBeRepairedIntoAValidSmallerFile() throws {
        let file = sampleFiles()[0]
        let cut = Array(try file.serialized().dropLast(5))
        let decodable = try VTokFile.parse(cut).file.tokenCount
        XCTAssertEqual(try VTokFile.read(cut, model: nil).file.serialized(format: .version1),
                       try file.truncated(toTokens: decodable).serialized())
    }

    func testTruncationWarningSaysWhatWasDecoded() throws {
        let cut = Array(FormatTests.singleTileExample.dropLast(2))
        let (file, warnings) = try VTokFile.parse(cut)
        XCTAssertEqual(file.tokens, [[0xabc, 0x123]])
        XCTAssertEqual(warnings.map(\.description),
                       ["file truncated (payload 3 of 5 bytes): decoded the first 2 of 3 tokens per tile; payload checksum not verified"])
    }
}
