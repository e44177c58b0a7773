import ArgumentParser
import Foundation
import VTokEval
import VTokModel

struct Tokenize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Turn a tree of images into shards of token ids for training (.npy + manifest).",
        discussion: """
        Every PNG or JPEG under the inputs (folders are walked recursively, in sorted order) is stretched to the model's square and tokenized, many images per network pass. The output folder gets:
          shard-00000.npy ...  arrays of shape (n, K), the smallest unsigned type holding an id (uint16 for 12-bit ids): numpy.load, or torch.from_numpy(numpy.load(f).astype('int64'))
          manifest.jsonl       one line per image: {"file", "shard", "row", "width", "height"} (the original size), or {"file", "error"} for an image that could not be read
          tokenize.json, files.txt   the settings and the file list, checked when resuming

        Interrupted, the same command resumes: finished shards are kept and skipped (each is written to a temporary file and renamed). Progress goes to stderr: a bar with images/s and ETA on a terminal, otherwise a plain line now and then.

        The closing line gives images/s, and the network's own time and GFLOP/s. The next batch is read and resized while the network runs, on the same cores, so that time includes their contention; `vtok bench tokenize` measures the network alone against the machine's SGEMM rate.

        Examples:
          vtok tokenize photos/ --out tokens/
          vtok tokenize train/ val/ --out tokens/ --tokens 64 --shard-size 10000
          python3 -c "import numpy; print(numpy.load('tokens/shard-00000.npy').shape)"
        """)

    @Argument(help: "PNG or JPEG images, or folders of them (walked recursively).")
    var inputs: [String]

    @Option(help: "Output folder for the shards and the manifest.")
    var out: String

    @Option(help: "Tokens per image to keep (a prefix; default all of the model's K).")
    var tokens: Int?

    @Option(help: "Images per shard.")
    var shardSize = 4096

    @Option(help: "Images per network pass (1 runs the network image by image).")
    var batchSize = 16

    @OptionGroup var model: ModelOptions

    func validate() throws {
        if let tokens, tokens < 1 { throw ValidationError("--tokens must be 1 or more") }
        if shardSize < 1 { throw ValidationError("--shard-size must be 1 or more") }
        if batchSize < 1 { throw ValidationError("--batch-size must be 1 or more") }
    }

    func run() throws {
        let files: [(path: String, name: String)]
        do {
            files = try DatasetTokenizer.imageFiles(inputs)
        } catch {
            throw CLIError.badInput("\(error)")
        }
        let codec = try model.load()
        let tokenizer: DatasetTokenizer
        do {
            tokenizer = try DatasetTokenizer(codec: codec, options: .init(tokens: tokens, shardSize: shardSize, batchSize: batchSize))
        } catch {
            throw CLIError.usage("\(error)")
        }
        let progress = RateProgress(total: files.count, noun: "images")
        let summary: DatasetTokenizer.Summary
        do {
            summary = try tokenizer.run(files: files, output: out, warn: { progress.interrupt(with: "vtok: warning: \($0)") },
                                        progress: { progress.update($0) })
        } catch let error as DatasetError where error.isConflict {
            progress.finish()
            throw CLIError.usage(error.description)
        } catch {
            progress.finish()
            throw CLIError.outputFailed("\(error)")
        }
        progress.finish()
        var line = "tokenized \(summary.images) images into \(summary.shards) shards in \(out) in "
            + String(format: "%.1f s (%.1f images/s", summary.seconds, summary.imagesPerSecond)
        if summary.networkSeconds > 0 {
            line += String(format: "; network %.1f s, %.1f images/s, %.1f GFLOP/s", summary.networkSeconds,
                           Double(summary.images) / summary.networkSeconds, summary.networkGFLOPS)
        }
        line += ")"
        if summary.skippedShards > 0 { line += "; \(summary.skippedShards) finished shards kept" }
        if summary.failed > 0 { line += "; \(summary.failed) images could not be read (see manifest.jsonl)" }
        writeStderr(line + "\n")
    }
}

/// "images 1200/5000 [=====     ] 24%  85.3 images/s  ETA 0:44" redrawn on a terminal; elsewhere
/// (a log, CI) a plain line every 10 seconds at most, and one at the end.
final class RateProgress {
    private let total: Int
    private let noun: String
    private let start = Date()
    private let isTerminal = isatty(STDERR_FILENO) != 0
    private var done = 0
    private var lastPlain = Date.distantPast
    private var drawn = false

    init(total: Int, noun: String) {
        (self.total, self.noun) = (total, noun)
    }

    func update(_ done: Int) {
        self.done = done
        if isTerminal {
            writeStderr("\r" + line() + "   ")
            drawn = true
        } else if Date().timeIntervalSince(lastPlain) >= 10 && done < total {
            writeStderr(line() + "\n")
            lastPlain = Date()
        }
    }

    /// A warning on its own line, the bar redrawn after it.
    func interrupt(with message: String) {
        if isTerminal && drawn { writeStderr("\n") }
        writeStderr(message + "\n")
        drawn = false
    }

    func finish() {
        if isTerminal && drawn { writeStderr("\n") }
        if !isTerminal && done > 0 { writeStderr(line() + "\n") }
    }

    private func line() -> String {
        let elapsed = Date().timeIntervalSince(start)
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let width = 24, filled = total == 0 ? width : done * width / total
        var text = "\(noun) \(done)/\(total) [" + String(repeating: "=", count: filled) + String(repeating: " ", count: width - filled)
            + "] \(done * 100 / max(total, 1))%  " + String(format: "%.1f %@/s", rate, noun)
        if done < total && rate > 0 {
            let remaining = Int(Double(total - done) / rate)
            text += "  ETA \(remaining / 60):" + String(format: "%02d", remaining % 60)
        }
        return text
    }
}
