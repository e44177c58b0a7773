import Foundation
import VTokImage
import VTokModel
import VTokNN
import VTokTestModels
import XCTest
@testable import VTokTraining

/// The tiny model and run the tests train: 16×16 working resolution, a few thousand parameters.
enum Tiny {
    static var model: TransformerConfig { TinyModels.transformer() }
    static var convolutional: ConvolutionalConfig { TinyModels.convolutional }

    static var config: TrainingConfig {
        var config = TrainingConfig()
        config.model = ModelConfig(model)
        config.batchSize = 8
        config.totalSteps = 40
        config.peakLearningRate = 3e-3
        config.learningRateFloor = 1e-4
        config.warmupSteps = 4
        config.weightDecay = 0.01
        config.maxImageShorterSide = 32
        config.validationIntervalSteps = 20
        config.validationImages = 4
        config.validationTokenCounts = [1, 4, 8]
        config.logIntervalSteps = 10
        return config
    }
}

/// Generated test images: smooth gradients and soft blobs, deterministic for a seed.
enum Generated {
    static func image(index: Int, width: Int, height: Int) -> RGBImage {
        var rng = SeededRandom(seed: UInt64(index) + 100)
        let colors = (0..<6).map { _ in Float(rng.int(in: 0...255)) }
        let angle = rng.uniform() * 2 * .pi
        let blob = (x: rng.uniform() * Float(width), y: rng.uniform() * Float(height),
                    radius: (0.2 + 0.3 * rng.uniform()) * Float(min(width, height)))
        let blobColor = (0..<3).map { _ in Float(rng.int(in: 0...255)) }
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                let t = (cos(angle) * Float(x) / Float(width) + sin(angle) * Float(y) / Float(height)) * 0.5 + 0.5
                let dx = Float(x) - blob.x, dy = Float(y) - blob.y
                let inside = max(0, 1 - (dx * dx + dy * dy).squareRoot() / blob.radius)
                for c in 0..<3 {
                    let gradient = colors[c] * (1 - t) + colors[c + 3] * t
                    let value = gradient * (1 - inside) + blobColor[c] * inside
                    pixels[(y * width + x) * 3 + c] = UInt8(max(0, min(255, value.rounded())))
                }
            }
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    /// Writes `count` PNGs of assorted sizes into a new directory under `parent`.
    static func directory(_ name: String, count: Int, in parent: URL, firstIndex: Int = 0) throws -> URL {
        let url = parent.appendingPathComponent(name, isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        for i in 0..<count {
            let sizes = [(40, 32), (32, 32), (48, 36), (30, 44)]
            let (w, h) = sizes[i % sizes.count]
            try ImageFile.writePNG(image(index: firstIndex + i, width: w, height: h),
                                   to: url.appendingPathComponent(String(format: "img%03d.png", i)).path)
        }
        return url
    }
}

extension ModelConfig {
    /// The transformer's fields, for tests that change one.
    var transformer: TransformerConfig {
        get { value as! TransformerConfig }
        set { value = newValue }
    }
}
