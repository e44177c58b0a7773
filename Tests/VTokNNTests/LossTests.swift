import XCTest
@testable import VTokNN

final class LossTests: XCTestCase {
    /// The loss returns a Float, so the central difference carries float32 rounding of a loss near 1:
    /// ε₃₂·1/h ≈ 6e-8/1e-3 = 6e-5 against gradients ≈ 0.1 with these 2×6 elements, still under the
    /// 1e-2 tolerance. h = 1e-3 keeps L1's kink (|d| < h has probability ≈ 1e-3 per element) away.
    func testGradientsWithSampleWeights() {
        var rng = SeededRandom(seed: 9)
        for kind in [ReconstructionLoss.Kind.meanSquaredError, .meanAbsoluteError, .charbonnier(epsilon: 0.1)] {
            let loss = ReconstructionLoss(kind)
            let prediction = GradientCheck.random([2, 2, 3], &rng), target = GradientCheck.random([2, 2, 3], &rng)
            let weights: [Float] = [0.5, 2]
            _ = loss.forward(prediction, target, sampleWeights: weights)
            let analytic = loss.backward().values
            let step: Float = 1e-3
            let numeric = (0..<prediction.count).map { i -> Double in
                let saved = prediction[i]
                prediction[i] = saved + step
                let plus = Double(loss.forward(prediction, target, sampleWeights: weights))
                prediction[i] = saved - step
                let minus = Double(loss.forward(prediction, target, sampleWeights: weights))
                prediction[i] = saved
                return (plus - minus) / Double(2 * step)
            }
            GradientCheck().compare(analytic, numeric, what: "\(kind)", file: #filePath, line: #line)
        }
    }

    func testPerSampleReduction() {
        let loss = ReconstructionLoss(.meanSquaredError)
        let prediction = Tensor(shape: [2, 2], values: [1, 2, 3, 4]), target = Tensor(shape: [2, 2], values: [0, 0, 3, 2])
        XCTAssertEqual(loss.forward(prediction, target), (2.5 + 2) / 2)
        XCTAssertEqual(loss.perSample, [2.5, 2])
        XCTAssertEqual(loss.forward(prediction, target, sampleWeights: [0, 1]), 1)
        let l1 = ReconstructionLoss(.meanAbsoluteError)
        XCTAssertEqual(l1.forward(prediction, target), (1.5 + 1) / 2)
        let charbonnier = ReconstructionLoss(.charbonnier(epsilon: 1e-3))
        XCTAssertEqual(charbonnier.forward(prediction, target), 1.25, accuracy: 1e-3)
    }
}
