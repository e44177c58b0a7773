import VTokNN
import XCTest
import Foundation
@testable import VTokModel

final class ZZScratchSpeed: XCTestCase {
    func testSpeed() throws {
        var config = TokenizerConfig()
        if let w = ProcessInfo.processInfo.environment["W"] { config.width = Int(w)! }
        if let k = ProcessInfo.processInfo.environment["K"] { config.maxTokens = Int(k)! }
        if let l = ProcessInfo.processInfo.environment["L"] { config.encoderLayers = Int(l)!; config.decoderLayers = Int(l)! }
        if let p = ProcessInfo.processInfo.environment["P"] { config.patchSize = Int(p)! }
        let tokenizer = try Tokenizer(config: config)
        let batch = 32
        let images = randomImages(batch: batch, resolution: 64, seed: 1)
        let kept = (0..<batch).map { _ in config.maxTokens }
        let opt = AdamW(parameters: tokenizer.parameters)
        tokenizer.trainingStep(images: images, keptLengths: kept)
        let start = Date()
        for _ in 0..<3 {
            tokenizer.parameters.forEach { $0.zeroGrad() }
            tokenizer.trainingStep(images: images, keptLengths: kept)
            opt.update(learningRate: 1e-4)
        }
        let t = Date().timeIntervalSince(start) / 3
        print("SPEED params \(tokenizer.parameterCount) step \(t) s, \(Double(batch) / t) img/s, core \(BLASRuntime.corename)")
    }
}
