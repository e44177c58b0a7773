import ArgumentParser
import Foundation
import VTokContainer
import VTokModel
import VTokNN

struct JoinLayers: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "layer",
        abstract: "Join a base model and a detail model into one layered, full-resolution model file.",
        discussion: """
        A layered model codes an image in one token sequence of two layers: the base model's tokens first (the whole image stretched to its square: a coarse picture of all of it), then the detail model's, which code the residual image - base at the image's own resolution, channel by channel, each channel covering the whole image. Files of a layered model grow with the image, and more bytes keep buying quality on any size of image.

        Both inputs are convolutional models written by vtok train: the base as usual, the detail trained on the base's residual images with "resolution" and "workingResolution" equal (crops at the image's own scale, "cropSide"). docs/MODEL.md gives the whole recipe.

        With a layered model as --base, the detail model becomes its next layer, a refinement: trained on the layered model's residual images (vtok residuals --all-layers), its channels follow the others' on the same blocks. The new model keeps the layered model's weights and tables, and reads its files, and its base model's, to the same pictures.

        Examples:
          vtok layer --base runs/c2/model.safetensors --detail runs/d1/model.safetensors -o layered.safetensors
          vtok layer --base layered.safetensors --detail runs/f1/model.safetensors -o refined.safetensors
        """)

    @Option(help: ArgumentHelp("The base model (.safetensors, convolutional), or a layered model to add a refinement layer to.", valueName: "file"))
    var base: String

    @Option(help: ArgumentHelp("The detail model (.safetensors, convolutional, trained on the base's residuals).", valueName: "file"))
    var detail: String

    @Option(help: "The square side a fixed token count per image is made at (vtok tokenize, validation); a layered --base keeps its own.")
    var resolution = 256

    @Option(name: [.short, .customLong("output")], help: ArgumentHelp("Where to write the layered model.", valueName: "file"))
    var output: String

    func run() throws {
        let bytes: [UInt8]
        do {
            bytes = try LayeredTokenizer.modelFile(base: try FileIO.read(base), detail: try FileIO.read(detail), resolution: resolution,
                                                   recordLine: PortablePath.relativeWords)
        } catch let error as CLIError {
            throw error
        } catch {
            throw CLIError(status: .modelMismatch, message: "cannot join \(base) and \(detail): \(error)")
        }
        try FileIO.write(bytes, to: output)
        let codec = try VTokCodec(weightsFileBytes: bytes)
        print("\(output): layered model \(codec.modelID), \(codec.tokenizer.parameterCount) parameters, "
              + "\(codec.shape.maxTokens) tokens for a \(resolution)x\(resolution) image")
    }
}
