import ArgumentParser
import VTokEval
import VTokImage

struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Score a decoded image against its original: PSNR, SSIM and MS-SSIM.",
        discussion: """
        PSNR is over all three 8-bit RGB channels; SSIM and MS-SSIM are computed per channel and averaged (Gaussian window 11, sigma 1.5, data range 255). The images must have the same size. Identical images score 100 dB.

        Small images: MS-SSIM's five scales need 176 pixels on the shorter side; smaller images use the scales that fit (weights renormalised), and under 11 pixels, where no 11x11 window fits, SSIM uses the largest odd window that does and MS-SSIM equals that SSIM. A warning says so.

        --tile-seams SIDE also scores the seams of a tiled decode: the PSNR of the 8-pixel band centred on every internal border of SIDE-pixel tiles (from the top left), against the PSNR of the rest. Seams that show score well below the interior.

        Example:
          vtok decode photo.vtok -o decoded.png && vtok compare photo.png decoded.png
          vtok encode big.png --tiles -o big.vtok && vtok decode big.vtok -o d.png && vtok compare big.png d.png --tile-seams 256
        """)

    @Argument(help: "The original image.")
    var reference: String

    @Argument(help: "The image to score against it.")
    var distorted: String

    @Flag(help: "Print one JSON object.")
    var json = false

    @Option(help: ArgumentHelp("Also score the band along the borders of tiles of this side (pixels) against the interiors.", valueName: "side"))
    var tileSeams: Int?

    func validate() throws {
        if let tileSeams, tileSeams < 9 { throw ValidationError("--tile-seams must be at least 9 pixels (the band is 8 wide)") }
    }

    struct Scores: Encodable {
        let psnr: Double
        let ssim: Double
        let msSsim: Double
        let ssimWindow: Int
        let msSsimScales: Int
        let seams: SeamScores?
    }

    func run() throws {
        let original = try ImageFile.load(path: reference)
        let other = try ImageFile.load(path: distorted)
        guard original.width == other.width && original.height == other.height else {
            throw CLIError.badInput("sizes differ: \(original.width)x\(original.height) and \(other.width)x\(other.height)")
        }
        let scores = QualityScores(reference: original, distorted: other)
        let window = SSIM.windowSize(width: original.width, height: original.height)
        let scales = SSIM.msSSIMScaleCount(width: original.width, height: original.height)
        if window < SSIM.windowSize {
            warn("\(original.width)x\(original.height) is under \(SSIM.minimumSide) px a side: SSIM uses a \(window)x\(window) window "
                 + "instead of 11x11, and MS-SSIM is that single-scale SSIM")
        } else if scales < SSIM.msSSIMScaleWeights.count {
            warn("\(original.width)x\(original.height): MS-SSIM uses \(scales) of its 5 scales (176 px a side needed for all)")
        }
        let seams = tileSeams.flatMap { SeamScores(reference: original, distorted: other, tileSide: $0) }
        if tileSeams != nil && seams == nil { warn("the image fits in one \(tileSeams!)-px tile: it has no seams to score") }
        if json {
            print(try jsonText(Scores(psnr: scores.psnr, ssim: scores.ssim, msSsim: scores.msSSIM,
                                      ssimWindow: window, msSsimScales: max(scales, 1), seams: seams)))
        } else {
            print(String(format: "PSNR %.2f dB  SSIM %.4f  MS-SSIM %.4f", scores.psnr, scores.ssim, scores.msSSIM))
            if let seams {
                print(String(format: "seams: PSNR %.2f dB in the 8-px band along the tile borders (%d px), %.2f dB elsewhere (%d px)",
                             seams.band, seams.bandPixels, seams.interior, seams.interiorPixels))
            }
        }
    }
}
