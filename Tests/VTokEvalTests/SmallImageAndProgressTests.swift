import Foundation
@testable import VTokEval
import VTokImage
import XCTest

/// Issue 12, items 3 and 9: SSIM on images under 11 px a side, and the progress bar off a terminal.
final class SmallImageAndProgressTests: XCTestCase {
    private func image(width: Int, height: Int, seed: Int) -> RGBImage {
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for index in pixels.indices { pixels[index] = UInt8(truncatingIfNeeded: (index * 37 + seed * 101) ^ (index >> 2)) }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    func testIdenticalTinyImagesScoreOne() {
        for (width, height) in [(1, 1), (1, 5), (2, 2), (5, 9), (10, 10), (11, 11), (30, 12)] {
            let a = image(width: width, height: height, seed: width)
            let scores = QualityScores(reference: a, distorted: a)
            XCTAssertEqual(scores.ssim, 1, accuracy: 1e-12, "\(width)x\(height)")
            XCTAssertEqual(scores.msSSIM, 1, accuracy: 1e-12, "\(width)x\(height)")
            XCTAssertEqual(scores.psnr, PSNR.cap)
        }
    }

    func testTinyImagesUseAClippedWindowAndOneScale() {
        XCTAssertEqual(SSIM.windowSize(width: 1, height: 1), 1)
        XCTAssertEqual(SSIM.windowSize(width: 8, height: 100), 7)
        XCTAssertEqual(SSIM.windowSize(width: 9, height: 100), 9)
        XCTAssertEqual(SSIM.windowSize(width: 300, height: 200), 11)
        let a = image(width: 9, height: 7, seed: 1), b = image(width: 9, height: 7, seed: 2)
        let scores = QualityScores(reference: a, distorted: b)
        XCTAssert(scores.ssim > -1 && scores.ssim < 1, "\(scores.ssim)")
        XCTAssertEqual(scores.msSSIM, scores.ssim, "under 11 px MS-SSIM is the single-scale SSIM")
        // One-tap window on a 1x1 image: luminance term only (the variances are 0).
        let black = RGBImage(width: 1, height: 1, pixels: [0, 0, 0]), gray = RGBImage(width: 1, height: 1, pixels: [100, 100, 100])
        let c1 = (0.01 * 255) * (0.01 * 255)
        XCTAssertEqual(QualityScores(reference: black, distorted: gray).ssim, c1 / (100 * 100 + c1), accuracy: 1e-12)
    }

    func testOffATerminalTheBarWritesPlainLines() {
        var written = ""
        let bar = ProgressBar(total: 100, isTerminal: false) { written += $0 }
        for _ in 0..<100 { bar.advance() }
        bar.finish()
        XCTAssertFalse(written.contains("\r"), written)
        let lines = written.split(separator: "\n")
        XCTAssert(lines.count >= 2 && lines.count <= 12, "\(lines.count) lines: \(written)")
        XCTAssert(lines.last!.contains("100/100"), written)
        XCTAssert(written.hasSuffix("\n"))
    }

    func testOnATerminalTheBarRedraws() {
        var written = ""
        let bar = ProgressBar(total: 3, isTerminal: true) { written += $0 }
        for _ in 0..<3 { bar.advance() }
        bar.finish()
        XCTAssertEqual(written.filter { $0 == "\r" }.count, 4)
        XCTAssert(written.hasSuffix("\n"))
    }
}
