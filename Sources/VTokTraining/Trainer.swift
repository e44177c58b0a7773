import Foundation
import VTokImage
import VTokModel
import VTokNN
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Everything about a run's progress that is not a tensor: checkpointed as JSON, so that a resumed
/// run continues exactly (the random generator's state included).
public struct TrainingState: Codable, Equatable, Sendable {
    /// Steps taken (skipped ones included); the next step's index.
    public var step = 0
    public var imagesSeen = 0
    /// The generator of crops, flips and kept lengths, as it stands before step `step`.
    public var rng: SeededRandom
    /// Wall-clock and CPU (user + system) seconds spent training, summed over every process.
    public var elapsedSeconds: Double = 0
    public var cpuSeconds: Double = 0
    /// Steps whose gradient norm was not finite, left out of the optimiser and the average.
    public var skippedSteps = 0
    /// What the training directory held, to warn when a resumed run reads other data.
    public var trainingImageCount = 0
    public var trainingImageFingerprint = ""
    /// The model a warm-started run began from, with that model's own training record: the
    /// steps and hours behind this run's weights that this run did not spend.
    public var warmStart: String?

    public init(seed: UInt64) {
        rng = SeededRandom(seed: seed)
    }
}

/// The files a run writes into its `--out` directory.
public struct TrainingOutput: Sendable {
    public let directory: String
    public init(directory: String) { self.directory = directory }
    /// F32: parameters ("model."), AdamW moments, EMA averages, config and state metadata.
    public var checkpoint: String { directory + "/checkpoint.safetensors" }
    /// F16: the EMA weights with `vtok.config`, what `vtok encode --model` loads.
    public var model: String { directory + "/model.safetensors" }
    /// The progress lines, appended.
    public var log: String { directory + "/train.log" }
    /// One JSON object per validation, appended: the training curves.
    public var validationLog: String { directory + "/validation.jsonl" }
}

/// What a run tells its user: `line`s are kept (train.log, and stderr), `status` lines only show
/// the latest step on a terminal and may be dropped elsewhere.
public enum TrainingMessage: Sendable, Equatable {
    case line(String)
    case status(String)
}

/// How a call to `Trainer.run` ended.
public struct TrainingResult: Sendable {
    public let step: Int
    /// The run reached `config.totalSteps`.
    public let finished: Bool
    /// `shouldStop` asked for the stop (SIGINT/SIGTERM).
    public let interrupted: Bool
    public let lastValidation: [Int: Double]?
}

/// Checkpoint metadata keys.
enum CheckpointKey {
    static let modelConfig = TokenizerRegistry.configKey
    static let trainingConfig = "vtok.training.config"
    static let state = "vtok.training.state"
    static let parameterPrefix = "model."
}

/// The training loop: batches, steps, clipping, AdamW on a warm-up + cosine schedule, the moving
/// average, validation, progress, checkpoints and exact resume.
public final class Trainer {
    public let config: TrainingConfig
    public let tokenizer: any ImageTokenizer
    public let output: TrainingOutput
    public private(set) var state: TrainingState
    public private(set) var lastValidation: [Int: Double]?
    /// Receives progress; `line`s are also appended to train.log by the trainer itself.
    public var report: (TrainingMessage) -> Void = { _ in }
    /// Called after every step with its index (from 1) and losses, skipped steps included.
    public var onStep: ((Int, TrainingLosses) -> Void)?

    let optimizer: AdamW
    let ema: ExponentialMovingAverage
    let data: TrainingData
    let validation: ValidationSet?
    private let batch: Tensor
    private let schedule: LearningRateSchedule
    private var logHandle: FileHandle?

    // MARK: Starting

    /// Creates the output directory if needed and decides which config the run uses:
    /// - no checkpoint there: `config` (the defaults when nil); `resume` is then an error.
    /// - a checkpoint: an error without `resume`; with it, the checkpoint's config, or `config`
    ///   when it differs from it only in `TrainingConfig.fieldsResumeMayChange`.
    /// `totalSteps` (when given) replaces the config's.
    public static func prepare(output: TrainingOutput, config requested: TrainingConfig?, resume: Bool,
                               totalSteps: Int? = nil) throws(TrainingError) -> (config: TrainingConfig, checkpoint: WeightsFile?) {
        try prepare(output: output, resume: resume, totalSteps: totalSteps) { _ throws(TrainingError) in requested }
    }

    /// As `prepare(output:config:resume:totalSteps:)` with a config file (see
    /// `TrainingConfig.parse(json:over:)`), whose fields apply over the defaults for a new run and
    /// over the checkpoint's config on `resume`: a partial file that a run was started with resumes
    /// it even after the code's defaults changed.
    public static func prepare(output: TrainingOutput, configFile: String?, resume: Bool,
                               totalSteps: Int? = nil) throws(TrainingError) -> (config: TrainingConfig, checkpoint: WeightsFile?) {
        try prepare(output: output, resume: resume, totalSteps: totalSteps) { base throws(TrainingError) in
            guard let configFile else { return nil }
            return try TrainingConfig.load(path: configFile, over: base)
        }
    }

    private static func prepare(output: TrainingOutput, resume: Bool, totalSteps: Int?,
                                resolve: (TrainingConfig) throws(TrainingError) -> TrainingConfig?)
        throws(TrainingError) -> (config: TrainingConfig, checkpoint: WeightsFile?) {
        let manager = FileManager.default
        do {
            try manager.createDirectory(atPath: output.directory, withIntermediateDirectories: true)
        } catch {
            throw .output("cannot create the output directory \(output.directory): \(error.localizedDescription)")
        }
        guard manager.isWritableFile(atPath: output.directory) else {
            throw .output("the output directory \(output.directory) is not writable")
        }
        let exists = manager.fileExists(atPath: output.checkpoint)
        var config: TrainingConfig
        var checkpoint: WeightsFile?
        switch (exists, resume) {
        case (false, false):
            config = try resolve(TrainingConfig()) ?? TrainingConfig()
        case (false, true):
            throw .noCheckpointToResume(output.checkpoint)
        case (true, false):
            throw .checkpointExists(output.checkpoint)
        case (true, true):
            let file: WeightsFile
            do {
                file = try WeightsFile(contentsOf: output.checkpoint)
            } catch {
                throw .checkpoint("cannot read \(output.checkpoint): \(error)")
            }
            // Parsed over the defaults: a field added since the checkpoint was written takes its
            // default, which is how that run trained.
            guard let json = file.metadata[CheckpointKey.trainingConfig],
                  let stored = try? TrainingConfig.parse(json: Data(json.utf8)) else {
                throw .checkpoint("\(output.checkpoint) holds no training config (metadata \(CheckpointKey.trainingConfig)); was it written by vtok train?")
            }
            config = stored
            if let requested = try resolve(stored) {
                var compared = requested
                if let totalSteps { compared.totalSteps = totalSteps }
                let differing = compared.differingFields(from: stored).filter { !TrainingConfig.fieldsResumeMayChange.contains($0) }
                guard differing.isEmpty else {
                    let stored = stored.flattened(), given = compared.flattened()
                    let details = differing.map { "\($0) (checkpoint \(stored[$0] ?? "absent"), config \(given[$0] ?? "absent"))" }
                    throw .resumedConfigDiffers(details.joined(separator: ", "), mayChange: TrainingConfig.fieldsResumeMayChange.sorted())
                }
                config = requested
            }
            checkpoint = file
        }
        if let totalSteps { config.totalSteps = totalSteps }
        try config.validate()
        return (config, checkpoint)
    }

    /// A trainer on decoded images, fresh or restored from `checkpoint` (which `prepare` returned
    /// for the same config). A fresh run may start from `initialWeights` instead of the random
    /// initialisation (see `warmStart`).
    public init(config: TrainingConfig, checkpoint: WeightsFile?, initialWeights: (file: WeightsFile, path: String)? = nil,
                trainingImages: [(path: String, image: RGBImage)],
                validationImages: [RGBImage], output: TrainingOutput) throws(TrainingError) {
        try config.validate()
        guard !trainingImages.isEmpty else { throw .noImages("no training images") }
        self.config = config
        self.output = output
        do {
            tokenizer = try config.model.makeTokenizer()
        } catch {
            throw .invalidConfig("model: \(error)")
        }
        var warmStartNote: String?
        if let initialWeights {
            guard checkpoint == nil else { throw .warmStart("a warm start begins a new run; it cannot resume one") }
            warmStartNote = try Self.warmStart(tokenizer, from: initialWeights.file, path: initialWeights.path)
        }
        optimizer = AdamW(parameters: tokenizer.parameters, config: config.adamW)
        ema = ExponentialMovingAverage(parameters: tokenizer.parameters, decay: config.emaDecay)
        data = TrainingData(images: trainingImages.map(\.image), config: config)
        validation = validationImages.isEmpty ? nil : ValidationSet(images: validationImages, shape: config.model.shape)
        batch = Tensor(shape: [config.batchSize, 3, config.model.shape.workingResolution, config.model.shape.workingResolution])
        schedule = config.learningRateSchedule
        let fingerprint = Self.fingerprint(trainingImages)
        state = TrainingState(seed: config.seed)
        state.trainingImageCount = trainingImages.count
        state.trainingImageFingerprint = fingerprint
        state.warmStart = warmStartNote
        if let checkpoint {
            do {
                try checkpoint.load(into: tokenizer.parameters, prefix: CheckpointKey.parameterPrefix)
                try optimizer.restore(from: checkpoint)
                try ema.restore(from: checkpoint)
            } catch {
                throw .checkpoint("\(output.checkpoint) does not fit the model: \(error)")
            }
            guard let json = checkpoint.metadata[CheckpointKey.state],
                  let restored = try? JSONDecoder().decode(TrainingState.self, from: Data(json.utf8)) else {
                throw .checkpoint("\(output.checkpoint) holds no readable training state (metadata \(CheckpointKey.state))")
            }
            state = restored
            if restored.trainingImageCount != trainingImages.count || restored.trainingImageFingerprint != fingerprint {
                pendingWarnings.append("the training images differ from the checkpoint's (\(restored.trainingImageCount) images then, "
                                       + "\(trainingImages.count) now): the run continues, but not exactly as it would have")
                state.trainingImageCount = trainingImages.count
                state.trainingImageFingerprint = fingerprint
            }
        }
    }

    private var pendingWarnings: [String] = []

    /// Copies into `tokenizer` every parameter that `file` holds (`WeightsFile.loadShared`); the
    /// parameters of layers the file's model lacks keep their initialisation (a layer that starts
    /// as the identity, like the convolutional head, then changes nothing at first). Returns the
    /// training record line: the file, its steps and hours, and which parameters started fresh.
    /// A layered model file warm-starts a convolutional model from its detail layer (to train it on).
    static func warmStart(_ tokenizer: any ImageTokenizer, from file: WeightsFile, path: String) throws(TrainingError) -> String {
        let fresh: [Parameter]
        let isLayered = file.metadata[TokenizerRegistry.architectureKey] == LayeredConfig.architecture
        let file = isLayered && tokenizer is ConvolutionalTokenizer ? LayeredTokenizer.detailWeights(of: file) : file
        do {
            fresh = try file.loadShared(into: tokenizer.parameters)
        } catch {
            throw .warmStart("\(path) has another architecture: \(error)")
        }
        guard fresh.count < tokenizer.parameters.count else {
            throw .warmStart("\(path) holds none of the model's parameters")
        }
        let history = ["steps", "hours"].compactMap { file.metadata["vtok.training." + $0] }
        return "\(path) (" + (history.isEmpty ? "no training record" : history.joined(separator: ", "))
            + (fresh.isEmpty ? "" : "; new: " + fresh.map(\.name).joined(separator: ", ")) + ")"
    }

    /// Names and sizes of the training images, hashed (FNV-1a): equal for the same data set.
    static func fingerprint(_ images: [(path: String, image: RGBImage)]) -> String {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for (path, image) in images {
            for byte in "\((path as NSString).lastPathComponent) \(image.width)x\(image.height);".utf8 {
                hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
            }
        }
        return String(hash, radix: 16)
    }

    // MARK: The loop

    /// Trains until `config.totalSteps`, or `untilStep` if that comes first, or until `shouldStop`
    /// (checked between steps) returns true; writes a checkpoint and model.safetensors at the end.
    @discardableResult
    public func run(untilStep: Int? = nil, shouldStop: () -> Bool = { false }) throws(TrainingError) -> TrainingResult {
        try openLog()
        defer { try? logHandle?.close(); logHandle = nil }
        for warning in pendingWarnings { emit("warning: \(warning)") }
        pendingWarnings = []

        let target = min(config.totalSteps, untilStep ?? .max)
        let clock = RunClock(elapsed: state.elapsedSeconds, cpu: state.cpuSeconds)
        if state.step == 0 {
            emit("training \(tokenizer.parameterCount) parameters on \(data.images.count) images "
                 + "(\(config.model.architecture), \(config.model.shape.workingResolution)x\(config.model.shape.workingResolution), batch \(config.batchSize), "
                 + "\(config.totalSteps) steps), validating on \(validation?.count ?? 0)")
        } else {
            emit("resuming at step \(state.step)/\(config.totalSteps) (\(state.imagesSeen) images seen, "
                 + "\(formatDuration(state.elapsedSeconds)) trained)")
        }
        if state.step == 0 && validationEnabled { validate(clock: clock) }

        var window = Window(start: clock.now, cpuStart: clock.cpu)
        let runStart = clock.now, stepAtStart = state.step
        var lastCheckpoint = clock.now
        var interrupted = false
        let parameters = tokenizer.parameters

        while state.step < target {
            if shouldStop() {
                interrupted = true
                break
            }
            let t0 = clock.now
            let kept = data.fillBatch(batch, firstSample: state.imagesSeen, rng: &state.rng)
            let t1 = clock.now
            for parameter in parameters { parameter.zeroGrad() }
            let losses = tokenizer.trainingStep(images: batch, keptLengths: kept)
            let norm = clipGradientNorm(of: parameters, maxNorm: config.gradientClip)
            let learningRate = schedule.learningRate(at: state.step)
            if norm.isFinite && losses.total.isFinite {
                optimizer.update(learningRate: learningRate)
                ema.update()
                window.add(losses, norm: norm)
            } else {
                state.skippedSteps += 1
                emit("step \(state.step + 1): gradient norm \(norm), loss \(losses.total): step skipped "
                     + "(\(state.skippedSteps) so far)")
            }
            state.step += 1
            state.imagesSeen += config.batchSize
            onStep?(state.step, losses)
            let t2 = clock.now
            window.dataSeconds += t1 - t0
            window.stepSeconds += t2 - t1
            window.images += config.batchSize

            let stepsPerSecond = Double(state.step - stepAtStart) / max(t2 - runStart, 1e-9)
            let eta = Double(config.totalSteps - state.step) / stepsPerSecond
            let line = progressLine(window: window, learningRate: learningRate, now: t2, cpu: clock.cpu, eta: eta)
            if state.step % config.logIntervalSteps == 0 || state.step == target {
                emit(line)
                window = Window(start: t2, cpuStart: clock.cpu)
            } else {
                report(.status(line))
            }
            if validationEnabled && (state.step % config.validationIntervalSteps == 0 || state.step == config.totalSteps) {
                validate(clock: clock)
            }
            if clock.now - lastCheckpoint >= config.checkpointIntervalSeconds && state.step < target {
                try writeCheckpoint(clock: clock)
                lastCheckpoint = clock.now
            }
        }
        try writeCheckpoint(clock: clock)
        let finished = state.step >= config.totalSteps
        if interrupted {
            emit("interrupted at step \(state.step)/\(config.totalSteps); checkpoint written")
        } else if finished {
            emit("done: \(state.step) steps, \(formatDuration(state.elapsedSeconds)); model in \(output.model)")
        } else {
            emit("stopped at step \(state.step)/\(config.totalSteps); checkpoint written")
        }
        return TrainingResult(step: state.step, finished: finished, interrupted: interrupted, lastValidation: lastValidation)
    }

    private var validationEnabled: Bool {
        config.validationIntervalSteps > 0 && validation != nil && !config.validationTokenCounts.isEmpty
    }

    // MARK: Validation

    /// Validation scores per k with the moving-average weights, without logging.
    public func validationScores() -> ValidationSet.Scores? {
        guard let validation else { return nil }
        return ema.withAverageWeights { validation.measure(tokenizer, tokenCounts: config.validationTokenCounts) }
    }

    /// Mean validation PSNR per k with the moving-average weights, without logging.
    public func validationPSNR() -> [Int: Double]? { validationScores()?.psnr }

    private func validate(clock: RunClock) {
        let start = clock.now
        guard let scores = validationScores() else { return }
        let psnr = scores.psnr
        lastValidation = psnr
        let ks = config.validationTokenCounts
        emit("validation at step \(state.step): psnr " + ks.map { "k\($0) \(fixed(psnr[$0]!, 2))" }.joined(separator: " ")
             + " (\(fixed(clock.now - start, 1)) s)")
        let psnrJSON = ks.map { "\"\($0)\":\(fixed(psnr[$0]!, 4))" }.joined(separator: ",")
        var bytesJSON = ""
        if let bytes = scores.bytes {
            emit("validation at step \(state.step): mean file bytes " + ks.map { "k\($0) \(fixed(bytes[$0]!, 1))" }.joined(separator: " "))
            bytesJSON = ",\"bytes\":{" + ks.map { "\"\($0)\":\(fixed(bytes[$0]!, 2))" }.joined(separator: ",") + "}"
        }
        let line = "{\"step\":\(state.step),\"images_seen\":\(state.imagesSeen),"
            + "\"seconds\":\(fixed(clock.elapsed, 2)),\"cpu_seconds\":\(fixed(clock.cpu, 2)),\"psnr\":{\(psnrJSON)}\(bytesJSON)}\n"
        append(line, to: output.validationLog)
    }

    // MARK: Checkpoints

    /// Writes checkpoint.safetensors (exact state) and model.safetensors (EMA weights, F16), each
    /// atomically and durably (write to a temporary file, fsync, rename).
    public func writeCheckpoint() throws(TrainingError) {
        try writeCheckpoint(clock: RunClock(elapsed: state.elapsedSeconds, cpu: state.cpuSeconds))
    }

    private func writeCheckpoint(clock: RunClock) throws(TrainingError) {
        let start = clock.now
        state.elapsedSeconds = clock.elapsed
        state.cpuSeconds = clock.cpu
        var file = WeightsFile()
        file.add(tokenizer.parameters, prefix: CheckpointKey.parameterPrefix)
        optimizer.save(into: &file)
        ema.save(into: &file)
        file.metadata[CheckpointKey.modelConfig] = Self.json(config.model)
        file.metadata[CheckpointKey.trainingConfig] = config.jsonString(pretty: false)
        file.metadata[CheckpointKey.state] = Self.json(state)
        do {
            // Write, fsync, rename (AtomicFile): a kill at any moment leaves a checkpoint that loads.
            try AtomicFile.write(try file.serialized(as: .float32), to: output.checkpoint)
            try AtomicFile.write(try modelWeights().serialized(as: .float16), to: output.model)
        } catch {
            throw .output("cannot write the checkpoint: \(error)")
        }
        emit("checkpoint at step \(state.step) written (\(fixed(clock.now - start, 1)) s)")
    }

    /// Free-form lines added to model.safetensors' training record (`vtok.training.<key>`, shown
    /// by `vtok info --model`), e.g. the command line and the data directory.
    public var record: [String: String] = [:]

    /// The moving-average weights with the model config and a training record: the contents of
    /// model.safetensors.
    public func modelWeights() -> WeightsFile {
        var lines = record
        lines["steps"] = "\(state.step) of \(config.totalSteps), batch \(config.batchSize)"
        lines["images"] = "\(state.imagesSeen) samples from \(state.trainingImageCount) training images"
        lines["hours"] = "\(fixed(state.elapsedSeconds / 3600, 2)) wall, \(fixed(state.cpuSeconds / 3600, 2)) CPU"
        if let warmStart = state.warmStart { lines["warm_start"] = warmStart }
        if let lastValidation, let validation {
            lines["validation"] = config.validationTokenCounts.map { "k\($0) \(fixed(lastValidation[$0]!, 2))" }
                .joined(separator: " ") + " dB PSNR on \(validation.count) images at \(validation.nativeResolution)px"
        }
        let metadata = Dictionary(uniqueKeysWithValues: lines.map { ("vtok.training." + $0.key, $0.value) })
        return ema.withAverageWeights { tokenizer.weightsFile(extraMetadata: metadata) }
    }

    static func json<Value: Encodable>(_ value: Value) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try! encoder.encode(value), as: UTF8.self)
    }

    // MARK: Progress

    /// Means over the steps since the last kept progress line.
    struct Window {
        var start: Double
        var cpuStart: Double
        var steps = 0
        var total = 0.0, reconstruction = 0.0, norm = 0.0
        /// The architecture's own loss terms, summed, in the order they come.
        var terms: [(name: String, sum: Double)] = []
        var dataSeconds = 0.0, stepSeconds = 0.0
        var images = 0

        mutating func add(_ losses: TrainingLosses, norm: Float) {
            steps += 1
            total += Double(losses.total)
            reconstruction += Double(losses.reconstruction)
            for term in losses.terms {
                if let index = terms.firstIndex(where: { $0.name == term.name }) {
                    terms[index].sum += Double(term.value)
                } else {
                    terms.append((term.name, Double(term.value)))
                }
            }
            self.norm += Double(norm)
        }
    }

    private func progressLine(window: Window, learningRate: Float, now: Double, cpu: Double, eta: Double) -> String {
        let n = Double(max(window.steps, 1))
        let mse = window.reconstruction / n
        var parts = ["step \(state.step)/\(config.totalSteps)"]
        if window.steps > 0 {
            parts += ["loss \(fixed(window.total / n, 5))", "psnr \(fixed(mse > 0 ? -10 * log10(mse) : 99, 2))"]
                + window.terms.map { "\($0.name) \(fixed($0.sum / n, 4))" } + ["gnorm \(fixed(window.norm / n, 3))"]
        }
        parts.append("lr \(scientific(learningRate))")
        let seconds = max(now - window.start, 1e-9)
        // Cores busy: below the core count when other processes share the machine.
        parts.append("\(fixed(Double(window.images) / seconds, 1)) img/s (\(fixed((cpu - window.cpuStart) / seconds, 1)) cores)")
        let busy = window.dataSeconds + window.stepSeconds
        // The batch pipeline's time per step, and its share of the step: the pipeline is not worth
        // overlapping with the step while this stays near zero.
        let batches = Double(max(window.images / config.batchSize, 1))
        parts.append("data \(fixed(1000 * window.dataSeconds / batches, 1)) ms (\(fixed(100 * window.dataSeconds / max(busy, 1e-9), 2))%)")
        parts.append("ETA \(eta.isFinite ? formatDuration(eta) : "?")")
        if state.skippedSteps > 0 { parts.append("skipped \(state.skippedSteps)") }
        if let lastValidation {
            parts.append("| val psnr " + config.validationTokenCounts.map { "k\($0) \(fixed(lastValidation[$0]!, 1))" }
                .joined(separator: " "))
        }
        return parts.joined(separator: "  ")
    }

    private func emit(_ line: String) {
        report(.line(line))
        if let data = (line + "\n").data(using: .utf8) { try? logHandle?.write(contentsOf: data) }
    }

    private func openLog() throws(TrainingError) {
        let manager = FileManager.default
        if !manager.fileExists(atPath: output.log) { _ = manager.createFile(atPath: output.log, contents: nil) }
        guard let handle = FileHandle(forWritingAtPath: output.log) else {
            throw .output("cannot write \(output.log)")
        }
        _ = try? handle.seekToEnd()
        logHandle = handle
    }

    private func append(_ text: String, to path: String) {
        let manager = FileManager.default
        if !manager.fileExists(atPath: path) { _ = manager.createFile(atPath: path, contents: nil) }
        guard let handle = FileHandle(forWritingAtPath: path) else {
            emit("warning: cannot write \(path)")
            return
        }
        defer { try? handle.close() }
        _ = try? handle.seekToEnd()
        try? handle.write(contentsOf: Data(text.utf8))
    }
}

// MARK: Clocks and formatting

/// Monotonic wall time and process CPU time, offset by what earlier processes of the run spent.
struct RunClock {
    let wallStart: Double
    let cpuStart: Double
    let elapsedBefore: Double
    let cpuBefore: Double

    init(elapsed: Double, cpu: Double) {
        wallStart = Self.monotonic()
        cpuStart = Self.processCPU()
        elapsedBefore = elapsed
        cpuBefore = cpu
    }

    var now: Double { Self.monotonic() }
    /// Seconds of the run, all processes.
    var elapsed: Double { elapsedBefore + Self.monotonic() - wallStart }
    var cpu: Double { cpuBefore + Self.processCPU() - cpuStart }

    static func monotonic() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
    }

    /// User + system CPU seconds of this process (all threads), from getrusage.
    static func processCPU() -> Double {
        var usage = rusage()
        #if canImport(Glibc)
        let who = RUSAGE_SELF.rawValue
        #else
        let who = RUSAGE_SELF
        #endif
        guard getrusage(who, &usage) == 0 else { return 0 }
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) * 1e-6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }
}

func fixed(_ value: Double, _ digits: Int) -> String {
    guard value.isFinite else { return "\(value)" }
    return String(format: "%.\(digits)f", value)
}

func scientific(_ value: Float) -> String { String(format: "%.2e", Double(value)) }

/// "45s", "12m05s", "3h07m".
public func formatDuration(_ seconds: Double) -> String {
    guard seconds.isFinite, seconds >= 0 else { return "?" }
    let s = Int(seconds.rounded())
    if s < 60 { return "\(s)s" }
    if s < 3600 { return String(format: "%dm%02ds", s / 60, s % 60) }
    return String(format: "%dh%02dm", s / 3600, (s % 3600) / 60)
}
