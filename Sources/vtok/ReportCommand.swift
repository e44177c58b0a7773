import ArgumentParser
import Foundation
import VTokEval
import VTokModel

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Measure quality against bytes for vtok and classical codecs, and write a report.",
        discussion: """
        Every image is prepared as tokenizer papers evaluate (shorter side resized to --size with \
        Lanczos-3, then a centred square crop; --full keeps native sizes), then encoded by each codec at \
        each of its operating points and decoded again. Each decoded image is scored against the prepared \
        original: PSNR over 8-bit RGB, SSIM and MS-SSIM per RGB channel averaged over channels (Gaussian \
        window 11, sigma 1.5, data range 255).

        Codecs (--codecs, comma-separated):
          jpeg   libjpeg-turbo: quality sweep, optimised Huffman tables, 4:2:0
          webp   libwebp: quality sweep, method 6
          avif   avifenc/avifdec: quantizer sweep (skipped if not installed)
          jxl    cjxl/djxl: quality sweep (skipped if not installed)
          vtok   the tokenizer (--model, default the shipped one) at each --tokens count,
                 and at the most tokens that fit each --budgets size
        Each classical codec also runs on copies area-downscaled by 1/2, 1/4 and 1/8 and upscaled back \
        with bicubic; per image and byte budget the best of these is the family's "hull", the strongest \
        classical option at tiny sizes.

        Written to --out: results.csv (one row per image and point), results.json (CompressAI layout, \
        averaged over images), report.md (mean quality at or under each byte budget, Bjøntegaard deltas), \
        psnr.svg and ms-ssim.svg, and index.html with the plots and crops at matched budgets.

        Example: the 24 Kodak images at 256x256 against JPEG and WebP only, then
        a look at the table for 384 bytes and under:
          vtok report --images data/kodak --out report --codecs jpeg,webp
          grep -A 14 'Mean PSNR' report/report.md
        and report/index.html in a browser for the plots and crops.
        """)

    @Option(help: ArgumentHelp("Directory of PNG or JPEG images to evaluate.", valueName: "dir"))
    var images: String

    @Option(help: ArgumentHelp("Directory to write the report to (created if missing).", valueName: "dir"))
    var out: String = "report"

    @Option(help: ArgumentHelp("Side of the square the images are resized and cropped to.", valueName: "pixels"))
    var size: Int = 256

    @Flag(help: "Evaluate the images at their native size instead of resizing and cropping them.")
    var full = false

    @Option(help: ArgumentHelp("Comma-separated codecs: \(CodecCatalog.names.joined(separator: ",")).",
                               valueName: "list"))
    var codecs: String = CodecCatalog.names.joined(separator: ",")

    @Option(help: ArgumentHelp("Comma-separated token counts at which vtok is evaluated.", valueName: "list"))
    var tokens: String = CodecCatalog.defaultTokenCounts.map(String.init).joined(separator: ",")

    @Option(help: ArgumentHelp("Comma-separated byte budgets for the report's tables.", valueName: "list"))
    var budgets: String = Aggregation.defaultBudgets.map(String.init).joined(separator: ",")

    @OptionGroup var model: ModelOptions

    func validate() throws {
        guard size >= 16 else { throw ValidationError("--size must be at least 16 pixels") }
        _ = try integers(tokens, option: "--tokens")
        _ = try integers(budgets, option: "--budgets")
    }

    func run() throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: images, isDirectory: &isDirectory) else {
            throw CLIError.badInput("--images \(images): no such directory (the report's images are not in the repository: "
                                    + "point --images, or make's IMAGES=, at a folder of PNG or JPEG files, e.g. the Kodak set)")
        }
        guard isDirectory.boolValue else { throw CLIError.badInput("--images \(images) is a file, not a directory") }
        let inputs: [ReportImage]
        do {
            inputs = try ReportImage.directory(images)
        } catch {
            throw CLIError.badInput("cannot list images in \(images): \(error.localizedDescription)")
        }
        guard !inputs.isEmpty else { throw CLIError.badInput("no PNG or JPEG images in \(images)") }

        let codecNames = codecs.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        let catalog: (codecs: [any RateDistortionCodec], notes: [String])
        do {
            // Without a model anywhere the report still runs, with a note; a model given but broken is an error.
            let hasModel = model.path != nil || ModelLocator.defaultModelPath() != nil
            let tokenizer = codecNames.contains("vtok") && hasModel ? try model.load() : nil
            catalog = try CodecCatalog.codecs(named: codecNames, tokenCounts: try integers(tokens, option: "--tokens"),
                                              byteBudgets: try integers(budgets, option: "--budgets"),
                                              tokenizer: tokenizer, tiled: full)
        } catch {
            throw CLIError.usage("\(error)")
        }
        for note in catalog.notes { warn(note) }

        let options = ReportOptions(
            outputDirectory: out, preprocessing: full ? .native : .tokenizer(size: size), codecs: catalog.codecs,
            notes: catalog.notes, budgets: try integers(budgets, option: "--budgets"), showsProgress: true)
        do {
            try QualityReport.run(images: inputs, options: options)
        } catch let error as ReportOutputError {
            throw CLIError.outputFailed(error.description)
        }
        print("wrote \(QualityReport.fileNames.joined(separator: ", ")) and crops/ to \(out)")
    }

    private func integers(_ list: String, option: String) throws -> [Int] {
        let values = list.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !values.isEmpty, values.allSatisfy({ ($0 ?? 0) > 0 }) else {
            throw ValidationError("\(option) takes positive integers separated by commas, got '\(list)'")
        }
        return values.map { $0! }
    }
}
