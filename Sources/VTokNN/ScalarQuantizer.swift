#if canImport(FoundationEssentials)
import FoundationEssentials
import Glibc
#else
import Foundation
#endif

/// Rounds latents to L integer levels, −L/2 … L/2 − 1, for a codec whose latent values are the
/// tokens: each rounded value is one symbol of an L-letter alphabet that the range coder codes
/// with `CategoricalPrior.frequencies`. The clamp bounds the alphabet, so a finite frequency table
/// covers every value the encoder can emit. L is even so that the levels sit symmetric around
/// −½ and 0 is one of them (a quiet latent costs the most probable symbol).
///
/// Backward is the straight-through estimator: rounding has zero gradient almost everywhere, so
/// the encoder would learn nothing through it; passing the gradient unchanged trains it as if the
/// decoder saw the continuous latents. Past the clamp (more than ½ outside the end levels) only
/// the part of the gradient that moves a value back toward the levels passes: the decoder sees
/// the end level however far out the value is, so a gradient asking for "more" would push it out
/// without bound, and the growing latents made training diverge (docs/EXPERIMENTS.md, "Run c1: the scalar quantizer's gradient past the end levels").
public final class ScalarQuantizer: Layer {
    public let levels: Int
    private var input: Tensor?
    private var output: Tensor?
    private var inputGradient: Tensor?

    public init(levels: Int) {
        precondition(levels >= 2 && levels % 2 == 0, "ScalarQuantizer: levels \(levels) must be even and at least 2")
        self.levels = levels
    }

    public var parameters: [Parameter] { [] }

    /// The nearest level, ties to even (as torch.round), clamped to −L/2 … L/2 − 1.
    public static func quantize(_ value: Float, levels: Int) -> Float {
        let half = Float(levels / 2)
        return min(max(value.rounded(.toNearestOrEven), -half), half - 1)
    }

    /// The symbol 0..<L of a value: its quantized level + L/2.
    public static func symbol(of value: Float, levels: Int) -> Int { Int(quantize(value, levels: levels)) + levels / 2 }

    /// The level of a symbol: symbol − L/2.
    public static func value(of symbol: Int, levels: Int) -> Float { Float(symbol - levels / 2) }

    public func symbol(of value: Float) -> Int { Self.symbol(of: value, levels: levels) }
    public func value(of symbol: Int) -> Float { Self.value(of: symbol, levels: levels) }

    public func forward(_ x: Tensor) -> Tensor {
        input = x
        let y = Tensor.reuse(&output, shape: x.shape)
        for i in 0..<x.count { y[i] = Self.quantize(x[i], levels: levels) }
        return y
    }

    /// The straight-through estimator, bounded: a value past an end level keeps only the gradient
    /// that a descent step turns back toward the levels.
    public func backward(_ dOut: Tensor) -> Tensor {
        guard let x = input else { preconditionFailure("ScalarQuantizer.backward before forward") }
        let dx = Tensor.reuse(&inputGradient, shape: x.shape)
        let high = Float(levels / 2) - 0.5, low = -Float(levels / 2) - 0.5
        for i in 0..<x.count {
            let g = dOut[i]
            dx[i] = x[i] > high ? max(g, 0) : (x[i] < low ? min(g, 0) : g)
        }
        return dx
    }
}
