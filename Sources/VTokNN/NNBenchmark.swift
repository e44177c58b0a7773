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
        let shapes = c.projectionShapes.map { shape in
            SGEMMShape(m: shape[0], n: shape[1], k: shape[2],
                       gflops: BLASRuntime.sgemmGFLOPS(m: shape[0], n: shape[1], k: shape[2], repetitions: 4 * c.repetitions))
        }
        // Aggregate as the model would see it: total FLOPs over total time of one of each product.
        let sgemmFLOPs = shapes.map { 2.0 * Double($0.m * $0.n * $0.k) }
        let sgemmSeconds = zip(sgemmFLOPs, shapes).map { $0 / ($1.gflops * 1e9) }.reduce(0, +)
        let sgemm = sgemmFLOPs.reduce(0, +) / sgemmSeconds / 1e9
        let openBLASThreaded = BLASRuntime.openBLASThreadedSGEMMGFLOPS(size: 1024, repetitions: 4 * c.repetitions)
        let split = BLASRuntime.sgemmGFLOPS(size: 1024, repetitions: 4 * c.repetitions)

        var rng = SeededRandom(seed: 1)
        let model = Sequential((0..<c.blocks).map { i in
            TransformerBlock(name: "block\(i)", width: c.width, heads: c.heads, mlpRatio: c.mlpRatio, rng: &rng)
        })
        let parameters = model.parameters
        let input = Tensor(shape: [c.batchSize, c.sequenceLength, c.width])
        let dOut = Tensor(shape: input.shape)
        for i in 0..<input.count { input[i] = rng.normal(); dOut[i] = rng.normal() * 1e-3 }

        func trainStep() {
            parameters.forEach { $0.zeroGrad() }
            _ = model.forward(input)
            _ = model.backward(dOut)
            simulateOptimizerStep(parameters)
        }
        let trainSeconds = bestTime(repetitions: c.repetitions, trainStep)
        let inferenceSeconds = bestTime(repetitions: c.repetitions) { _ = model.forward(input) }

        return NNBenchmarkResult(
            corename: BLASRuntime.corename, blasThreads: BLASRuntime.threadCount, workerThreads: Parallel.workerCount,
            configuration: c, parameterCount: parameters.map(\.count).reduce(0, +),
            sgemmGFLOPS: sgemm, sgemmShapes: shapes, sgemm1024GFLOPS: split, sgemm1024OpenBLASThreadsGFLOPS: openBLASThreaded,
            trainStepSeconds: trainSeconds, trainStepGFLOPS: 3 * c.forwardFLOPs / trainSeconds / 1e9,
            inferenceSeconds: inferenceSeconds, inferenceGFLOPS: c.forwardFLOPs / inferenceSeconds / 1e9,
            peakResidentBytes: peakResidentBytes())
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
