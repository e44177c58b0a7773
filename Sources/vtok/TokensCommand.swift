import ArgumentParser
import Foundation
import VTokContainer

struct Tokens: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the token ids of a .vtok file, for use in ML pipelines.",
        discussion: """
        Text output has one line per tile: its token ids, coarse to fine, separated by spaces. --json prints one object with the layout (groups x bits per group: a token id is its groups' sub-indices, group 0 in the most significant bits) and, per tile, the ids and each id's group sub-indices. Version 2 files (the default) are read with the model that wrote them (--model, default the shipped one): its id seeds their checksum, and a coded payload decodes under its prior. Version 1 files need no model.

        Examples:
          vtok tokens photo.vtok
          vtok tokens photo.vtok --json | jq '.tiles[0].ids'
        """)

    @Argument(help: "The .vtok file.")
    var file: String

    @Flag(help: "Print one JSON object.")
    var json = false

    @OptionGroup var model: ModelOptions

    struct Output: Encodable {
        struct Tile: Encodable {
            let ids: [UInt32]
            let groups: [[Int]]
        }
        let width: Int
        let height: Int
        let modelId: String
        let bitsPerToken: Int
        let groups: Int
        let bitsPerGroup: Int
        let tokensPerTile: Int
        let tiles: [Tile]
    }

    func run() throws {
        let reading = try ContainerReading(bytes: try FileIO.read(file), path: file, model: model)
        for warning in reading.warnings { warn("\(file): \(warning)") }
        let parsed = reading.file
        if json {
            let output = Output(width: parsed.width, height: parsed.height, modelId: parsed.modelID.description,
                                bitsPerToken: parsed.layout.bitsPerToken, groups: parsed.layout.groups,
                                bitsPerGroup: parsed.layout.bitsPerGroup, tokensPerTile: parsed.tokenCount,
                                tiles: parsed.tokens.map { ids in
                                    Output.Tile(ids: ids, groups: ids.map { parsed.layout.groupIndices(of: $0) })
                                })
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            encoder.keyEncodingStrategy = .convertToSnakeCase
            print(String(decoding: try encoder.encode(output), as: UTF8.self))
        } else {
            for ids in parsed.tokens { print(ids.map(String.init).joined(separator: " ")) }
        }
    }
}
