/// Pixel unshuffle between a (B, C, H, W) image batch and a (B, T, p·p·C) token sequence, with
/// T = (H/p)·(W/p) in raster order and features ordered (c, py, px) as PyTorch's pixel_unshuffle.
/// A pure permutation, so each direction's backward is the other direction.
public struct PatchLayout: Sendable, Equatable {
    public let channels: Int
    public let height: Int
    public let width: Int
    public let patchSize: Int

    public init(channels: Int, height: Int, width: Int, patchSize: Int) {
        precondition(height % patchSize == 0 && width % patchSize == 0, "image \(height)x\(width) not divisible by patch \(patchSize)")
        self.channels = channels
        self.height = height
        self.width = width
        self.patchSize = patchSize
    }

    public var tokenCount: Int { (height / patchSize) * (width / patchSize) }
    public var tokenWidth: Int { patchSize * patchSize * channels }

    /// Copies every image row segment of one patch (p contiguous floats) to or from its token.
    func permute(batch: Int, images: UnsafeMutablePointer<Float>, tokens: UnsafeMutablePointer<Float>, toTokens: Bool) {
        let p = patchSize, patchesPerRow = width / p, imageSize = channels * height * width
        let imagesPointer = SendablePointer(images), tokensPointer = SendablePointer(tokens)
        let tokenCount = tokenCount, tokenWidth = tokenWidth, channels = channels, width = width
        Parallel.forChunks(batch * tokenCount, workPerItem: tokenWidth) { range in
            for item in range {
                let b = item / tokenCount, t = item % tokenCount
                let top = (t / patchesPerRow) * p, left = (t % patchesPerRow) * p
                let token = tokensPointer.base + item * tokenWidth
                for c in 0..<channels {
                    for py in 0..<p {
                        let pixels = imagesPointer.base + b * imageSize + (c * (imageSize / channels)) + (top + py) * width + left
                        let features = token + (c * p + py) * p
                        if toTokens { features.update(from: pixels, count: p) } else { pixels.update(from: features, count: p) }
                    }
                }
            }
        }
    }
}

/// (B, C, H, W) → (B, T, p·p·C).
public final class Patchify: Layer {
    public let layout: PatchLayout
    private var output: Tensor?
    private var inputGradient: Tensor?

    public init(_ layout: PatchLayout) { self.layout = layout }

    public var parameters: [Parameter] { [] }

    public func forward(_ x: Tensor) -> Tensor {
        precondition(x.shape.dropFirst() == [layout.channels, layout.height, layout.width], "Patchify: input \(x.shape) vs \(layout)")
        let batch = x.shape[0]
        let y = Tensor.reuse(&output, shape: [batch, layout.tokenCount, layout.tokenWidth])
        layout.permute(batch: batch, images: x.pointer, tokens: y.pointer, toTokens: true)
        return y
    }

    public func backward(_ dOut: Tensor) -> Tensor {
        let batch = dOut.shape[0]
        let dx = Tensor.reuse(&inputGradient, shape: [batch, layout.channels, layout.height, layout.width])
        layout.permute(batch: batch, images: dx.pointer, tokens: dOut.pointer, toTokens: false)
        return dx
    }
}

/// (B, T, p·p·C) → (B, C, H, W).
public final class Unpatchify: Layer {
    public let layout: PatchLayout
    private var output: Tensor?
    private var inputGradient: Tensor?

    public init(_ layout: PatchLayout) { self.layout = layout }

    public var parameters: [Parameter] { [] }

    public func forward(_ x: Tensor) -> Tensor {
        precondition(x.shape.dropFirst() == [layout.tokenCount, layout.tokenWidth], "Unpatchify: input \(x.shape) vs \(layout)")
        let batch = x.shape[0]
        let y = Tensor.reuse(&output, shape: [batch, layout.channels, layout.height, layout.width])
        layout.permute(batch: batch, images: y.pointer, tokens: x.pointer, toTokens: false)
        return y
    }

    public func backward(_ dOut: Tensor) -> Tensor {
        let batch = dOut.shape[0]
        let dx = Tensor.reuse(&inputGradient, shape: [batch, layout.tokenCount, layout.tokenWidth])
        layout.permute(batch: batch, images: dOut.pointer, tokens: dx.pointer, toTokens: true)
        return dx
    }
}
