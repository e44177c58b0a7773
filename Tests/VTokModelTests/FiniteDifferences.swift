import VTokNN
import XCTest

/// Checks an analytic gradient d objective/dz against central differences with step 1e-3: in Float,
/// on objectives of order 1, these leave an error around 1e-4, so 2e-3 (relative above 1) leaves
/// room without hiding a wrong term.
func assertMatchesFiniteDifferences(_ analytic: [Float], at z: Tensor, of objective: (Tensor) -> Double,
                                    file: StaticString = #filePath, line: UInt = #line) {
    let h: Float = 1e-3
    for i in 0..<z.count {
        let saved = z[i]
        z[i] = saved + h
        let plus = objective(z)
        z[i] = saved - h
        let minus = objective(z)
        z[i] = saved
        let numeric = Float((plus - minus) / Double(2 * h))
        XCTAssertEqual(analytic[i], numeric, accuracy: 2e-3 * max(1, abs(numeric)), "element \(i)", file: file, line: line)
    }
}
