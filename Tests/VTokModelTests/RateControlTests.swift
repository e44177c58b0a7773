import VTokContainer
import XCTest
@testable import VTokModel

final class RateControlTests: XCTestCase {
    private let file = VTokFile(width: 10, height: 10, tiles: .single, layout: TokenLayout(groups: 1, bitsPerGroup: 12),
                                modelID: ModelID(weightsFile: [1, 2, 3]), tokens: [Array(repeating: 7, count: 100)])

    func testByteBudgetKeepsTheMostTokensThatFit() {
        // 12-bit tokens: k tokens take ceil(1.5·k) payload bytes after the 28-byte header.
        XCTAssertEqual(RateControl.tokens(fileSizes: try file.fileSizes(format: .version1), maxBytes: 28), 0)
        XCTAssertEqual(RateControl.tokens(fileSizes: try file.fileSizes(format: .version1), maxBytes: 58), 20)
        XCTAssertEqual(RateControl.tokens(fileSizes: try file.fileSizes(format: .version1), maxBytes: 59), 20)
        XCTAssertEqual(RateControl.tokens(fileSizes: try file.fileSizes(format: .version1), maxBytes: 10_000), 100)
        XCTAssertNil(RateControl.tokens(fileSizes: try file.fileSizes(format: .version1), maxBytes: 27))
    }

    /// With quality rising in k, bisection finds exactly the fewest tokens that reach the target,
    /// in about log2(K) decodes.
    func testTargetQualityFindsTheFewestTokens() {
        for threshold in [0, 1, 37, 99, 100] {
            var decodes = 0
            let choice = RateControl.tokens(for: file, reaching: Double(threshold)) { candidate in
                decodes += 1
                return Double(candidate.tokenCount)
            }
            XCTAssertEqual(choice.tokens, threshold)
            XCTAssertTrue(choice.reached)
            XCTAssertLessThanOrEqual(decodes, 9)
        }
        let unreachable = RateControl.tokens(for: file, reaching: 101) { Double($0.tokenCount) }
        XCTAssertEqual(unreachable.tokens, 100)
        XCTAssertFalse(unreachable.reached)
    }
}
