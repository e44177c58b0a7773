import ArgumentParser
import VTokContainer
import VTokImage
import VTokModel

struct Decode: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Turn .vtok files back into PNG images.",
        discussion: """
        The image has the size of the original. A file cut short (a partial download, head -c) decodes to the tokens it still holds, with a warning; --tokens decodes an even shorter prefix without rewriting the file. The model must be the one the file was encoded with (its id is in the file: see vtok info).

        Examples:
          vtok decode photo.vtok -o photo.png
          vtok decode photo.vtok --tokens 8 -o coarse.png
          vtok decode tokens/ -o decoded/
        """)

    @Argument(help: ".vtok files, or directories of them.")
    var inputs: [String]

    @Option(help: "Decode only the first K tokens per tile.")
    var tokens: Int?

    @OptionGroup var model: ModelOptions

    @Option(name: [.short, .customLong("output")], help: "Output PNG (one input) or directory.")
    var output: String

    func validate() throws {
        if let tokens, tokens < 0 { throw ValidationError("--tokens must be 0 or more") }
    }

    func run() throws {
        let jobs = try ImageJobs(inputs: inputs, output: output, outputExtension: "png", inputExtensions: ["vtok"])
        try jobs.run(model: model) { codec, input, outputPath in
            let (parsed, warnings) = try VTokFile.parse(try FileIO.read(input))
            for warning in warnings { warn("\(input): \(warning)") }
            var file = parsed
            if let tokens {
                guard tokens <= file.tokenCount else {
                    throw CLIError.usage("\(input) holds \(file.tokenCount) tokens per tile; cannot decode \(tokens)")
                }
                file = file.truncated(toTokens: tokens)
            }
            let image: RGBImage
            do {
                image = try codec.decode(file)
            } catch let error as VTokError {
                throw CLIError(status: .modelMismatch, message: "\(input): \(error)")
            }
            do {
                try ImageFile.writePNG(image, to: outputPath)
            } catch {
                throw CLIError.outputFailed("\(error)")
            }
        }
    }
}
