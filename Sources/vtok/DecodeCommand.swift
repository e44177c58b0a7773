import ArgumentParser
import Foundation
import VTokContainer
import VTokImage
import VTokModel

struct Decode: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Turn .vtok files back into PNG (or JPEG) images.",
        discussion: """
        The image has the size of the original. A file cut short (a partial download, head -c) decodes to the tokens it still holds, with a warning; --tokens decodes an even shorter prefix without rewriting the file. The model must be the one the file was encoded with (its id is in the file: see vtok info).

        The output is PNG for a .png name and JPEG (quality 95, 4:4:4) for .jpg or .jpeg; other names are refused. Files declaring more than --max-pixels pixels (for tiled files, the whole tile grid) are refused before anything is allocated.

        Examples:
          vtok decode photo.vtok -o photo.png
          vtok decode photo.vtok --tokens 8 -o coarse.png
          vtok decode tokens/ -o decoded/
        """)

    @Argument(help: ".vtok files, or directories of them.")
    var inputs: [String]

    @Option(parsing: .unconditional, help: "Decode only the first K tokens per tile.")
    var tokens: Int?

    @Option(parsing: .unconditional, help: "Refuse files that decode to more pixels than this (memory bound).")
    var maxPixels = ImageLimits.default.maxPixels

    @Option(parsing: .unconditional, help: "Files decoded at once (default: one per processor).")
    var jobs: Int?

    @OptionGroup var model: ModelOptions

    @Option(name: [.short, .customLong("output")], help: "Output .png or .jpg (one input) or directory.")
    var output: String

    func validate() throws {
        if let tokens, tokens < 0 { throw ValidationError("--tokens must be 0 or more") }
        try validatePixelLimit(maxPixels)
        try validateJobs(jobs)
    }

    func run() throws {
        let jobs = try ImageJobs(inputs: inputs, output: output, outputExtension: "png", inputExtensions: ["vtok"])
        if jobs.pairs.count == 1 { _ = try OutputImageFormat(path: jobs.pairs[0].output) }
        let limits = ImageLimits(maxPixels: maxPixels)
        try jobs.run(model: model, workers: self.jobs) { codec, input, outputPath in
            let format = try OutputImageFormat(path: outputPath)
            let reading: VTokReading
            do {
                reading = try codec.read(try FileIO.read(input))
            } catch let error as VTokError {
                throw ContainerReading.cliError(error, path: input)
            }
            for warning in reading.warnings { warn("\(input): \(warning)") }
            var file = reading.file
            if let tokens {
                guard tokens <= file.tokenCount else {
                    throw CLIError.usage("\(input) holds \(file.tokenCount) tokens per tile; cannot decode \(tokens)")
                }
                file = file.truncated(toTokens: tokens)
            }
            let image: RGBImage
            do {
                image = try CLIError.withPixelLimit(input: input) { try codec.decode(file, limits: limits) }
            } catch let error as VTokError {
                throw CLIError(status: .modelMismatch, message: "\(input): \(error)")
            }
            do {
                switch format {
                case .png: try ImageFile.writePNG(image, to: outputPath)
                case .jpeg: try FileIO.write(try JPEGCodec.encode(image, quality: 95, chroma: .full444), to: outputPath)
                }
            } catch let error as CLIError {
                throw error
            } catch {
                throw CLIError.outputFailed("cannot write \(outputPath): \(FileIO.reason(writing: outputPath, error))")
            }
        }
    }
}

/// What `vtok decode` writes, from the output's extension.
enum OutputImageFormat {
    case png, jpeg

    init(path: String) throws {
        switch (path as NSString).pathExtension.lowercased() {
        case "png": self = .png
        case "jpg", "jpeg": self = .jpeg
        default:
            throw CLIError.usage("cannot tell the image format of \(path): name the output .png (lossless) or .jpg")
        }
    }
}
