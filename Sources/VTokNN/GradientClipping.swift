/// Scales every gradient by the same factor so that their global L2 norm (all parameters as one
/// vector) is at most `maxNorm`, and returns the norm before clipping, for logging.
///
/// A non-finite norm leaves the gradients as they are: scaling cannot repair them, and the caller
/// should see the NaN or infinity and skip the step.
@discardableResult
public func clipGradientNorm(of parameters: [Parameter], maxNorm: Float) -> Float {
    // Sum of squares in Double: a running Float sum over millions of squares would lose the small ones.
    var sumOfSquares = 0.0
    for parameter in parameters {
        parameter.grad.withUnsafeBufferPointer { grad in
            for g in grad { sumOfSquares += Double(g) * Double(g) }
        }
    }
    let norm = Float(sumOfSquares.squareRoot())
    guard norm.isFinite, norm > maxNorm else { return norm }

    let scale = maxNorm / norm
    for parameter in parameters {
        parameter.grad.withUnsafeMutableBufferPointer { grad in
            for i in 0..<grad.count { grad[i] *= scale }
        }
    }
    return norm
}
