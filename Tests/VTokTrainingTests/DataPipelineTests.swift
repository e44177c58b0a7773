import VTokImage
import VTokNN
import VTokTestSupport
import XCTest
@testable import VTokTraining
@testable import VTokModel

final class DataPipelineTests: XCTestCase {
    private func images() -> [RGBImage] {
        (0..<5).map { Generated.image(index: $0, width: 40 + 3 * $0, height: 30 + 5 * $0) }
    }

    func testBatchesAreRxRAndDeterministicForASeed() {
        let config = Tiny.config
        let data = TrainingData(images: images(), config: config)
        let r = config.model.shape.workingResolution
        let a = Tensor(shape: [6, 3, r, r]), b = Tensor(shape: [6, 3, r, r])
        var rngA = SeededRandom(seed: 5), rngB = SeededRandom(seed: 5)
        let keptA = data.fillBatch(a, firstSample: 3, rng: &rngA)
        let keptB = TrainingData(images: images(), config: config).fillBatch(b, firstSample: 3, rng: &rngB)
        XCTAssertEqual(keptA, keptB)
        XCTAssertEqual(a.values, b.values)
        XCTAssertEqual(rngA, rngB)
        XCTAssert(a.values.allSatisfy { (0...1).contains($0) })
        XCTAssert(keptA.allSatisfy { (1...config.model.shape.maxTokens).contains($0) })
        // Another state, another batch.
        var rngC = SeededRandom(seed: 6)
        _ = data.fillBatch(b, firstSample: 3, rng: &rngC)
        XCTAssertNotEqual(a.values, b.values)
    }

    func testCropsFitAndFlipAboutHalfTheTime() {
        var config = Tiny.config
        config.minCropFraction = 0.5
        let data = TrainingData(images: images(), config: config)
        var rng = SeededRandom(seed: 1)
        var flips = 0
        for _ in 0..<2000 {
            let crop = data.randomCrop(width: 50, height: 30, using: &rng)
            XCTAssert((15...30).contains(crop.side), "\(crop)")
            XCTAssert(crop.x >= 0 && crop.x + crop.side <= 50 && crop.y >= 0 && crop.y + crop.side <= 30, "\(crop)")
            if crop.flipped { flips += 1 }
        }
        XCTAssert((900...1100).contains(flips), "\(flips) flips in 2000")
        config.horizontalFlip = false
        let unflipped = TrainingData(images: images(), config: config)
        XCTAssert((0..<200).allSatisfy { _ in !unflipped.randomCrop(width: 50, height: 30, using: &rng).flipped })
    }

    func testEveryEpochVisitsEveryImageOnce() {
        let data = TrainingData(images: images(), config: Tiny.config)
        for epoch in 0..<3 {
            let order = (0..<5).map { data.imageIndex(ofSample: epoch * 5 + $0) }
            XCTAssertEqual(order.sorted(), [0, 1, 2, 3, 4])
        }
        XCTAssertNotEqual((0..<5).map { data.imageIndex(ofSample: $0) } + (0..<5).map { data.imageIndex(ofSample: 5 + $0) },
                          (0..<5).map { data.imageIndex(ofSample: 5 + $0) } + (0..<5).map { data.imageIndex(ofSample: $0) })
    }

    func testAreaResampleOfAConstantImageStaysConstant() {
        let image = RGBImage(width: 45, height: 37, pixels: [UInt8](repeating: 0, count: 45 * 37 * 3).enumerated().map {
            [UInt8(200), 17, 128][$0.offset % 3]
        })
        var scratch: [Float] = []
        for (side, size) in [(37, 16), (23, 16), (16, 16), (11, 16), (36, 12)] {
            let output = Tensor(shape: [3, size, size])
            AreaResampler.resample(image, crop: CropSpec(x: 3, y: 0, side: side, flipped: side % 2 == 1), to: size,
                                   into: output.pointer, scratch: &scratch)
            for (c, expected) in [Float(200), 17, 128].enumerated() {
                for i in 0..<(size * size) {
                    XCTAssertEqual(output[c * size * size + i], expected / 255, accuracy: 1e-5, "side \(side) → \(size)")
                }
            }
        }
    }

    func testAreaResampleWeighsPartlyCoveredPixelsByOverlap() {
        // A 3-pixel-wide crop to 2 pixels: output 0 covers source [0, 1.5), output 1 covers [1.5, 3).
        let row: [UInt8] = [0, 90, 240]
        let image = RGBImage(width: 3, height: 3, pixels: (0..<27).map { row[($0 / 3) % 3] })
        var scratch: [Float] = []
        let output = Tensor(shape: [3, 2, 2])
        AreaResampler.resample(image, crop: CropSpec(x: 0, y: 0, side: 3, flipped: false), to: 2, into: output.pointer, scratch: &scratch)
        XCTAssertEqual(output[0] * 255, (0 + 0.5 * 90) / 1.5, accuracy: 1e-3)
        XCTAssertEqual(output[1] * 255, (0.5 * 90 + 240) / 1.5, accuracy: 1e-3)
        // An integer factor is the plain block mean, as RGBImage.resized(.area) gives.
        let source = Generated.image(index: 7, width: 32, height: 32)
        let ours = Tensor(shape: [3, 16, 16])
        AreaResampler.resample(source, crop: CropSpec(x: 0, y: 0, side: 32, flipped: false), to: 16, into: ours.pointer, scratch: &scratch)
        let reference = source.resized(width: 16, height: 16, filter: .area).planarFloats()
        for i in 0..<reference.count { XCTAssertEqual(ours[i], reference[i], accuracy: 0.5 / 255 + 1e-6) }
    }

    func testFlipMirrorsTheCrop() {
        let image = Generated.image(index: 3, width: 40, height: 30)
        var scratch: [Float] = []
        let plain = Tensor(shape: [3, 16, 16]), mirrored = Tensor(shape: [3, 16, 16])
        AreaResampler.resample(image, crop: CropSpec(x: 5, y: 2, side: 27, flipped: false), to: 16, into: plain.pointer, scratch: &scratch)
        AreaResampler.resample(image, crop: CropSpec(x: 5, y: 2, side: 27, flipped: true), to: 16, into: mirrored.pointer, scratch: &scratch)
        for c in 0..<3 {
            for y in 0..<16 {
                for x in 0..<16 {
                    XCTAssertEqual(plain[c * 256 + y * 16 + x], mirrored[c * 256 + y * 16 + 15 - x], accuracy: 1e-6)
                }
            }
        }
    }

    func testDirectoryLoadingSkipsUnreadableFilesAndFailsWhenNoneIsLeft() throws {
        let root = try CLI.temporaryDirectory(for: self)
        let directory = try Generated.directory("imgs", count: 3, in: root)
        try Data("not an image".utf8).write(to: directory.appendingPathComponent("broken.png"))
        try Data("notes".utf8).write(to: directory.appendingPathComponent("README.txt"))
        var warnings: [String] = []
        let loaded = try ImageDirectory.load(directory: directory.path, maxShorterSide: 20) { warnings.append($0) }
        XCTAssertEqual(loaded.count, 3)
        XCTAssertEqual(warnings.count, 1)
        XCTAssert(warnings[0].contains("broken.png"), warnings[0])
        XCTAssert(loaded.allSatisfy { min($0.image.width, $0.image.height) == 20 })
        XCTAssertEqual(try ImageDirectory.load(directory: directory.path, limit: 2) { _ in }.map(\.path),
                       Array(loaded.map(\.path).prefix(2)))

        let empty = root.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        XCTAssertThrowsError(try ImageDirectory.load(directory: empty.path) { _ in })
        try Data("x".utf8).write(to: empty.appendingPathComponent("bad.jpg"))
        XCTAssertThrowsError(try ImageDirectory.load(directory: empty.path) { _ in }) { error in
            XCTAssert("\(error)".contains("could be read"), "\(error)")
        }
        XCTAssertThrowsError(try ImageDirectory.load(directory: root.appendingPathComponent("missing").path) { _ in })
    }

}
