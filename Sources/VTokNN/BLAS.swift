import COpenBLAS
#if canImport(Glibc)
import Glibc
#endif

/// Which OpenBLAS kernels run, and the fix for Debian's OpenBLAS 0.3.21 misdetecting recent CPUs:
/// it falls back to generic kernels five times slower, and reads `OPENBLAS_CORETYPE` only when it
/// loads, so a process that wants fast kernels must be started with the variable set.
public enum BLASRuntime {
    /// The kernel family OpenBLAS chose ("Prescott", "SkylakeX", "Haswell", "Zen", ...).
    public static var corename: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }

    public static var threadCount: Int { Int(openblas_get_num_threads()) }

    /// Products below this many multiply-adds (a 64×64×64 cube) are not worth waking a worker for.
    static let minimumParallelProduct = 1 << 18

    private static let singleThreaded: Void = openblas_set_num_threads(1)

    /// Switches OpenBLAS to one thread, once: `gemm` parallelises over `Parallel`'s workers instead.
    static func useSingleThreadedKernels() { _ = singleThreaded }

    /// Kernel families tuned for current CPUs; anything else OpenBLAS reports (Prescott, Core2,
    /// Katmai, Sandybridge, ...) is a fallback on a machine that has AVX2 or AVX-512.
    static let modernCorenames: Set<String> = ["haswell", "zen", "skylakex", "cooperlake", "sapphirerapids"]

    public static func isGeneric(corename: String) -> Bool {
        !modernCorenames.contains(corename.lowercased())
    }

    /// The `OPENBLAS_CORETYPE` a CPU with these /proc/cpuinfo flags should use, or nil when none
    /// of the modern kernels applies.
    public static func coretype(forCPUFlags flags: String) -> String? {
        let set = Set(flags.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).map(String.init))
        if set.isSuperset(of: ["avx512f", "avx512bw", "avx512vl"]) { return "SkylakeX" }
        if set.contains("avx2") { return "Haswell" }
        return nil
    }

    static let reexecMarker = "VTOK_BLAS_REEXECUTED"

    /// The core type to re-execute with, or nil to carry on: only when nobody chose one
    /// (`OPENBLAS_CORETYPE` unset), this is not already the re-executed process, and OpenBLAS fell
    /// back to a generic kernel on a CPU that has better ones.
    static func reexecutionCoretype(environment: [String: String], corename: String, cpuFlags: String) -> String? {
        guard environment["OPENBLAS_CORETYPE"] == nil, environment[reexecMarker] == nil,
              isGeneric(corename: corename) else { return nil }
        return coretype(forCPUFlags: cpuFlags)
    }

    /// Call first thing in `main`: when OpenBLAS picked generic kernels on a CPU that has AVX2 or
    /// AVX-512, re-executes this program with `OPENBLAS_CORETYPE` set (the library reads it only
    /// when it loads). Returns normally when nothing needs fixing, or when the re-execution fails,
    /// with a warning on stderr.
    public static func ensureOptimizedKernels() {
        let environment = [
            "OPENBLAS_CORETYPE": getenv("OPENBLAS_CORETYPE").map { String(cString: $0) },
            reexecMarker: getenv(reexecMarker).map { String(cString: $0) },
        ].compactMapValues { $0 }
        guard let coretype = reexecutionCoretype(environment: environment, corename: corename, cpuFlags: cpuFlags()) else { return }
        setenv("OPENBLAS_CORETYPE", coretype, 1)
        setenv(reexecMarker, "1", 1)
        let arguments = CommandLine.arguments.map { strdup($0) } + [nil]
        execv("/proc/self/exe", arguments)
        // Only reached when execv failed.
        let message = "vtok: warning: could not re-execute with OPENBLAS_CORETYPE=\(coretype) (errno \(errno)); "
            + "matrix products use the slow generic '\(corename)' kernels\n"
        _ = message.withCString { write(2, $0, strlen($0)) }
    }

    /// The `flags` line of /proc/cpuinfo's first processor; empty where there is none.
    static func cpuFlags() -> String {
        guard let file = fopen("/proc/cpuinfo", "r") else { return "" }
        defer { fclose(file) }
        var line: UnsafeMutablePointer<CChar>? = nil
        var length = 0
        defer { free(line) }
        while getline(&line, &length, file) > 0 {
            let text = String(cString: line!)
            if text.hasPrefix("flags") { return text }
        }
        return ""
    }

    /// Measured SGEMM throughput on size×size×size, threaded as the model's products are.
    public static func sgemmGFLOPS(size: Int = 512, repetitions: Int = 5) -> Double {
        sgemmGFLOPS(m: size, n: size, k: size, repetitions: repetitions)
    }

    /// The best of `repetitions` timed products after a warm-up: on shared cores the fastest run is
    /// the one least disturbed by other processes.
    public static func sgemmGFLOPS(m: Int, n: Int, k: Int, repetitions: Int) -> Double {
        let product = NNBenchmark.Product(m: m, n: n, k: k)
        return product.flops / bestTime(repetitions: repetitions, product.run) / 1e9
    }

    /// Runs `body` with OpenBLAS's own thread pool (one thread per worker), for comparing it with
    /// the split `gemm` does.
    static func withOpenBLASThreads(_ body: () -> Void) {
        useSingleThreadedKernels()
        openblas_set_num_threads(Int32(Parallel.workerCount))
        body()
        openblas_set_num_threads(1)
    }
}

/// C = alpha·op(A)·op(B) + beta·C, row-major; op transposes when asked. Leading dimensions let a
/// product read a head's columns straight out of a wider (T, 3C) buffer.
///
/// Threading: OpenBLAS runs single-threaded and this function splits C into one block of rows (or
/// columns) per worker itself. With OpenBLAS's own pool, its idle workers spin on sched_yield
/// for a long while after each product and fight the element-wise passes for the 2 cores; one
/// pool for everything keeps them out of each other's way. Products too small to share run whole.
func gemm(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int, alpha: Float = 1,
          a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
          beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
    let work = m * n * k
    guard Parallel.workerCount > 1, work >= BLASRuntime.minimumParallelProduct else {
        serialGemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
        return
    }
    let output = SendablePointer(c)
    let splitsRows = m >= n
    Parallel.forChunks(splitsRows ? m : n, workPerItem: work) { range in
        if splitsRows {
            // Rows r of op(A): row r of A, or column r of a transposed A.
            let part = a + (transA ? range.lowerBound : range.lowerBound * lda)
            serialGemm(transA: transA, transB: transB, m: range.count, n: n, k: k, alpha: alpha, a: part, lda: lda,
                       b: b, ldb: ldb, beta: beta, c: output.base + range.lowerBound * ldc, ldc: ldc)
        } else {
            let part = b + (transB ? range.lowerBound * ldb : range.lowerBound)
            serialGemm(transA: transA, transB: transB, m: m, n: range.count, k: k, alpha: alpha, a: a, lda: lda,
                       b: part, ldb: ldb, beta: beta, c: output.base + range.lowerBound, ldc: ldc)
        }
    }
}

/// `gemm` on the calling thread only: for code that already runs on the workers (attention heads,
/// the encoder's pieces). Every product goes through here, so here is where OpenBLAS is switched
/// to one thread.
@inline(__always)
func serialGemm(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int, alpha: Float = 1,
                a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
    BLASRuntime.useSingleThreadedKernels()
    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
}

/// y += Aᵀ·x for a row-major (rows, columns) A: the column sums behind bias gradients. Split over
/// column blocks like `gemm`.
func addTransposedProduct(rows: Int, columns: Int, a: UnsafePointer<Float>, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>) {
    BLASRuntime.useSingleThreadedKernels()
    let output = SendablePointer(y)
    Parallel.forChunks(columns, workPerItem: rows) { range in
        cblas_sgemv(CblasRowMajor, CblasTrans, blasint(rows), blasint(range.count), 1, a + range.lowerBound, blasint(columns),
                    x, 1, 1, output.base + range.lowerBound, 1)
    }
}

/// Best wall time of `repetitions` runs of `body` after one untimed warm-up run.
func bestTime(repetitions: Int, _ body: () -> Void) -> Double {
    body()
    var best = Double.infinity
    for _ in 0..<max(repetitions, 1) {
        let start = monotonicSeconds()
        body()
        best = min(best, monotonicSeconds() - start)
    }
    return best
}

func monotonicSeconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
}
