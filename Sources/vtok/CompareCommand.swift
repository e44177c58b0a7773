import ArgumentParser
import VTokEval
import VTokImage

struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Score a decoded image against its original: PSNR, SSIM and MS-SSIM.",
        discussion: """
        PSNR is over all three 8-bit RGB channels; SSIM and MS-SSIM are computed per channel and averaged (Gaussian window 11, sigma 1.5, data range 255). The images must have the same size. Identical images score 100 dB.

        Example:
          vtok decode photo.vtok -o decoded.png && vtok compare photo.png decoded.png
        """)

    @Argument(help: "The original image.")
    var reference: String

    @Argument(help: "The image to score against it.")
    var distorted: String

    @Flag(help: "Print one JSON object.")
    var json = false

    struct Scores: Encodable {
        let psnr: Double
        let ssim: Double
        let msSsim: Double
    }

    func run() throws {
        let original = try ImageFile.load(path: reference)
        let other = try ImageFile.load(path: distorted)
        guard original.width == other.width && original.height == other.height else {
            throw CLIError.badInput("sizes differ: \(original.width)x\(original.height) and \(other.width)x\(other.height)")
        }
        let scores = QualityScores(reference: original, distorted: other)
        if json {
            print(try jsonText(Scores(psnr: scores.psnr, ssim: scores.ssim, msSsim: scores.msSSIM)))
        } else {
            print(String(format: "PSNR %.2f dB  SSIM %.4f  MS-SSIM %.4f", scores.psnr, scores.ssim, scores.msSSIM))
        }
    }
}
