#if canImport(Glibc)
import Glibc
#endif

/// The NN core's speed: SGEMM at the model's shapes, then one training step and one inference
/// forward of a transformer stack, each as GFLOP/s from counted matrix-product FLOPs. Element-wise
/// work is not counted, so the step figures fall short of SGEMM by exactly what it and the
/// bookkeeping around the products cost.
public enum NNBenchmark {
    public struct Configuration: Codable, Sendable, Equatable {
        public var width = 256
        public var heads = 4
        public var sequenceLength = 256
        public var batchSize = 16
        public var blocks = 4
        public var mlpRatio = 4
        /// Timed repetitions of each measurement, after one untimed warm-up; the best counts.
        public var repetitions = 5

        public init() {}

        enum CodingKeys: String, CodingKey {
            case width, heads, blocks, repetitions
            case sequenceLength = "sequence_length"
            case batchSize = "batch_size"
            case mlpRatio = "mlp_ratio"
        }

        var tokens: Int { batchSize * sequenceLength }

        /// Matrix-product FLOPs of one forward pass: per block, the q/k/v, output and two MLP
        /// projections (2·N·C·C·(3 + 1 + 2·ratio)) and the two attention products (2 · 2·N·T·C).
        var forwardFLOPs: Double {
            let n = Double(tokens), c = Double(width), t = Double(sequenceLength)
            let perBlock = 2 * n * c * c * Double(4 + 2 * mlpRatio) + 4 * n * t * c
            return perBlock * Double(blocks)
        }

        /// (M, N, K) of the projections' products.
        var projectionShapes: [[Int]] {
            [[tokens, 3 * width, width], [tokens, width, width], [tokens, mlpRatio * width, width], [tokens, width, mlpRatio * width]]
        }
    }

    public struct SGEMMShape: Codable, Sendable {
        public let m: Int, n: Int, k: Int
        public let gflops: Double
    }

    public static func run(_ configuration: Configuration = Configuration()) -> NNBenchmarkResult {
        let c = configuration
        var rng = SeededRandom(seed: 1)
        let model = Sequential((0..<c.blocks).map { i in
            TransformerBlock(name: "block\(i)", width: c.width, heads: c.heads, mlpRatio: c.mlpRatio, rng: &rng)
        })
        let parameters = model.parameters
        let input = Tensor(shape: [c.batchSize, c.sequenceLength, c.width])
        let dOut = Tensor(shape: input.shape)
        for i in 0..<input.count { input[i] = rng.normal(); dOut[i] = rng.normal() * 1e-3 }

        let products = c.projectionShapes.map { Product(m: $0[0], n: $0[1], k: $0[2]) }
        let reference = Product(m: 1024, n: 1024, k: 1024)
        var measurements = products.map { product in Measurement(flops: product.flops) { product.run() } }
        measurements.append(Measurement(flops: reference.flops) { reference.run() })
        measurements.append(Measurement(flops: reference.flops) { reference.runOnOpenBLASThreads() })
        measurements.append(Measurement(flops: 3 * c.forwardFLOPs) {
            parameters.forEach { $0.zeroGrad() }
            _ = model.forward(input)
            _ = model.backward(dOut)
            simulateOptimizerStep(parameters)
        })
        measurements.append(Measurement(flops: c.forwardFLOPs) { _ = model.forward(input) })

        // Round-robin, best of each: on shared cores every figure gets the same chances at a quiet
        // moment, so their ratios compare like with like. Round 0 warms up (allocations, caches).
        for round in 0...max(c.repetitions, 1) {
            for i in measurements.indices {
                let start = monotonicSeconds()
                measurements[i].run()
                if round > 0 { measurements[i].best = min(measurements[i].best, monotonicSeconds() - start) }
            }
        }

        let shapes = zip(products, measurements).map { SGEMMShape(m: $0.m, n: $0.n, k: $0.k, gflops: $1.gflops) }
        // Aggregate as the model sees them: total FLOPs over total time of one of each product.
        let sgemmPart = measurements.prefix(products.count)
        let sgemm = sgemmPart.map(\.flops).reduce(0, +) / sgemmPart.map(\.best).reduce(0, +) / 1e9
        let (split, openBLASThreaded, train, inference) = (measurements[products.count], measurements[products.count + 1],
                                                            measurements[products.count + 2], measurements[products.count + 3])
        return NNBenchmarkResult(
            corename: BLASRuntime.corename, blasThreads: BLASRuntime.threadCount, workerThreads: Parallel.workerCount,
            configuration: c, parameterCount: parameters.map(\.count).reduce(0, +),
            sgemmGFLOPS: sgemm, sgemmShapes: shapes,
            sgemm1024GFLOPS: split.gflops, sgemm1024OpenBLASThreadsGFLOPS: openBLASThreaded.gflops,
            trainStepSeconds: train.best, trainStepGFLOPS: train.gflops,
            inferenceSeconds: inference.best, inferenceGFLOPS: inference.gflops,
            peakResidentBytes: peakResidentBytes())
    }

    struct Measurement {
        let flops: Double
        let run: () -> Void
        var best = Double.infinity
        var gflops: Double { flops / best / 1e9 }
    }

    /// C = A·B on fixed operands, threaded as the model's products, or by OpenBLAS's own pool.
    struct Product {
        let m: Int, n: Int, k: Int
        let a: Tensor, b: Tensor, c: Tensor

        init(m: Int, n: Int, k: Int) {
            (self.m, self.n, self.k) = (m, n, k)
            (a, b, c) = (Tensor(shape: [m, k]), Tensor(shape: [k, n]), Tensor(shape: [m, n]))
            a.fill(0.5)
            b.fill(0.25)
        }

        var flops: Double { 2 * Double(m * n * k) }

        func run() { gemm(m: m, n: n, k: k, a: a.pointer, lda: k, b: b.pointer, ldb: n, c: c.pointer, ldc: n) }

        func runOnOpenBLASThreads() {
            BLASRuntime.withOpenBLASThreads {
                serialGemm(m: m, n: n, k: k, a: a.pointer, lda: k, b: b.pointer, ldb: n, c: c.pointer, ldc: n)
            }
        }
    }

    /// The process's high-water mark of resident memory: the activation and gradient buffers of
    /// the step dominate it.
    static func peakResidentBytes() -> Int {
        #if canImport(Glibc)
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return usage.ru_maxrss * 1024  // Linux reports kilobytes
        #else
        return 0
        #endif
    }

    /// Stands in for AdamW: one read-modify-write pass over values and gradients, as an update costs.
    static func simulateOptimizerStep(_ parameters: [Parameter]) {
        for parameter in parameters {
            parameter.withBuffers { value, grad in
                let values = UnsafeMutablePointer(mutating: value)
                vectorLoop(0..<parameter.count) { i, lanes in
                    store(load(values + i, lanes) - 1e-9 * load(grad + i, lanes), values + i, lanes)
                }
            }
        }
    }
}

public struct NNBenchmarkResult: Codable, Sendable {
    public let corename: String
    public let blasThreads: Int
    public let workerThreads: Int
    public let configuration: NNBenchmark.Configuration
    public let parameterCount: Int
    public let sgemmGFLOPS: Double
    public let sgemmShapes: [NNBenchmark.SGEMMShape]
    /// 1024³ as the model runs products (split over `Parallel`'s workers, OpenBLAS on one thread)
    /// and with OpenBLAS's own thread pool instead.
    public let sgemm1024GFLOPS: Double
    public let sgemm1024OpenBLASThreadsGFLOPS: Double
    public let trainStepSeconds: Double
    public let trainStepGFLOPS: Double
    public let inferenceSeconds: Double
    public let inferenceGFLOPS: Double
    public let peakResidentBytes: Int

    enum CodingKeys: String, CodingKey {
        case corename, configuration
        case blasThreads = "blas_threads"
        case workerThreads = "worker_threads"
        case parameterCount = "parameter_count"
        case sgemmGFLOPS = "sgemm_gflops"
        case sgemmShapes = "sgemm_shapes"
        case sgemm1024GFLOPS = "sgemm_1024_gflops"
        case sgemm1024OpenBLASThreadsGFLOPS = "sgemm_1024_openblas_threads_gflops"
        case trainStepSeconds = "train_step_seconds"
        case trainStepGFLOPS = "train_step_gflops"
        case inferenceSeconds = "inference_seconds"
        case inferenceGFLOPS = "inference_gflops"
        case peakResidentBytes = "peak_resident_bytes"
    }

    /// One line per figure, with the ratios the bars are set on.
    public var summary: String {
        let c = configuration
        return """
        OpenBLAS core \(corename), \(blasThreads) BLAS thread(s) per call, \(workerThreads) workers
        model: \(c.blocks) blocks, width \(c.width), \(c.heads) heads, batch \(c.batchSize) x sequence \(c.sequenceLength), \(parameterCount) parameters
        sgemm (model shapes): \(format(sgemmGFLOPS)) GFLOP/s [\(sgemmShapes.map { "\($0.m)x\($0.n)x\($0.k): \(format($0.gflops))" }.joined(separator: ", "))]
        sgemm 1024^3: \(format(sgemm1024GFLOPS)) GFLOP/s split over the workers, \(format(sgemm1024OpenBLASThreadsGFLOPS)) with OpenBLAS's threads
        train step: \(format(trainStepGFLOPS)) GFLOP/s (\(format(trainStepSeconds * 1000)) ms, \(format(100 * trainStepGFLOPS / sgemmGFLOPS))% of sgemm)
        inference: \(format(inferenceGFLOPS)) GFLOP/s (\(format(inferenceSeconds * 1000)) ms, \(format(100 * inferenceGFLOPS / sgemmGFLOPS))% of sgemm)
        peak resident memory: \(format(Double(peakResidentBytes) / 1_048_576)) MiB
        """
    }

    private func format(_ value: Double) -> String {
        let tenths = (value * 10).rounded() / 10
        return "\(tenths)"
    }
}
