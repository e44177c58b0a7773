import XCTest
import VTokImage
@testable import VTokEval

final class QualityMetricsTests: XCTestCase {
    func testIdenticalImagesScorePerfectly() {
        let image = SyntheticImages.textured(width: 40, height: 30, seed: 5)
        let scores = QualityScores(reference: image, distorted: image)
        XCTAssertEqual(scores.psnr, PSNR.cap, "identical images report the capped PSNR")
        XCTAssertEqual(scores.ssim, 1, accuracy: 1e-12)
        XCTAssertEqual(scores.msSSIM, 1, accuracy: 1e-12)
    }

    func testKnownErrorGivesKnownPSNR() {
        // Every value moved by exactly 5 (up or down): MSE 25, PSNR 10 log10(255² / 25) = 34.1514 dB.
        let image = SyntheticImages.textured(width: 20, height: 20, seed: 9)
        let shifted = RGBImage(width: 20, height: 20,
                               pixels: image.pixels.enumerated().map { index, value in index % 2 == 0 ? value + 5 : value - 5 })
        XCTAssertEqual(PSNR.rgb(image, shifted), 34.151_403_521_958_4, accuracy: 1e-9)
        XCTAssertEqual(PSNR.fromMSE(255 * 255), 0, accuracy: 1e-12)
    }

    /// Reference values from scikit-image 0.26 (`structural_similarity(gaussian_weights=True, sigma=1.5,
    /// use_sample_covariance=False, data_range=255, channel_axis=-1)`, `peak_signal_noise_ratio`) and, for
    /// MS-SSIM, an independent numpy implementation of the same definition (scipy `gaussian_filter` with
    /// truncate 3.5, reflect and crop; 2x2 pooling by slicing) on the same synthetic images. Agreement to 1e-9.
    func testAgreesWithScikitImageAndNumpyReference() {
        let cases: [(width: Int, height: Int, seed: UInt32, amplitude: Int,
                     psnr: Double, ssim: Double, msSSIM: Double, scales: Int)] = [
            (64, 48, 1, 20, 26.720772188169725, 0.9408874638747844, 0.9885688493209219, 3),
            (192, 176, 7, 40, 20.781583243829083, 0.8009863107320477, 0.9714089284785126, 5),
            (37, 29, 3, 10, 32.48455839484724, 0.9840392871469671, 0.9946298673770192, 2),
        ]
        for testCase in cases {
            let reference = SyntheticImages.textured(width: testCase.width, height: testCase.height, seed: testCase.seed)
            let distorted = SyntheticImages.noisy(reference, seed: testCase.seed + 1, amplitude: testCase.amplitude)
            let scores = QualityScores(reference: reference, distorted: distorted)
            let label = "\(testCase.width)x\(testCase.height)"
            XCTAssertEqual(scores.psnr, testCase.psnr, accuracy: 1e-9, label)
            XCTAssertEqual(scores.ssim, testCase.ssim, accuracy: 1e-9, label)
            XCTAssertEqual(scores.msSSIM, testCase.msSSIM, accuracy: 1e-9, label)
            XCTAssertEqual(SSIM.msSSIMScaleCount(width: testCase.width, height: testCase.height), testCase.scales, label)
        }
    }

    func testMSSSIMScaleCountFollowsTheShorterSide() {
        XCTAssertEqual(SSIM.msSSIMScaleCount(width: 256, height: 256), 5)
        XCTAssertEqual(SSIM.msSSIMScaleCount(width: 176, height: 400), 5)
        XCTAssertEqual(SSIM.msSSIMScaleCount(width: 175, height: 400), 4)
        XCTAssertEqual(SSIM.msSSIMScaleCount(width: 11, height: 11), 1)
        XCTAssertEqual(SSIM.msSSIMScaleCount(width: 10, height: 300), 0)
    }

    func testMoreNoiseScoresLower() {
        let reference = SyntheticImages.textured(width: 48, height: 48, seed: 2)
        let mild = QualityScores(reference: reference, distorted: SyntheticImages.noisy(reference, seed: 3, amplitude: 5))
        let strong = QualityScores(reference: reference, distorted: SyntheticImages.noisy(reference, seed: 3, amplitude: 30))
        XCTAssertGreaterThan(mild.psnr, strong.psnr)
        XCTAssertGreaterThan(mild.ssim, strong.ssim)
        XCTAssertGreaterThan(mild.msSSIM, strong.msSSIM)
    }
}
