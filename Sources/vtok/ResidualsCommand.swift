import ArgumentParser
import Foundation
import VTokImage
import VTokModel
import VTokTraining

struct Residuals: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the residual images (image - base + 128) a layered model's detail layer trains on.",
        discussion: """
        For each image under --images, and for each --variants entry, the image as the base model (--model; a layered model, such as the shipped one, stands for its base layer) codes it (all its tokens, decoded and stretched back to the image's size, as 8-bit pixels) is subtracted from the image, 128 added, and the result clamped to 0...255 and written as PNG to --out. Train the detail layer on them with vtok train (a convolutional model with "resolution" = "workingResolution" and "cropSide": crops at the images' own scale), then join it to the base with vtok layer.

        With --all-layers and a layered model, the picture subtracted is the whole model's (every layer, all its tokens, as vtok decode gives it): the residuals a further detail layer trains on, which vtok layer then puts after the others.

        Variants:
          crop   the shorter side resized to --size (Lanczos) and the centre square: like the 256x256 evaluation crops
          full   the image as it is: like a full-size photo, whose base is a stretched thumbnail

        Example (the recipe of the shipped model's detail layer, docs/MODEL.md):
          vtok residuals --images ../shared/data/train --out residuals/train --model base.safetensors
          vtok residuals --images ../shared/data/val --out residuals/val --variants crop --centre 128 --model base.safetensors
        """)

    @Option(help: ArgumentHelp("Directory of images (PNG, JPEG), searched recursively.", valueName: "dir"))
    var images: String

    @Option(name: [.short, .customLong("out")], help: ArgumentHelp("Directory to write the residual PNGs to (created if missing).", valueName: "dir"))
    var out: String

    @Option(help: ArgumentHelp("Comma-separated variants of each image: crop, full.", valueName: "list"))
    var variants = "crop,full"

    @Option(help: "The side of the crop variant.")
    var size = 256

    @Option(help: ArgumentHelp("Keep only the central square of this side of each residual (0: all of it), e.g. for validation images that need no further cropping.", valueName: "pixels"))
    var centre = 0

    @Option(help: "At most this many images (the first by path).")
    var limit: Int?

    @Flag(help: "With a layered model: subtract its whole picture (every layer, all tokens) instead of its base layer's.")
    var allLayers = false

    @OptionGroup var model: ModelOptions

    func validate() throws {
        let names = variants.split(separator: ",").map(String.init)
        guard !names.isEmpty, names.allSatisfy({ ["crop", "full"].contains($0) }) else {
            throw ValidationError("--variants takes crop and/or full, comma-separated; got '\(variants)'")
        }
        guard size >= 32 else { throw ValidationError("--size must be at least 32 pixels") }
        guard centre >= 0 else { throw ValidationError("--centre must be 0 or a side in pixels") }
    }

    func run() throws {
        // A layered model (the shipped one) stands for its base layer, the residuals its detail layer
        // saw, unless --all-layers asks for what the next layer would see.
        let loaded = try model.load()
        if allLayers && loaded.fullResolution == nil {
            throw CLIError(status: .modelMismatch, message: "--all-layers: \(loaded.modelID) is not a layered model")
        }
        guard let codec = loaded.fullResolution == nil || allLayers ? loaded : loaded.baseCodec else {
            throw CLIError(status: .modelMismatch, message: "--model: a base model is a convolutional one (vtok layer joins it to a detail model)")
        }
        let paths: [String]
        do {
            paths = Array(try ImageDirectory.imagePaths(in: images).prefix(limit ?? .max))
        } catch {
            throw CLIError.badInput("\(error)")
        }
        guard !paths.isEmpty else { throw CLIError.badInput("no PNG or JPEG images under \(images)") }
        do {
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        } catch {
            throw CLIError.outputFailed("cannot create directory \(out): \(error.localizedDescription)")
        }
        let names = variants.split(separator: ",").map(String.init)
        var written = 0
        for (index, path) in paths.enumerated() {
            let image: RGBImage
            do {
                image = try ImageFile.load(path: path)
            } catch {
                warn("skipping \(path): \(error)")
                continue
            }
            let stem = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
            for name in names {
                let variant = name == "crop" ? image.tokenizerPreprocessed(size: size) : image
                // What `vtok decode` gives for the base's whole file: the base layer's picture.
                let coarse = try codec.decode(codec.encode(variant))
                var residual = LayeredTokenizer.residualImage(of: variant, minus: coarse)
                if centre > 0 && centre <= min(residual.width, residual.height) {
                    residual = residual.centerCropped(width: centre, height: centre)
                }
                let file = (out as NSString).appendingPathComponent(names.count > 1 ? "\(stem)-\(name).png" : "\(stem).png")
                try FileIO.write(try PNGCodec.encode(residual), to: file)
                written += 1
            }
            if (index + 1) % 50 == 0 { warn("\(index + 1) of \(paths.count) images") }
        }
        print("wrote \(written) residual images of \(paths.count) images to \(out)")
    }
}
