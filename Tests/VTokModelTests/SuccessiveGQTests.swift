import VTokNN
import XCTest
@testable import VTokModel

#if canImport(Glibc)
import Glibc
#endif

final class SuccessiveGQTests: XCTestCase {
    /// A group's bits are the signs of u's successive residuals (r₀ = u, r_j = r_{j−1} − 2^{−j}·bit_j),
    /// and the decoder reads Σ_j 2^{−j}·bit_j: the cell centre.
    func testBitsAreTheSignsOfSuccessiveResiduals() {
        let quantizer = SuccessiveGQ(groups: 1, bitsPerGroup: 3, temperature: 1)
        for u in stride(from: Float(-0.999), through: 0.999, by: 0.0123) {
            var residual = u, bits: [Bool] = [], value: Float = 0
            for j in 1...3 {
                let bit = residual >= 0
                let step = (bit ? 1 : -1) * powf(2, -Float(j))
                bits.append(bit)
                value += step
                residual -= step
            }
            let id = quantizer.tokenIDs(latents: [atanhf(u)], rows: 1)[0]
            XCTAssertEqual(id, bits.reduce(UInt32(0)) { $0 << 1 | ($1 ? 1 : 0) }, "u = \(u)")
            var decoded: Float = 0
            quantizer.decoderValues(of: [id], into: &decoded)
            XCTAssertEqual(decoded, value, accuracy: 1e-6, "u = \(u)")
            XCTAssertEqual(quantizer.forward(Tensor(shape: [1, 1], values: [atanhf(u)])).values, [value], "u = \(u)")
        }
    }

    /// Ids hold group 0 in the most significant bits, and decode to what forward gives.
    func testTokenIDsRoundTripThroughTheDecoderValues() {
        let quantizer = SuccessiveGQ(groups: 4, bitsPerGroup: 3, temperature: 1)
        var rng = SeededRandom(seed: 3)
        let z = Tensor(shape: [6, 4], values: (0..<24).map { _ in rng.normal() * 2 })
        let forward = quantizer.forward(z).values
        let ids = z.values.withUnsafeBufferPointer { quantizer.tokenIDs(latents: $0.baseAddress!, rows: 6) }
        XCTAssert(ids.allSatisfy { $0 < 1 << 12 })
        var decoded = [Float](repeating: 0, count: 24)
        quantizer.decoderValues(of: ids, into: &decoded)
        XCTAssertEqual(decoded, forward)
        XCTAssertEqual(quantizer.cell(tanhf(z[0])), Int(ids[0] >> 9))
        XCTAssertEqual(quantizer.cell(.nan), 0)
    }

    /// Finite differences of w_e·entropy + w_c·commitment against the analytic gradient (with a zero
    /// straight-through gradient). Values sit within a quarter cell of a cell centre, away from the
    /// boundaries where the rounding jumps.
    func testAuxiliaryLossGradients() {
        let quantizer = SuccessiveGQ(groups: 2, bitsPerGroup: 3, temperature: 0.7)
        var rng = SeededRandom(seed: 9)
        let values = (0..<5 * 2).map { _ -> Float in
            let cell = Int(rng.uniform() * 8) % 8
            return atanhf(quantizer.centre(cell) + (rng.uniform() - 0.5) * 0.12)
        }
        let z = Tensor(shape: [5, 2], values: values)
        let (we, wc): (Float, Float) = (0.8, 0.3)
        _ = quantizer.forward(z)
        XCTAssertGreaterThan(quantizer.entropyLoss, -quantizer.codeEntropy)  // rows are not one-hot
        let analytic = quantizer.backward(Tensor(shape: [5, 2]), entropyWeight: we, commitmentWeight: wc).values
        assertMatchesFiniteDifferences(analytic, at: z) { z in
            _ = quantizer.forward(z)
            return Double(we * quantizer.entropyLoss + wc * quantizer.commitmentLoss)
        }
        XCTAssert(analytic.contains { abs($0) > 1e-2 }, "gradient \(analytic) too small to test anything")
    }

    /// The straight-through gradient passes through tanh: dz = dû·(1 − u²).
    func testStraightThroughGradientPassesTheSquash() {
        let quantizer = SuccessiveGQ(groups: 1, bitsPerGroup: 2, temperature: 1)
        let z = Tensor(shape: [2, 1], values: [0.3, -1.2])
        _ = quantizer.forward(z)
        let dz = quantizer.backward(Tensor(shape: [2, 1], values: [1, 2]), entropyWeight: 0, commitmentWeight: 0).values
        XCTAssertEqual(dz[0], 1 - tanhf(0.3) * tanhf(0.3), accuracy: 1e-6)
        XCTAssertEqual(dz[1], 2 * (1 - tanhf(-1.2) * tanhf(-1.2)), accuracy: 1e-6)
    }
}
