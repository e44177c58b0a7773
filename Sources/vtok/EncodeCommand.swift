import ArgumentParser
import Foundation
import VTokContainer
import VTokEval
import VTokImage
import VTokModel

struct Encode: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Turn PNG or JPEG images into .vtok token files.",
        discussion: """
        Choose the length with exactly one of:
          --tokens K        keep the first K tokens (more, more detail)
          --max-bytes N     the most tokens whose whole file fits in N bytes
          --target-psnr D   the fewest tokens that decode to D dB PSNR (8-bit RGB)
        Without any of them all of the model's tokens are kept. A file can always be cut further with vtok truncate: encoding K tokens and truncating to k gives exactly the k-token file.

        Sizes: the shipped model codes every image at its own size, with no stretching: its first 1536 tokens describe the whole image (a coarse picture of all of it, whatever its size), and the rest add detail at full resolution, more of them for a larger image (vtok info --model says how many). Models that fit images to a square (models/c2.safetensors) stretch the whole image to 256x256 and back, so K tokens describe it at any size; with --tiles they cut it into 256x256 tiles with K tokens each instead.

        Many inputs, or a directory, go to an output directory (created if needed), one NAME.vtok per image, encoded in parallel.

        Examples:
          vtok encode photo.png --tokens 32 -o photo.vtok
          vtok encode photo.jpg --max-bytes 200 -o photo.vtok      # a coarse picture of all of it
          vtok encode photo.jpg --max-bytes 60000 -o photo.vtok    # a full-size photo to keep
          vtok encode photos/ --target-psnr 22 -o tokens/
        """)

    @Argument(help: "PNG or JPEG images, or directories of them.")
    var inputs: [String]

    // .unconditional: "--tokens -5" reaches validate() (and its message) instead of reading as a flag.
    @Option(parsing: .unconditional, help: "Tokens to keep (per tile with --tiles).")
    var tokens: Int?

    @Option(help: "Largest file size in bytes, header included.")
    var maxBytes: Int?

    @Option(help: "Quality to reach, in dB of PSNR on 8-bit RGB.")
    var targetPsnr: Double?

    @Option(help: ArgumentHelp("How the payload stores the token ids: arithmetic (coded under the model's prior, the default when the model has one: fewer bytes) or raw (fixed-width ids, readable without the prior).", valueName: "coding"))
    var payload: PayloadChoice?

    @Flag(help: "Cut images into native-resolution tiles, each with its own tokens (models that fit images to a square).")
    var tiles = false

    @OptionGroup var model: ModelOptions

    @Option(name: [.short, .customLong("output")], help: "Output file (one input) or directory.")
    var output: String

    @Option(parsing: .unconditional, help: "Refuse images with more pixels than this (memory bound).")
    var maxPixels = ImageLimits.default.maxPixels

    @Option(parsing: .unconditional, help: "Images encoded at once (default: one per processor).")
    var jobs: Int?

    func validate() throws {
        let choices = [tokens != nil, maxBytes != nil, targetPsnr != nil].filter { $0 }.count
        guard choices <= 1 else { throw ValidationError("give at most one of --tokens, --max-bytes and --target-psnr") }
        if let tokens, tokens < 0 { throw ValidationError("--tokens must be 0 or more") }
        try validatePixelLimit(maxPixels)
        try validateJobs(jobs)
        if let targetPsnr, !(targetPsnr.isFinite && targetPsnr > 0) {
            throw ValidationError("--target-psnr must be a positive number of dB, got \(targetPsnr)")
        }
        if let maxBytes, maxBytes < FileFormat.smallestHeaderSize {
            throw ValidationError("--max-bytes must be at least \(FileFormat.smallestHeaderSize), the size of the smallest header")
        }
    }

    func run() throws {
        let jobs = try ImageJobs(inputs: inputs, output: output, outputExtension: "vtok",
                                 inputExtensions: ["png", "jpg", "jpeg"])
        let limits = ImageLimits(maxPixels: maxPixels)
        try jobs.run(model: model, workers: self.jobs) { codec, input, outputPath in
            let image = try CLIError.withPixelLimit(input: input) { try ImageFile.load(path: input, limits: limits) }
            let encoded = try encode(image, codec: codec, input: input)
            try FileIO.write(encoded.bytes, to: outputPath)
        }
    }

    /// Version 2; the payload coded under the model's prior unless `--payload raw`.
    private func format(_ codec: VTokCodec) throws -> FileFormat {
        switch payload {
        case .arithmetic:
            guard codec.prior != nil else {
                throw CLIError(status: .modelMismatch, message: "--payload arithmetic: model \(codec.modelID) has no prior (vtok prior adds one)")
            }
            return .version2(.arithmetic)
        case .raw: return .version2(.raw)
        case nil: return codec.defaultFormat
        }
    }

    private func encode(_ image: RGBImage, codec: VTokCodec, input: String) throws -> EncodedImage {
        let encoded: EncodedImage
        do {
            let budget = try TokenBudget(tokens: tokens, maxBytes: maxBytes, targetPSNR: targetPsnr)
            encoded = try codec.encode(image, budget: budget, format: format(codec), tiled: tiles)
        } catch let error as TokenBudgetError {
            switch error {
            case .moreThanOneLimit: throw CLIError.usage("\(error)")
            case .moreTokensThanTheModelHas: throw CLIError.usage("--tokens: \(error)")
            case .byteBudgetHoldsNoToken: throw CLIError.usage("\(input): --max-bytes \(error)")
            case .tilesNeedASquareModel: throw CLIError.usage("--tiles: \(error)")
            }
        }
        if let targetPsnr, let quality = encoded.quality, !encoded.reached {
            warn("\(input): all \(encoded.file.tokenCount) tokens reach only \(String(format: "%.2f", quality)) dB, below \(targetPsnr)")
        }
        return encoded
    }
}

/// `--payload`'s values.
enum PayloadChoice: String, ExpressibleByArgument, CaseIterable {
    case arithmetic, raw
}
