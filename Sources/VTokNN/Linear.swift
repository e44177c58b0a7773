/// y = x·Wᵀ + b over the last dimension; W is (outputs, inputs) as in PyTorch.
public final class Linear: Layer {
    public let weight: Parameter
    public let bias: Parameter?
    public let inputCount: Int
    public let outputCount: Int
    private var input: Tensor?
    private var output: Tensor?
    private var inputGradient: Tensor?
    private var ones: Tensor?

    /// Weights ~ N(0, weightStd²), default 1/√inputs (unit-variance outputs for unit-variance inputs).
    public init(name: String, inputs: Int, outputs: Int, bias: Bool = true, weightStd: Float? = nil,
                rng: inout SeededRandom) {
        inputCount = inputs
        outputCount = outputs
        weight = .normal(name: name + ".weight", shape: [outputs, inputs],
                         std: weightStd ?? 1 / Float(inputs).squareRoot(), decays: true, rng: &rng)
        self.bias = bias ? .constant(name: name + ".bias", shape: [outputs], value: 0, decays: false) : nil
    }

    public var parameters: [Parameter] { [weight] + (bias.map { [$0] } ?? []) }

    public func forward(_ x: Tensor) -> Tensor {
        precondition(x.rowLength == inputCount, "Linear(\(weight.name)): input \(x.shape), expects last dim \(inputCount)")
        input = x
        let rows = x.rows
        let y = Tensor.reuse(&output, shape: Array(x.shape.dropLast()) + [outputCount])
        if let bias {
            let out = SendablePointer(y.pointer), width = outputCount
            bias.withValues { b in
                Parallel.forChunks(rows, workPerItem: width) { range in
                    for r in range { (out.base + r * width).update(from: b, count: width) }
                }
            }
        }
        weight.withValues { w in
            gemm(transB: true, m: rows, n: outputCount, k: inputCount, a: x.pointer, lda: inputCount,
                 b: w, ldb: inputCount, beta: bias == nil ? 0 : 1, c: y.pointer, ldc: outputCount)
        }
        return y
    }

    public func backward(_ dOut: Tensor) -> Tensor {
        guard let x = input else { preconditionFailure("Linear.backward before forward") }
        let rows = x.rows
        let dx = Tensor.reuse(&inputGradient, shape: x.shape)
        weight.withBuffers { w, dw in
            gemm(m: rows, n: inputCount, k: outputCount, a: dOut.pointer, lda: outputCount,
                 b: w, ldb: inputCount, c: dx.pointer, ldc: inputCount)
            gemm(transA: true, m: outputCount, n: inputCount, k: rows, a: dOut.pointer, lda: outputCount,
                 b: x.pointer, ldb: inputCount, beta: 1, c: dw, ldc: inputCount)
        }
        if let bias {
            // Column sums of dOut as a matrix-vector product with ones: vectorised by OpenBLAS.
            let ones = Tensor.reuse(&self.ones, shape: [rows])
            ones.fill(1)
            bias.withBuffers { _, db in
                addTransposedProduct(rows: rows, columns: outputCount, a: dOut.pointer, x: ones.pointer, y: db)
            }
        }
        return dx
    }
}
