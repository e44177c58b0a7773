/// One trainable tensor: its values, the gradient accumulated by backward passes, and what the
/// optimiser needs to know about it. Layers own their parameters; optimisers, weight files and the
/// moving average walk a model's `[Parameter]` list by name.
public final class Parameter: @unchecked Sendable {
    /// Unique within a model, dotted by module ("encoder.block0.attn.qkv.weight"): the key in weights files.
    public let name: String
    public let shape: [Int]
    /// Row-major, `shape.reduce(1, *)` elements.
    public var value: [Float]
    /// Same layout as `value`; backward passes add into it, `zeroGrad()` clears it.
    public var grad: [Float]
    /// Whether AdamW's weight decay applies: false for norms' gains, biases and embeddings.
    public let decays: Bool

    public init(name: String, shape: [Int], value: [Float], decays: Bool) {
        let count = shape.reduce(1, *)
        precondition(value.count == count, "Parameter \(name): \(value.count) values for shape \(shape)")
        self.name = name
        self.shape = shape
        self.value = value
        self.grad = [Float](repeating: 0, count: count)
        self.decays = decays
    }

    public var count: Int { value.count }

    public func zeroGrad() {
        grad.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
    }
}
