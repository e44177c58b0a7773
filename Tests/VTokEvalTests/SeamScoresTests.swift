import VTokImage
import XCTest
@testable import VTokEval

final class SeamScoresTests: XCTestCase {
    private func gray(_ width: Int, _ height: Int, _ value: (Int, Int) -> UInt8) -> RGBImage {
        var pixels: [UInt8] = []
        for y in 0..<height { for x in 0..<width { pixels += [UInt8](repeating: value(x, y), count: 3) } }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    func testAnErrorOnlyAlongTheBorderShowsInTheBand() throws {
        let reference = gray(40, 20) { _, _ in 100 }
        // Two tiles of 20 side by side: the border is between x = 19 and 20; the band is x in 16..<24.
        let seam = gray(40, 20) { x, _ in (16..<24).contains(x) ? 110 : 100 }
        let scores = try XCTUnwrap(SeamScores(reference: reference, distorted: seam, tileSide: 20))
        XCTAssertEqual(scores.bandPixels, 8 * 20)
        XCTAssertEqual(scores.interiorPixels, 32 * 20)
        XCTAssertEqual(scores.band, PSNR.fromMSE(100), accuracy: 1e-9)
        XCTAssertEqual(scores.interior, PSNR.cap)
        // The image's own edges are not seams: an error there counts as interior.
        let edges = gray(40, 20) { x, y in x < 4 || y >= 16 ? 110 : 100 }
        let edgeScores = try XCTUnwrap(SeamScores(reference: reference, distorted: edges, tileSide: 20))
        XCTAssertLessThan(edgeScores.interior, 40)
        XCTAssertLessThan(edgeScores.band, 40, "the band crosses the bottom rows too")
    }

    func testHorizontalBordersCountAndOneTileHasNoSeams() throws {
        let reference = gray(20, 40) { x, y in UInt8((x * 7 + y * 3) % 256) }
        let scores = try XCTUnwrap(SeamScores(reference: reference, distorted: reference, tileSide: 20))
        XCTAssertEqual(scores.bandPixels, 8 * 20)
        XCTAssertEqual(scores.band, PSNR.cap)
        XCTAssertNil(SeamScores(reference: reference, distorted: reference, tileSide: 40))
    }
}
