/// A differentiable building block. `forward` caches what `backward` needs; `backward` takes the
/// gradient of the loss with respect to the output, adds parameter gradients into
/// `Parameter.grad`, and returns the gradient with respect to the input. Returned tensors belong
/// to the layer (see `Tensor`), so a step allocates nothing once the buffers exist.
///
/// Assembling and training a model:
///
///     var rng = SeededRandom(seed: 1)
///     let layout = PatchLayout(channels: 3, height: 64, width: 64, patchSize: 8)
///     let encoder = Sequential([
///         Patchify(layout),
///         Linear(name: "encoder.stem", inputs: layout.tokenWidth, outputs: 192, rng: &rng),
///         PositionEmbedding(name: "encoder.pos", length: layout.tokenCount, width: 192, rng: &rng),
///         TransformerBlock(name: "encoder.block0", width: 192, heads: 4, rng: &rng),
///         LayerNorm(name: "encoder.norm", width: 192),
///     ])
///     let decoder = Sequential([...])  // ending in Unpatchify(layout)
///     let parameters = encoder.parameters + decoder.parameters  // unique dotted names
///     let loss = ReconstructionLoss(.meanSquaredError)
///     for (images, targets) in batches {  // (B, 3, 64, 64) tensors, reused across steps
///         parameters.forEach { $0.zeroGrad() }
///         let value = loss.forward(decoder.forward(encoder.forward(images)), targets)
///         _ = encoder.backward(decoder.backward(loss.backward()))
///         optimizer.step(parameters)
///     }
///
/// Per-batch settings live on the layers that use them: `AttentionCore.visibleKeys` (also through
/// `TransformerBlock.visibleKeys`) and `MaskEmbedding.keptLengths`, set before `forward`.
public protocol Layer: AnyObject {
    /// Every trainable parameter, with unique dotted names.
    var parameters: [Parameter] { get }
    func forward(_ x: Tensor) -> Tensor
    func backward(_ dOut: Tensor) -> Tensor
    /// `forward` on channels-last tensors, (B, H, W, C) for the (B, C, H, W) that `forward` takes,
    /// when no backward follows (encoding, tokenizing). Convolutions and GDN have their own
    /// kernels, faster in this layout and keeping nothing for backward; any other layer transposes
    /// to channels-first, runs `forward` and transposes back.
    func inferChannelsLast(_ x: Tensor) -> Tensor
}

extension Layer {
    public func inferChannelsLast(_ x: Tensor) -> Tensor {
        forward(x.transposedChannels(toLast: false)).transposedChannels(toLast: true)
    }
}

extension Layer {
    /// `forward` with `body` run on the output of every leaf layer and on each `Residual`'s sum (not
    /// on a `Sequential`'s, which is its last layer's) as it is made, before the next layer reads it: for a caller that must constrain the maps
    /// between layers (a tile decode clears what lies past the image). Keeps nothing for backward.
    public func forward(_ x: Tensor, afterEachLayer body: (Tensor) -> Void) -> Tensor {
        switch self {
        case let sequence as Sequential:
            return sequence.layers.reduce(x) { $1.forward($0, afterEachLayer: body) }
        case let residual as Residual:
            let y = Tensor(shape: x.shape)
            add(x, residual.inner.forward(x, afterEachLayer: body), into: y)
            body(y)
            return y
        default:
            let y = forward(x)
            body(y)
            return y
        }
    }
}

/// Layers applied one after another.
public final class Sequential: Layer {
    public let layers: [Layer]

    public init(_ layers: [Layer]) { self.layers = layers }

    public var parameters: [Parameter] { layers.flatMap(\.parameters) }

    public func forward(_ x: Tensor) -> Tensor {
        layers.reduce(x) { $1.forward($0) }
    }

    public func inferChannelsLast(_ x: Tensor) -> Tensor {
        layers.reduce(x) { $1.inferChannelsLast($0) }
    }

    public func backward(_ dOut: Tensor) -> Tensor {
        layers.reversed().reduce(dOut) { $1.backward($0) }
    }
}

/// y = x + inner(x): the residual stream of a transformer.
public final class Residual: Layer {
    public let inner: Layer
    private var output: Tensor?
    private var inputGradient: Tensor?

    public init(_ inner: Layer) { self.inner = inner }

    public var parameters: [Parameter] { inner.parameters }

    public func forward(_ x: Tensor) -> Tensor {
        let branch = inner.forward(x)
        let y = Tensor.reuse(&output, shape: x.shape)
        add(x, branch, into: y)
        return y
    }

    public func backward(_ dOut: Tensor) -> Tensor {
        let dBranch = inner.backward(dOut)
        let dx = Tensor.reuse(&inputGradient, shape: dOut.shape)
        add(dOut, dBranch, into: dx)
        return dx
    }
}

extension Parameter {
    /// Raw access to values and gradients for the kernels; valid only inside `body`.
    func withBuffers<R>(_ body: (UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> R) -> R {
        value.withUnsafeBufferPointer { value in
            grad.withUnsafeMutableBufferPointer { grad in body(value.baseAddress!, grad.baseAddress!) }
        }
    }

    func withValues<R>(_ body: (UnsafePointer<Float>) -> R) -> R {
        value.withUnsafeBufferPointer { body($0.baseAddress!) }
    }

    /// False while building a model whose every parameter is then loaded from a file
    /// (`Parameter.withoutInitialValues`).
    @TaskLocal static var drawsInitialValues = true

    /// Builds a model whose parameters are all about to be overwritten (every tensor loaded from a
    /// model file): random initial values are not drawn, the parameters start at 0. Drawing them
    /// is most of building a model, wasted when a file overwrites them (BENCHMARKS.md).
    public static func withoutInitialValues<R>(_ build: () throws -> R) rethrows -> R {
        try $drawsInitialValues.withValue(false, operation: build)
    }

    /// Values drawn from N(0, std²) (zeros under `withoutInitialValues`).
    static func normal(name: String, shape: [Int], std: Float, decays: Bool, rng: inout SeededRandom) -> Parameter {
        guard drawsInitialValues else { return .constant(name: name, shape: shape, value: 0, decays: decays) }
        let count = shape.reduce(1, *)
        let values = (0..<count).map { _ in rng.normal() * std }
        return Parameter(name: name, shape: shape, value: values, decays: decays)
    }

    static func constant(name: String, shape: [Int], value: Float, decays: Bool) -> Parameter {
        Parameter(name: name, shape: shape, value: [Float](repeating: value, count: shape.reduce(1, *)), decays: decays)
    }
}
