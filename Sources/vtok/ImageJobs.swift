import Dispatch
import Foundation
import VTokEval
import VTokModel

/// The input → output pairs of a batch verb (encode, decode), run on parallel workers (one per
/// processor unless `--jobs` says otherwise) with a progress bar. One input may write to a file path; several inputs or a directory write into an
/// output directory, one file per input named after it.
struct ImageJobs {
    let pairs: [(input: String, output: String)]

    init(inputs: [String], output: String, outputExtension: String, inputExtensions: Set<String>) throws {
        let fileManager = FileManager.default
        var files: [String] = []
        var sawDirectory = false
        for input in inputs {
            var isDirectory: ObjCBool = false
            guard fileManager.fileExists(atPath: input, isDirectory: &isDirectory) else {
                throw CLIError.badInput("no such file or directory: \(input)")
            }
            if isDirectory.boolValue {
                sawDirectory = true
                let names = (try? fileManager.contentsOfDirectory(atPath: input)) ?? []
                files += names.filter { inputExtensions.contains(($0 as NSString).pathExtension.lowercased()) }
                    .sorted().map { (input as NSString).appendingPathComponent($0) }
            } else {
                files.append(input)
            }
        }
        guard !files.isEmpty else {
            throw CLIError.badInput("no input files (looked for .\(inputExtensions.sorted().joined(separator: ", .")))")
        }
        var isDirectory: ObjCBool = false
        let outputIsExistingDirectory = fileManager.fileExists(atPath: output, isDirectory: &isDirectory) && isDirectory.boolValue
        let outputIsDirectory = files.count > 1 || sawDirectory || outputIsExistingDirectory
        if outputIsDirectory {
            // "-o single.vtok" with several inputs is a slip, not a request for a directory of that name.
            let fileExtensions: Set = [outputExtension, "vtok", "png", "jpg", "jpeg"]
            if fileExtensions.contains((output as NSString).pathExtension.lowercased()) && !outputIsExistingDirectory {
                throw CLIError.usage("\(files.count) inputs\(sawDirectory ? " (from a directory)" : "") cannot go to one file \(output); "
                                     + "name an output directory instead (one .\(outputExtension) per input is written into it)")
            }
            do {
                try fileManager.createDirectory(atPath: output, withIntermediateDirectories: true)
            } catch {
                throw CLIError.outputFailed("cannot create directory \(output): \(error.localizedDescription)")
            }
            let names = files.map { (($0 as NSString).lastPathComponent as NSString).deletingPathExtension + "." + outputExtension }
            if let clash = Dictionary(grouping: names, by: { $0 }).first(where: { $0.value.count > 1 }) {
                throw CLIError.usage("two inputs would both be written to \(clash.key) in \(output)")
            }
            pairs = zip(files, names).map { ($0, (output as NSString).appendingPathComponent($1)) }
        } else {
            pairs = [(files[0], output)]
        }
    }

    /// Runs `work` for every pair. Each worker has its own codec (they hold scratch buffers). With
    /// one pair the error goes straight to the caller; with several, every failure is reported and
    /// the others still run, and the verb fails at the end with the worst status.
    func run(model: ModelOptions, workers requested: Int? = nil,
             _ work: @escaping (VTokCodec, String, String) throws -> Void) throws {
        if pairs.count == 1 {
            try work(try model.load(), pairs[0].input, pairs[0].output)
            return
        }
        let workers = min(requested ?? Self.defaultWorkers, pairs.count)
        let codecs = try (0..<workers).map { _ in try model.load() }
        let state = JobState(progress: ProgressBar(total: pairs.count))
        let pairs = pairs
        // Each worker touches only its own codec; `work` captures nothing mutable.
        let shared = WorkerResources(codecs: codecs, work: work)
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            while let index = state.next(limit: pairs.count) {
                do {
                    try shared.work(shared.codecs[worker], pairs[index].input, pairs[index].output)
                    state.finished(failure: nil)
                } catch {
                    state.finished(failure: CLIError.describing(error, input: pairs[index].input))
                }
            }
        }
        state.progress.finish()
        if !state.failures.isEmpty {
            for failure in state.failures { writeStderr("vtok: error: \(failure.message)\n") }
            let worst = state.failures.map(\.status.rawValue).max()!
            throw CLIError(status: ExitStatus(rawValue: worst)!, message: "\(state.failures.count) of \(pairs.count) files failed")
        }
    }
}

extension ImageJobs {
    /// One worker per processor this process may use (each holds its own copy of the model).
    static var defaultWorkers: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }
}

private struct WorkerResources: @unchecked Sendable {
    let codecs: [VTokCodec]
    let work: (VTokCodec, String, String) throws -> Void
}

/// Shared between the workers: the next job, failures, and the progress bar.
private final class JobState: @unchecked Sendable {
    let progress: ProgressBar
    private(set) var failures: [CLIError] = []
    private let jobs = WorkCounter()
    private let lock = NSLock()

    init(progress: ProgressBar) { self.progress = progress }

    func next(limit: Int) -> Int? { jobs.take(below: limit) }

    func finished(failure: CLIError?) {
        lock.withLock { if let failure { failures.append(failure) } }
        progress.advance()
    }
}

extension CLIError {
    /// A library error as the CLI reports it, with the file it concerns.
    static func describing(_ error: Error, input: String) -> CLIError {
        if let error = error as? CLIError { return error }
        return .badInput("\(input): \(error)")
    }
}
