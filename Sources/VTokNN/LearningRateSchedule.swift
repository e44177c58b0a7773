/// Linear warm-up from near zero to `peak` over `warmupSteps`, then a half cosine from `peak` down
/// to `floor` at `totalSteps`, and `floor` after that. Steps count from 0.
public struct LearningRateSchedule: Codable, Equatable, Sendable {
    public var peak: Float
    public var floor: Float
    public var warmupSteps: Int
    public var totalSteps: Int

    public init(peak: Float, floor: Float, warmupSteps: Int, totalSteps: Int) {
        self.peak = peak
        self.floor = floor
        self.warmupSteps = warmupSteps
        self.totalSteps = totalSteps
    }

    public func learningRate(at step: Int) -> Float {
        // (step + 1) rather than step: the first update already moves, and the last warm-up step is the peak.
        if step < warmupSteps { return peak * (Float(step + 1) / Float(warmupSteps)) }
        let decaySteps = totalSteps - warmupSteps
        guard step < totalSteps, decaySteps > 0 else { return floor }
        let progress = Double(step - warmupSteps) / Double(decaySteps)
        let cosine = 0.5 * (1 + cos(Double.pi * progress))
        return Float(Double(floor) + (Double(peak) - Double(floor)) * cosine)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
