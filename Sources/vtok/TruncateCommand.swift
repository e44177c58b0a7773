import ArgumentParser
import VTokContainer
import VTokModel

struct Truncate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Keep only the first tokens of a .vtok file: a smaller file, a coarser image.",
        discussion: """
        The result is byte for byte the file that `vtok encode --tokens K` would have written, in the input's format and payload coding, so truncating is as good as re-encoding. Version 2 files (the default) need the model that wrote them: its id seeds their checksum and a coded payload is re-coded under its prior (--model, default the shipped model). Version 1 files need no model. Give either the number of tokens per tile to keep or a byte budget (the most tokens whose file fits). The input may itself be a cut file (a partial download): its complete tokens are kept, with a warning.

        Examples:
          vtok truncate photo.vtok --tokens 8 -o photo-8.vtok
          vtok truncate photo.vtok --max-bytes 100 -o photo-100B.vtok
        """)

    @Argument(help: "The .vtok file to truncate.")
    var file: String

    @Option(help: "Tokens per tile to keep (0 or more, at most what the file holds).")
    var tokens: Int?

    @Option(name: .customLong("max-bytes"), help: "Largest output size in bytes, header included (at least \(FileFormat.smallestHeaderSize)), as vtok encode --max-bytes.")
    var maxBytes: Int?

    /// The spelling before `--max-bytes`, kept for scripts.
    @Option(name: .customLong("bytes"), help: .hidden)
    var legacyBytes: Int?

    private var bytes: Int? { maxBytes ?? legacyBytes }

    @OptionGroup var model: ModelOptions

    @Option(name: [.short, .customLong("output")], help: "Where to write the truncated file (may be the input).")
    var output: String

    func validate() throws {
        if maxBytes != nil && legacyBytes != nil { throw ValidationError("give --max-bytes once (--bytes is its old name)") }
        switch (tokens, bytes) {
        case (nil, nil), (.some, .some):
            throw ValidationError("give exactly one of --tokens and --max-bytes")
        case (let k?, nil) where k < 0:
            throw ValidationError("--tokens must be 0 or more")
        case (nil, let n?) where n < FileFormat.smallestHeaderSize:
            throw ValidationError("--max-bytes must be at least \(FileFormat.smallestHeaderSize), the size of the smallest header")
        default:
            break
        }
    }

    func run() throws {
        let input = try FileIO.read(file)
        let reading = try ContainerReading(bytes: input, path: file, model: model)
        for warning in reading.warnings { warn("\(file): \(warning)") }
        let parsed = reading.file
        if let tokens {
            guard tokens <= parsed.tokenCount else {
                throw CLIError.usage("\(file) holds \(parsed.tokenCount) tokens per tile; cannot keep \(tokens)")
            }
            try FileIO.write(try reading.bytes(parsed.truncated(toTokens: tokens)), to: output)
        } else {
            guard let (cut, _) = try reading.bytes(parsed, maxBytes: bytes!) else {
                throw CLIError.usage("--max-bytes \(bytes!): even the header of \(file) takes \(try reading.fileSizes(parsed)[0]) bytes")
            }
            try FileIO.write(cut, to: output)
        }
    }
}
