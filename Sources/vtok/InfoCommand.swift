import ArgumentParser
import Foundation
import VTokContainer
import VTokModel
import VTokNN

struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Describe a .vtok file (image, tiles, tokens, cut points), a model, or this machine.",
        discussion: """
        Reads the header and checks the whole file. A file cut short (a partial download) is described with the tokens it still holds and a warning; a corrupt one is an error (exit status 2). Version 2 files are read with the model that wrote them (--model FILE, as in every verb; default the shipped model).

        Two tables: "cut points" lists, for every prefix length k, the size of the file that holds k tokens per tile (`vtok truncate --tokens k` writes exactly that many bytes); "token ends" lists how many bytes of this very file determine its first k tokens per tile (where `head -c` may cut it and still decode k). For raw payloads the two agree; for coded payloads a token's end is where its last bits are fixed, and a k-token file ends with a short flush of the coder.

        With --model and no .vtok file, describes a tokenizer instead: the shipped one, or the weights file given. With --system, describes what vtok runs on: the BLAS kernels and a quick SGEMM measurement.

        Examples:
          vtok info photo.vtok
          vtok info photo.vtok --json | jq '.truncation_offsets[32]'
          vtok info photo.vtok --model my-model.safetensors
          vtok info --model --json
          vtok info --model my-model.safetensors
          vtok info --system
        """)

    @Argument(help: "The .vtok file to describe, and with --model the weights file to read it with (or, alone, to describe; default the shipped model).")
    var files: [String] = []

    @Flag(help: "Read the .vtok file with the weights file given beside it; with no .vtok file, describe that model (its card).")
    var model = false

    @Flag(help: "Describe the machine: BLAS kernels, threads, SGEMM speed.")
    var system = false

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    /// The spelling before `--model FILE` read files here as in every other verb.
    @Option(name: .customLong("weights"), help: .hidden)
    var weights: String?

    /// The .vtok file to describe (nil: describe a model), and the weights file given, if any.
    /// `--model` is a flag here, so that `vtok info --model` alone describes the shipped model: the
    /// files given beside it are told apart by their first bytes.
    private func roles() throws -> (vtok: String?, model: String?) {
        guard model else { return (files[0], weights) }
        let vtokFiles = files.filter { VTokFile.formatVersion(of: FileIO.leadingBytes($0, count: 4)) != nil }
        guard vtokFiles.count <= 1 && files.count - vtokFiles.count <= 1 else {
            throw CLIError.usage("with --model, give a .vtok file and the weights file to read it with, or a weights file alone")
        }
        return (vtokFiles.first, files.first { !vtokFiles.contains($0) })
    }

    func validate() throws {
        if model && system { throw ValidationError("give at most one of --model and --system") }
        if system && (!files.isEmpty || weights != nil) { throw ValidationError("--system takes no file") }
        if !system && !model && files.count != 1 {
            throw ValidationError(files.isEmpty ? "give a .vtok file, --model or --system" : "give one .vtok file")
        }
        if model && (files.count > 2 || weights != nil) { throw ValidationError("give one .vtok file and one weights file at most") }
    }

    func run() throws {
        if system { return try printJSONOrText(SystemSummary.measure()) }
        let (vtok, weightsFile) = try roles()
        if let vtok {
            try describeFile(vtok, model: weightsFile)
        } else {
            try printJSONOrText(ModelCard(path: try ModelOptions(path: weightsFile).resolvedPath()))
        }
    }

    private func printJSONOrText<Summary: Encodable & TextDescribable>(_ summary: Summary) throws {
        if json {
            print(try jsonText(summary))
        } else {
            print(summary.text)
        }
    }

    private func describeFile(_ file: String, model weights: String?) throws {
        let bytes = try FileIO.read(file)
        let reading = try ContainerReading(bytes: bytes, path: file, model: ModelOptions(path: weights))
        for warning in reading.warnings { warn("\(file): \(warning)") }
        let endOffsets = try VTokFile.tokenEndOffsets(bytes, model: reading.codec?.modelCoding)
        let summary = FileSummary(path: file, fileBytes: bytes.count, reading: reading.reading,
                                  truncationOffsets: try reading.fileSizes(reading.file), tokenEndOffsets: endOffsets)
        try printJSONOrText(summary)
    }
}

/// Summaries `vtok info` prints: JSON (snake_case keys) or text.
protocol TextDescribable {
    var text: String { get }
}

func jsonText<Value: Encodable>(_ value: Value) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    encoder.keyEncodingStrategy = .convertToSnakeCase
    return String(decoding: try encoder.encode(value), as: UTF8.self)
}

/// What `vtok info` reports about one file; its JSON form is part of the CLI's interface.
struct FileSummary: Encodable, TextDescribable {
    struct Tiles: Encodable {
        /// 0 when the whole image is fitted into one tile.
        let side: Int
        let columns: Int
        let rows: Int
        let count: Int
    }

    let path: String
    let formatVersion: Int
    let fileBytes: Int
    let headerBytes: Int
    let width: Int
    let height: Int
    let tiles: Tiles
    /// Tokens per tile the header declares; `decodableTokens` is fewer when the file was cut.
    let declaredTokens: Int
    let decodableTokens: Int
    let groups: Int
    let bitsPerGroup: Int
    let bitsPerToken: Int
    /// "raw" or "arithmetic".
    let payloadCoding: String
    let modelId: String
    /// "complete" (checksum verified) or "truncated".
    let status: String
    /// `truncationOffsets[k]` is the size in bytes of the file with k tokens per tile.
    let truncationOffsets: [Int]
    /// `tokenEndOffsets[k]`: how many bytes of this file determine its first k tokens per tile.
    let tokenEndOffsets: [Int]

    init(path: String, fileBytes: Int, reading: VTokReading, truncationOffsets: [Int], tokenEndOffsets: [Int]) {
        let file = reading.file
        let header = file.header
        let grid = file.tiles.tileGrid(width: file.width, height: file.height)
        let side: Int
        switch file.tiles {
        case .single: side = 0
        case .tiled(let s): side = s
        }
        self.path = path
        formatVersion = reading.version
        self.fileBytes = fileBytes
        headerBytes = reading.headerSize
        width = file.width
        height = file.height
        tiles = Tiles(side: side, columns: grid.columns, rows: grid.rows, count: header.tileCount)
        declaredTokens = reading.declaredTokens
        decodableTokens = file.tokenCount
        groups = file.layout.groups
        bitsPerGroup = file.layout.bitsPerGroup
        bitsPerToken = file.layout.bitsPerToken
        payloadCoding = reading.coding.description
        modelId = file.modelID.description
        status = reading.isComplete ? "complete" : "truncated"
        self.truncationOffsets = truncationOffsets
        self.tokenEndOffsets = tokenEndOffsets
    }

    var text: String {
        let tileText = tiles.side == 0
            ? "one token sequence for the whole image"
            : "\(tiles.columns)x\(tiles.rows) tiles of \(tiles.side)x\(tiles.side) px"
        let perTile = tiles.side == 0 ? "" : " per tile"
        let statusText = status == "complete"
            ? "complete, checksum verified"
            : "truncated: \(decodableTokens) of \(declaredTokens) tokens\(perTile) decodable"
        func table(_ offsets: [Int]) -> String {
            let shown = offsets.enumerated().map { "\($0.offset):\($0.element)" }
            return (shown.count <= 12 ? shown : Array(shown.prefix(8)) + ["..."] + Array(shown.suffix(3))).joined(separator: "  ")
        }
        let meanBits = decodableTokens == 0 ? 0 : Double((tokenEndOffsets.last! - headerBytes) * 8) / Double(decodableTokens * tiles.count)
        return """
        \(path): .vtok version \(formatVersion), \(fileBytes) bytes (\(headerBytes)-byte header)
          image      \(width)x\(height), \(tileText)
          tokens     \(decodableTokens)\(perTile), ids of \(bitsPerToken) bits (\(groups) group(s) of \(bitsPerGroup) bits), \(payloadCoding) payload: \(String(format: "%.2f", meanBits)) bits a token
          model      \(modelId)
          status     \(statusText)
          cut points tokens:bytes  \(table(truncationOffsets))
          token ends tokens:bytes  \(table(tokenEndOffsets))
        """
    }
}
