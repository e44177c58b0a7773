import ArgumentParser
import Foundation
import VTokEval
import VTokModel

struct Detokenize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Turn arrays of token ids (.npy) back into PNG images.",
        discussion: """
        Each row of each shard (shape (n, k), or (k,) for one image; any integer dtype, k up to the model's K: a prefix decodes) becomes one PNG, many per network pass. When a manifest.jsonl written by vtok tokenize lies beside the shard, each image gets its original name (as .png) and size; otherwise SHARD-00000.png, SHARD-00001.png ... at the model's 256x256, or at --size.

        Examples:
          vtok detokenize tokens/shard-00000.npy --out decoded/
          vtok detokenize samples.npy --out generated/ --size 512x384

        Parquet shards (vtok.ray's) decode from Python: vtok.ray.detokenize(shard, out).
        """)

    @Argument(help: ".npy arrays of token ids.")
    var shards: [String]

    @Option(help: "Output folder for the PNG images.")
    var out: String

    @Option(help: "Width x height of every image (default: the manifest's, else the model's square).")
    var size: String?

    @OptionGroup var model: ModelOptions

    func parsedSize() throws -> (width: Int, height: Int)? {
        guard let size else { return nil }
        let parts = size.lowercased().split(separator: "x").compactMap { Int($0) }
        guard parts.count == 2, parts.allSatisfy({ (1...65535).contains($0) }) else {
            throw ValidationError("--size \(size): give WIDTHxHEIGHT, for example 256x256")
        }
        return (parts[0], parts[1])
    }

    func validate() throws { _ = try parsedSize() }

    func run() throws {
        let codec = try model.load()
        var items: [DatasetDetokenizer.Item] = []
        for shard in shards {
            if shard.lowercased().hasSuffix(".parquet") {
                throw CLIError.badInput("\(shard): the vtok command reads .npy shards (vtok tokenize's); no Parquet reader is packaged "
                                        + "for the system it builds on. Parquet shards (vtok.ray) decode from Python: "
                                        + "python3 -c 'import vtok.ray; vtok.ray.detokenize(\"\(shard)\", \"\(out)\")'")
            }
            do {
                items += try DatasetDetokenizer.items(shard: shard, size: try parsedSize(), native: codec.shape.resolution)
            } catch {
                throw CLIError.badInput("\(shard): \(error)")
            }
        }
        let maxTokens = codec.shape.maxTokens
        if let long = items.first(where: { $0.ids.count > maxTokens }) {
            throw CLIError.badInput("\(long.outputName): \(long.ids.count) tokens; the model has \(maxTokens)")
        }
        do {
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        } catch {
            throw CLIError.outputFailed("cannot create directory \(out): \(error.localizedDescription)")
        }
        let progress = ProgressBar(total: items.count)
        do {
            try DatasetDetokenizer.write(items, codec: codec, output: out) { progress.update($0) }
        } catch let error as TokenizerError {
            progress.finish()
            throw CLIError.badInput("\(error)")
        } catch {
            progress.finish()
            throw CLIError.outputFailed("\(error)")
        }
        progress.finish()
        writeStderr("wrote \(items.count) images to \(out)\n")
    }
}
