import XCTest
@testable import VTokNN

/// Finite-difference gradient checks.
///
/// The scalar under test is L = Σ_i y_i·r_i for a fixed random r, accumulated in Double, so every
/// output element and every path through the layer contributes. Each input and parameter element
/// is moved by ±h and the central difference (L(+h) − L(−h)) / 2h is compared with what backward
/// accumulated.
///
/// Error budget for float32 forward passes: central differences have a truncation error
/// O(h²·|f'''|) ≈ 1e-4 for h = 1e-2 on unit-scale inputs, and a rounding error ≈ ε₃₂·|terms of L|/h
/// ≈ 6e-8·10/1e-2 ≈ 6e-5 for the tiny shapes here. Either is well under 1% of the gradient's
/// scale, while a wrong formula (a missing term, a transposed product, a dropped mask) moves some
/// component by its own size. So the test compares the worst absolute difference with the largest
/// gradient magnitude of that tensor: maxᵢ|analytic − numeric| ≤ tolerance · maxᵢ|numeric|, with
/// tolerance 1e-2 by default. Normalising by the tensor's scale rather than per element keeps
/// near-zero components (where relative error is meaningless) from failing a correct layer.
/// Measured when this was written: correct layers stay below 3.4e-4 (the transformer block 1.7e-4,
/// single layers ≤ 6e-5), while dropping layer norm's mean term shows up as 5 to 30.
struct GradientCheck {
    var step: Float = 1e-2
    var tolerance: Double = 1e-2

    /// Random N(0, 1) tensor.
    static func random(_ shape: [Int], _ rng: inout SeededRandom, scale: Float = 1) -> Tensor {
        Tensor(shape: shape, values: (0..<shape.reduce(1, *)).map { _ in rng.normal() * scale })
    }

    /// Checks input and parameter gradients of `layer` at `input`.
    func check(_ layer: Layer, input: Tensor, seed: UInt64 = 7, checksInput: Bool = true,
               file: StaticString = #filePath, line: UInt = #line) {
        var rng = SeededRandom(seed: seed)
        let probe = Tensor(shape: layer.forward(input).shape)
        for i in 0..<probe.count { probe[i] = rng.normal() }
        func loss() -> Double {
            let y = layer.forward(input)
            var total = 0.0
            for i in 0..<y.count { total += Double(y[i]) * Double(probe[i]) }
            return total
        }

        _ = layer.forward(input)
        layer.parameters.forEach { $0.zeroGrad() }
        let analyticInput = layer.backward(probe).values
        let analyticParameters = layer.parameters.map(\.grad)

        if checksInput {
            let numeric = (0..<input.count).map { i -> Double in
                let saved = input[i]
                input[i] = saved + step
                let plus = loss()
                input[i] = saved - step
                let minus = loss()
                input[i] = saved
                return (plus - minus) / Double(2 * step)
            }
            compare(analyticInput, numeric, what: "input", file: file, line: line)
        }
        for (parameter, analytic) in zip(layer.parameters, analyticParameters) {
            let numeric = (0..<parameter.count).map { i -> Double in
                let saved = parameter.value[i]
                parameter.value[i] = saved + step
                let plus = loss()
                parameter.value[i] = saved - step
                let minus = loss()
                parameter.value[i] = saved
                return (plus - minus) / Double(2 * step)
            }
            compare(analytic, numeric, what: parameter.name, file: file, line: line)
        }
    }

    func compare(_ analytic: [Float], _ numeric: [Double], what: String, file: StaticString, line: UInt) {
        XCTAssertEqual(analytic.count, numeric.count, file: file, line: line)
        let scale = numeric.map(abs).max() ?? 0
        let worst = zip(analytic, numeric).map { abs(Double($0) - $1) }.max() ?? 0
        XCTAssertGreaterThan(scale, 1e-6, "\(what): gradient is zero, the check proves nothing", file: file, line: line)
        XCTAssertLessThanOrEqual(worst, tolerance * scale,
                                 "\(what): worst |analytic − numeric| \(worst) vs gradient scale \(scale)", file: file, line: line)
    }
}
