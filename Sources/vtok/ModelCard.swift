import Foundation
import VTokContainer
import VTokModel
import VTokNN

/// What `vtok info --model` reports: the architecture from the weights file's config, its id, and
/// the training record the trainer stores in the metadata (`vtok.training`).
struct ModelCard: Encodable, TextDescribable {
    let path: String
    let modelId: String
    let parameters: Int
    let resolution: Int
    let workingResolution: Int
    /// All the tokens of a native-resolution image (of a tile, for a model that tiles).
    let maxTokens: Int
    /// For a full-resolution model, whose files grow with the image: all the tokens of a 768x512 one.
    let tokensAt768x512: Int?
    let bitsPerToken: Int
    let groups: Int
    let bitsPerGroup: Int
    let architecture: String
    /// The architecture's config as the model file stores it.
    let config: ModelConfig
    let network: [String]
    /// Mean bits a token under the model's prior (its entropy, averaged over positions); nil when
    /// the model has no prior and its files have raw payloads.
    let priorBitsPerToken: Double?
    /// Which tables code which tokens (spec §15.1).
    let priorTables: String?
    /// The other models whose files this one reads and decodes as they do: a layered model's base
    /// and the layered models it extends.
    let readsFilesOf: [String]
    /// Free-form training record (data, steps, CPU-hours, command), when the file has one.
    let training: [String: String]

    init(path: String) throws {
        let codec: VTokCodec
        do {
            codec = try VTokCodec(contentsOf: path)
        } catch {
            throw CLIError(status: .modelMismatch, message: "cannot load model \(path): \(error)")
        }
        self.path = path
        modelId = codec.modelID.description
        parameters = codec.tokenizer.parameterCount
        config = ModelConfig(codec.tokenizer.config)
        architecture = config.architecture
        network = codec.tokenizer.summary
        let shape = codec.shape
        resolution = shape.resolution
        workingResolution = shape.workingResolution
        maxTokens = shape.maxTokens
        tokensAt768x512 = codec.fullResolution == nil ? nil : codec.tokenCount(width: 768, height: 512)
        bitsPerToken = shape.bitsPerToken
        groups = shape.groups
        bitsPerGroup = shape.bitsPerGroup
        priorBitsPerToken = codec.prior?.meanEntropyBits
        priorTables = codec.codingPrior.map { coding in
            guard let runs = coding as? ChannelRunPrior else { return "static, a table per position and group" }
            return runs.contexts > 1
                ? "a table per base position, then \(runs.contexts) per detail channel, each token's picked by its block in the "
                    + "\(runs.contextWindow) channels before (spec §15.1.2)"
                : "a table per base position, then one per detail channel (spec §15.1.1)"
        }
        readsFilesOf = (codec.baseModelID.map { ["\($0) (its base layer)"] } ?? [])
            + codec.leadingCodecs.map { leading in
                let layers = (leading.tokenizer as? LayeredTokenizer)?.config.detailLayers.count ?? 0
                return "\(leading.modelID) (" + (layers == 1 ? "its detail layer" : "its first \(layers) detail layers") + ")"
            }
        training = codec.metadata.filter { $0.key.hasPrefix("vtok.training.") }
            .reduce(into: [:]) { $0[String($1.key.dropFirst("vtok.training.".count))] = $1.value }
    }

    var text: String {
        var lines = [
            "\(path): vtok tokenizer \(modelId), \(architecture) architecture",
            "  tokens      " + (tokensAt768x512.map { "\(maxTokens) for a \(resolution)x\(resolution) image, \($0) for 768x512: more for a larger image" }
                ?? "up to \(maxTokens) per image or tile") + ", \(bitsPerToken) bits each (\(groups) groups of \(bitsPerGroup) bits)",
            "  resolution  \(resolution)x\(resolution) native, \(workingResolution)x\(workingResolution) working",
            "  network     \(parameters) parameters",
        ] + network.map { "              " + $0 }
        lines.append("  prior       " + (priorBitsPerToken.map {
            (priorTables ?? "") + String(format: ": %.2f bits a token on average over its tables (raw ids: %d); files are arithmetic-coded",
                                         $0, bitsPerToken)
        } ?? "none: files have raw payloads (vtok prior adds one)"))
        if !readsFilesOf.isEmpty { lines.append("  reads       the files of " + readsFilesOf.joined(separator: ", ")) }
        for (key, value) in training.sorted(by: { $0.key < $1.key }) { lines.append("  \(key): \(value)") }
        return lines.joined(separator: "\n")
    }
}

/// What `vtok info --system` reports.
struct SystemSummary: Encodable, TextDescribable {
    let cpu: String
    let logicalCores: Int
    let blasCore: String
    let blasThreads: Int
    let openblasCoretype: String?
    let sgemmGflops: Double

    static func measure() -> SystemSummary {
        let cpuInfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model = cpuInfo.split(separator: "\n").first { $0.hasPrefix("model name") }
            .map { $0.split(separator: ":", maxSplits: 1).last!.trimmingCharacters(in: .whitespaces) } ?? "unknown"
        return SystemSummary(cpu: model, logicalCores: ProcessInfo.processInfo.activeProcessorCount,
                             blasCore: BLASRuntime.corename, blasThreads: BLASRuntime.threadCount,
                             openblasCoretype: ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"],
                             sgemmGflops: BLASRuntime.sgemmGFLOPS(size: 1024, repetitions: 3))
    }

    var text: String {
        """
        cpu          \(cpu), \(logicalCores) logical cores
        blas         OpenBLAS, \(blasCore) kernels (OPENBLAS_CORETYPE=\(openblasCoretype ?? "unset")), \(blasThreads) thread(s)
        sgemm        \(String(format: "%.0f", sgemmGflops)) GFLOP/s (1024^3, all cores)
        """
    }
}
