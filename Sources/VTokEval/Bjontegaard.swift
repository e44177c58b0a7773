import Foundation

/// One rate-quality curve: bytes (or any rate) against a quality in dB or any other scale.
public struct RateQualityCurve: Sendable, Equatable {
    public var rates: [Double]
    public var qualities: [Double]

    public init(rates: [Double], qualities: [Double]) {
        precondition(rates.count == qualities.count, "RateQualityCurve: \(rates.count) rates, \(qualities.count) qualities")
        self.rates = rates
        self.qualities = qualities
    }
}

/// Bjøntegaard deltas between a test curve and an anchor, in the piecewise-cubic form (VCEG-AI11, the form
/// JVET's common test conditions use): each curve is interpolated with a monotone piecewise cubic Hermite
/// (PCHIP, Fritsch-Carlson slopes) through its points, in log-rate, and the difference of the two
/// interpolants is averaged over the interval both curves cover. Unlike the original single cubic
/// polynomial fit (VCEG-M33) this follows dense quality sweeps exactly instead of smoothing them.
public enum Bjontegaard {
    /// Mean quality difference (test minus anchor) at equal rate, over the overlapping log-rate range.
    /// Nil when the curves do not overlap or have fewer than two distinct points.
    public static func deltaQuality(anchor: RateQualityCurve, test: RateQualityCurve) -> Double? {
        guard let anchorQuality = PiecewiseCubic(x: anchor.rates.map(log), y: anchor.qualities),
              let testQuality = PiecewiseCubic(x: test.rates.map(log), y: test.qualities) else { return nil }
        return meanDifference(testQuality, anchorQuality)
    }

    /// Mean relative rate difference (test over anchor, minus 1) at equal quality, over the overlapping
    /// quality range: -0.5 means the test needs half the bytes. Nil as for `deltaQuality`.
    public static func deltaRate(anchor: RateQualityCurve, test: RateQualityCurve) -> Double? {
        guard let anchorLogRate = PiecewiseCubic(x: anchor.qualities, y: anchor.rates.map(log)),
              let testLogRate = PiecewiseCubic(x: test.qualities, y: test.rates.map(log)) else { return nil }
        return meanDifference(testLogRate, anchorLogRate).map { exp($0) - 1 }
    }

    private static func meanDifference(_ test: PiecewiseCubic, _ anchor: PiecewiseCubic) -> Double? {
        let low = max(test.x.first!, anchor.x.first!)
        let high = min(test.x.last!, anchor.x.last!)
        guard high > low else { return nil }
        return (test.integral(from: low, to: high) - anchor.integral(from: low, to: high)) / (high - low)
    }
}

/// A monotone piecewise cubic Hermite interpolant (Fritsch-Carlson), the PCHIP of MATLAB and SciPy.
struct PiecewiseCubic {
    /// Strictly increasing knots.
    let x: [Double]
    let y: [Double]
    let slopes: [Double]

    /// Sorts the points by x and averages points that share an x. Nil with fewer than two distinct x.
    init?(x unsortedX: [Double], y unsortedY: [Double]) {
        var x: [Double] = []
        var y: [Double] = []
        var sharedCount: [Double] = []
        for (pointX, pointY) in zip(unsortedX, unsortedY).sorted(by: { $0.0 < $1.0 }) {
            if let lastX = x.last, lastX == pointX {
                sharedCount[sharedCount.count - 1] += 1
                y[y.count - 1] += (pointY - y[y.count - 1]) / sharedCount[sharedCount.count - 1]
            } else {
                x.append(pointX)
                y.append(pointY)
                sharedCount.append(1)
            }
        }
        guard x.count >= 2 else { return nil }
        self.x = x
        self.y = y
        self.slopes = Self.fritschCarlsonSlopes(x: x, y: y)
    }

    private static func fritschCarlsonSlopes(x: [Double], y: [Double]) -> [Double] {
        let count = x.count
        let widths = (0..<count - 1).map { x[$0 + 1] - x[$0] }
        let secants = (0..<count - 1).map { (y[$0 + 1] - y[$0]) / widths[$0] }
        if count == 2 { return [secants[0], secants[0]] }

        var slopes = [Double](repeating: 0, count: count)
        for knot in 1..<count - 1 {
            let before = secants[knot - 1]
            let after = secants[knot]
            // A local extremum (or flat side) gets a zero slope so the interpolant never overshoots.
            guard before * after > 0 else { continue }
            let weightBefore = 2 * widths[knot] + widths[knot - 1]
            let weightAfter = widths[knot] + 2 * widths[knot - 1]
            slopes[knot] = (weightBefore + weightAfter) / (weightBefore / before + weightAfter / after)
        }
        slopes[0] = endSlope(nearWidth: widths[0], farWidth: widths[1], nearSecant: secants[0], farSecant: secants[1])
        slopes[count - 1] = endSlope(nearWidth: widths[count - 2], farWidth: widths[count - 3],
                                     nearSecant: secants[count - 2], farSecant: secants[count - 3])
        return slopes
    }

    /// SciPy's one-sided three-point end condition, kept shape-preserving.
    private static func endSlope(nearWidth: Double, farWidth: Double, nearSecant: Double, farSecant: Double) -> Double {
        let slope = ((2 * nearWidth + farWidth) * nearSecant - nearWidth * farSecant) / (nearWidth + farWidth)
        if slope.sign != nearSecant.sign { return 0 }
        if nearSecant.sign != farSecant.sign && abs(slope) > abs(3 * nearSecant) { return 3 * nearSecant }
        return slope
    }

    /// The exact integral of the interpolant over [low, high], both within the knots.
    func integral(from low: Double, to high: Double) -> Double {
        var total = 0.0
        for segment in 0..<x.count - 1 {
            let start = max(low, x[segment])
            let end = min(high, x[segment + 1])
            if end > start { total += segmentIntegral(segment, from: start, to: end) }
        }
        return total
    }

    /// Integrates the Hermite cubic of one segment in its local coordinate t = (x - x0) / h over [t0, t1],
    /// using the antiderivatives of the four Hermite basis functions.
    private func segmentIntegral(_ segment: Int, from start: Double, to end: Double) -> Double {
        let width = x[segment + 1] - x[segment]
        func antiderivative(_ t: Double) -> Double {
            let t2 = t * t, t3 = t2 * t, t4 = t3 * t
            let h00 = t4 / 2 - t3 + t
            let h10 = t4 / 4 - 2 * t3 / 3 + t2 / 2
            let h01 = -t4 / 2 + t3
            let h11 = t4 / 4 - t3 / 3
            return width * (h00 * y[segment] + h10 * width * slopes[segment]
                            + h01 * y[segment + 1] + h11 * width * slopes[segment + 1])
        }
        return antiderivative((end - x[segment]) / width) - antiderivative((start - x[segment]) / width)
    }
}
