import ArgumentParser
import Foundation
import VTokContainer
import VTokImage
import VTokModel
import VTokNN
import VTokTraining

struct Prior: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Estimate a model's token prior and store it in the model file, so that files are arithmetic-coded.",
        discussion: """
        A .vtok version 2 file codes each token's groups under the model's prior: one distribution per token position and group, as integer frequencies, stored in the weights file (and so covered by the model id). This verb encodes every image under --data as `vtok encode` would (whole image, all tokens), counts each position's and group's values, adds --smoothing to every count, and writes the model with that prior to --output. The tensors are unchanged, but the file, and so the model id, is new: files written with the old model must be decoded with the old model.

        A layered model (vtok layer) keeps its base layer's tables, so that its base model's files still read (and those of the layered model it extends, with their contexts), and gets --contexts counted tables per detail channel, counted over each image coded at its own size: each detail token is coded with the table that the same block's activity in the --context-window channels before it picks (spec/vtok.md §15.1.2), so busy regions and flat ones each get their own statistics. --contexts 1 gives one table per channel.

        --val reports the mean bits per token under the new prior on other images (all tokens, the first 16 and the first 64), next to the raw width: choose the smoothing there, never on a test set.

        Example:
          vtok prior --data ../shared/data/train --val ../shared/data/val --model runs/v5/model.safetensors -o runs/v5/model-with-prior.safetensors
        """)

    @Option(help: "Directory of images (PNG, JPEG) to estimate the prior on, searched recursively.")
    var data: String

    @Option(help: "Directory of images to measure bits per token on (optional).")
    var val: String?

    @Option(help: "Count added to every position, group and value before normalising.")
    var smoothing = 0.5

    @Option(help: "Layered models: counted tables per detail channel, picked per token by the earlier channels (1: one table a channel; default 16).")
    var contexts: Int?

    @Option(help: "Layered models: how many earlier channels pick a detail token's table (default 16).")
    var contextWindow: Int?

    @OptionGroup var model: ModelOptions

    @Option(name: [.short, .customLong("output")], help: "Where to write the model file with its prior (may be the input).")
    var output: String

    func validate() throws {
        guard smoothing.isFinite, smoothing > 0 else { throw ValidationError("--smoothing must be a positive number (every value needs a nonzero frequency)") }
        guard (1...64).contains(contexts ?? 1), (contextWindow ?? 0) >= 0 else {
            throw ValidationError("--contexts must be in 1...64 and --context-window 0 or more")
        }
    }

    func run() throws {
        let path = try model.resolvedPath()
        let codec = try model.load()
        let images = try load(data)
        let prior: StaticTokenPrior
        var config: LayeredConfig?
        if let layered = codec.tokenizer as? LayeredTokenizer {
            // A model that reads the files of the models it extends keeps their tables, and so their contexts.
            let extends = !codec.leadingCodecs.isEmpty
            config = layered.config
            config!.detailPriorContexts = contexts ?? (extends ? layered.config.detailPriorContexts : 16)
            config!.detailPriorWindow = contextWindow ?? (extends ? layered.config.detailPriorWindow : 16)
            do {
                try config!.validate()
            } catch {
                throw CLIError.badInput("\(error)")
            }
            prior = try PriorEstimation.layeredPrior(codec: codec, images: images, smoothing: smoothing,
                                                     contexts: config!.detailPriorContexts, contextWindow: config!.detailPriorWindow)
        } else {
            guard contexts == nil && contextWindow == nil else {
                throw CLIError.badInput("--contexts and --context-window are for layered models; this one codes every position with its own table")
            }
            let counts = PriorEstimation.counts(codec: codec, images: images)
            prior = try PriorEstimation.prior(layout: codec.layout, positions: codec.shape.maxTokens, counts: counts, smoothing: smoothing)
        }
        let bytes = try PriorEstimation.weightsFile(try FileIO.read(path), adding: prior, config: config)
        try FileIO.write(bytes, to: output)
        let newID = ModelID(weightsFile: bytes)
        print("\(output): model \(newID) (was \(codec.modelID)), prior from \(images.count) images, smoothing \(smoothing)")
        print(String(format: "  prior entropy %.2f bits a token (raw ids: %d bits)", prior.meanEntropyBits, codec.layout.bitsPerToken))
        if let val, let coding = codec.codingPrior, codec.fullResolution != nil {
            // Bits of the detail tokens, under the learned prior and the counted one, each sized to the image.
            let newCoding = try VTokCodec(weightsFileBytes: bytes).codingPrior!
            var before = 0.0, after = 0.0, count = 0
            for image in try load(val) {
                let tokens = codec.encode(image).tokens
                let n = tokens[0].count
                before += PriorEstimation.meanBits(of: tokens, under: coding.sized(width: image.width, height: image.height)) * Double(n)
                after += PriorEstimation.meanBits(of: tokens, under: newCoding.sized(width: image.width, height: image.height)) * Double(n)
                count += n
            }
            print(String(format: "  %@: %.3f bits a token under the new prior, %.3f under the old, over all %d tokens",
                         val, after / Double(count), before / Double(count), count))
        } else if let val {
            let tokens = try load(val).flatMap { codec.encode($0).tokens }
            print(String(format: "  %@: %.2f bits a token over all %d, %.2f over the first 16, %.2f over the first 64",
                         val, PriorEstimation.meanBits(of: tokens, under: prior), codec.shape.maxTokens,
                         PriorEstimation.meanBits(of: tokens, under: prior, firstTokens: 16),
                         PriorEstimation.meanBits(of: tokens, under: prior, firstTokens: 64)))
        }
    }

    private func load(_ directory: String) throws -> [RGBImage] {
        do {
            return try ImageDirectory.load(directory: directory) { warn($0) }.map(\.image)
        } catch {
            throw CLIError.badInput("\(error)")
        }
    }
}
