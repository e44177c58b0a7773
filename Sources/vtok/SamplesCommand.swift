import ArgumentParser
import Foundation
import VTokImage

struct Samples: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Render the project's own sample images (test card, landscape, still life) as PNG.",
        discussion: "These are the images in the repository's samples/ folder, used by make demo; they are rendered, not photographed, so they can ship with the code.")

    @Option(name: [.short, .customLong("output")], help: "Directory to write the PNG files into.")
    var output = "samples"

    func run() throws {
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        let sizes: [SyntheticScene: (Int, Int)] = [.testCard: (512, 384), .landscape: (480, 320), .still: (400, 400)]
        for scene in SyntheticScene.allCases {
            let (width, height) = sizes[scene]!
            let path = (output as NSString).appendingPathComponent(scene.rawValue + ".png")
            do {
                try ImageFile.writePNG(scene.render(width: width, height: height), to: path)
            } catch {
                throw CLIError.outputFailed("\(error)")
            }
            print(path)
        }
    }
}
