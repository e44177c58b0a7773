import ArgumentParser
import Foundation
import VTokEval
import VTokImage
import VTokNN

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure speed: the NN core, or the codec next to libwebp.",
        subcommands: [BenchNN.self, BenchCodec.self])
}

struct BenchNN: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nn",
        abstract: "SGEMM, a transformer training step and an inference pass, in GFLOP/s from counted FLOPs.",
        discussion: """
        Runs in one process, so the three figures are comparable: a training step reaching 35% of the SGEMM figure, and inference 50%, means the non-GEMM work (norms, softmax, GELU, attention bookkeeping) is not the bottleneck.

        Example:
          vtok bench nn --json | jq .train_step_gflops
        """)

    @Flag(help: "Print one JSON object.")
    var json = false

    func run() throws {
        let result = NNBenchmark.run()
        print(json ? try jsonText(result) : result.summary)
    }

}

struct BenchCodec: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "codec",
        abstract: "Encode and decode speed of vtok at K tokens next to libwebp, on the same 256x256 images.",
        discussion: """
        Images come from --images (shorter side to 256 with Lanczos, center crop), or by default are the project's sample scenes (those in samples/, rendered in memory, so it runs from any directory). Whole-file encode and decode are timed per image, vtok and WebP interleaved in one process.

        Example:
          vtok bench codec --images ../shared/data/kodak --tokens 64 --json
        """)

    @Option(help: "A directory of PNG/JPEG images (default: the sample scenes of samples/, rendered in memory).")
    var images: String?

    @Option(help: "Images to use at most.")
    var limit = 8

    @Option(help: "Tokens per image to encode and decode (default: all of the model's).")
    var tokens: Int?

    @Option(help: "Rounds over the images.")
    var repetitions = 3

    @OptionGroup var model: ModelOptions

    @Flag(help: "Print one JSON object.")
    var json = false

    func run() throws {
        let codec = try model.load()
        let loaded = try benchImages().prefix(limit).map { try $0().tokenizerPreprocessed(size: 256) }
        let count = tokens ?? codec.shape.maxTokens
        guard (0...codec.shape.maxTokens).contains(count) else {
            throw CLIError.usage("--tokens \(count): the model has \(codec.shape.maxTokens)")
        }
        let result = try CodecBenchmark.run(codec: codec, images: loaded, tokens: count, repetitions: repetitions)
        print(json ? try jsonText(result) : result.summary)
    }

    /// Loaders for the images to time, in a fixed order.
    private func benchImages() throws -> [() throws -> RGBImage] {
        guard let images else {
            // The scenes `vtok samples` writes to samples/, at the same sizes.
            let sizes: [SyntheticScene: (Int, Int)] = [.testCard: (512, 384), .landscape: (480, 320), .still: (400, 400)]
            return SyntheticScene.allCases.map { scene in { scene.render(width: sizes[scene]!.0, height: sizes[scene]!.1) } }
        }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: images)
        } catch {
            throw CLIError.badInput("cannot list --images \(images): "
                + (FileManager.default.fileExists(atPath: images) ? error.localizedDescription : "no such directory"))
        }
        let kept = names.filter { ["png", "jpg", "jpeg"].contains(($0 as NSString).pathExtension.lowercased()) }.sorted()
        guard !kept.isEmpty else { throw CLIError.badInput("no PNG or JPEG images in \(images)") }
        return kept.map { name in { try ImageFile.load(path: (images as NSString).appendingPathComponent(name)) } }
    }
}
