import ArgumentParser
import Foundation
import VTokEval
import VTokImage
import VTokNN

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure speed: the NN core, the codec next to libwebp, or tokenizing next to SGEMM.",
        subcommands: [BenchNN.self, BenchCodec.self, BenchTokenize.self])
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
        let loaded = try benchImages(images).prefix(limit).map { try $0().tokenizerPreprocessed(size: 256) }
        let count = tokens ?? codec.shape.maxTokens
        guard (0...codec.shape.maxTokens).contains(count) else {
            throw CLIError.usage("--tokens \(count): the model has \(codec.shape.maxTokens)")
        }
        let result = try CodecBenchmark.run(codec: codec, images: loaded, tokens: count, repetitions: repetitions)
        print(json ? try jsonText(result) : result.summary)
    }
}

struct BenchTokenize: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "The network part of `vtok tokenize` at 16 images a pass and at 1, next to SGEMM 1024^3.",
        discussion: """
        Times what `vtok tokenize` counts as its network (the area step to the model's working resolution, the encoder, the token ids) on images already in memory at 256x256 (from --images: shorter side to 256 with Lanczos, centre crop; by default the sample scenes, repeated), alternating with SGEMM 1024^3 on all cores in one process; the best of --rounds rounds counts. GFLOP/s are the encoder's counted FLOPs over the time.

        Example:
          vtok bench tokenize --images ../shared/data/val --limit 64
        """)

    @Option(help: "A directory of PNG/JPEG images (default: the sample scenes of samples/, rendered in memory).")
    var images: String?

    @Option(help: "Images to use (the default scenes are repeated up to it).")
    var limit = 64

    @Option(help: "Rounds; the best counts.")
    var rounds = 3

    @OptionGroup var model: ModelOptions

    @Flag(help: "Print one JSON object.")
    var json = false

    func run() throws {
        guard limit > 0, rounds > 0 else { throw CLIError.usage("--limit and --rounds must be positive") }
        let codec = try model.load()
        let loaders = try benchImages(images)
        let loaded = try (0..<min(limit, images == nil ? limit : loaders.count)).map {
            try loaders[$0 % loaders.count]().tokenizerPreprocessed(size: codec.shape.resolution)
        }
        let result = TokenizeBenchmark.run(codec: codec, images: loaded, rounds: rounds)
        print(json ? try jsonText(result) : result.summary)
    }
}

/// Loaders for the images to time, in a fixed order.
func benchImages(_ images: String?) throws -> [() throws -> RGBImage] {
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
