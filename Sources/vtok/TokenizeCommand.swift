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

        Parquet shards, and datasets spread over many machines, are the Python package's: vtok.ray runs the same tokenization on a Ray cluster (README, "On many machines (Ray)"); this verb writes .npy only.

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
        let progress = ProgressBar(total: files.count)
        let summary: DatasetTokenizer.Summary
        do {
            summary = try tokenizer.run(files: files, output: out, warn: { progress.line("vtok: warning: \($0)") },
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
