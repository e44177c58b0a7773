import XCTest
@testable import VTokImage

final class ResampleTests: XCTestCase {
    func testConstantImageStaysConstantUnderEveryFilter() {
        let constant = RGBImage(width: 23, height: 17,
                                pixels: Array(repeating: [201, 7, 99], count: 23 * 17).flatMap { $0 })
        for filter in ResampleFilter.allCases {
            for (width, height) in [(11, 8), (5, 40), (64, 3), (1, 1), (23, 50)] {
                let resized = constant.resized(width: width, height: height, filter: filter)
                XCTAssertEqual(resized.width, width)
                XCTAssertEqual(resized.height, height)
                XCTAssertEqual(resized.pixels, Array(repeating: [201, 7, 99], count: width * height).flatMap { $0 },
                               "\(filter) to \(width)x\(height)")
            }
        }
    }

    func testAreaHalvingIsTheMeanOfEachBlock() {
        let image = randomImage(width: 10, height: 6, seed: 5)
        let halved = image.resized(width: 5, height: 3, filter: .area)
        for y in 0..<3 {
            for x in 0..<5 {
                for channel in 0..<3 {
                    let block = [(0, 0), (1, 0), (0, 1), (1, 1)].map { dx, dy in
                        Int(image.pixels[((2 * y + dy) * 10 + 2 * x + dx) * 3 + channel])
                    }
                    let mean = UInt8((Double(block.reduce(0, +)) / 4).rounded())
                    XCTAssertEqual(halved.pixels[(y * 5 + x) * 3 + channel], mean, "(\(x), \(y)) channel \(channel)")
                }
            }
        }
    }

    func testAreaThirdingAveragesWholeImageToItsMean() {
        // A 3x3 downscale to 1x1 is the mean of all nine pixels.
        let image = randomImage(width: 3, height: 3, seed: 6)
        let single = image.resized(width: 1, height: 1, filter: .area)
        for channel in 0..<3 {
            let values = stride(from: channel, to: 27, by: 3).map { Int(image.pixels[$0]) }
            XCTAssertEqual(Int(single.pixels[channel]), Int((Double(values.reduce(0, +)) / 9).rounded()))
        }
    }

    func testAreaUpscaleReplicatesPixels() {
        let image = randomImage(width: 3, height: 2, seed: 8)
        let doubled = image.resized(width: 6, height: 4, filter: .area)
        for y in 0..<4 {
            for x in 0..<6 {
                XCTAssertEqual(doubled.pixels[(y * 6 + x) * 3..<(y * 6 + x) * 3 + 3],
                               image.pixels[((y / 2) * 3 + x / 2) * 3..<((y / 2) * 3 + x / 2) * 3 + 3])
            }
        }
    }

    /// Interpolating filters reproduce a linear ramp away from the borders (where the truncated kernel
    /// is renormalised and the ramp bends).
    func testUpscaledGradientStaysOnTheRamp() {
        let (width, height, factor) = (16, 12, 4)
        let ramp = { (x: Double, y: Double) in [40 + 10 * x, 200 - 12 * y, 30 + 5 * x + 6 * y] }
        var pixels: [UInt8] = []
        for y in 0..<height { for x in 0..<width { pixels += ramp(Double(x), Double(y)).map { UInt8($0) } } }
        let image = RGBImage(width: width, height: height, pixels: pixels)
        for filter in [ResampleFilter.lanczos3, .bicubic] {
            let large = image.resized(width: width * factor, height: height * factor, filter: filter)
            let margin = 3 * factor
            for y in margin..<(height * factor - margin) {
                for x in margin..<(width * factor - margin) {
                    // Output pixel centres map back to source coordinates (x + 0.5) / factor - 0.5.
                    let sourceX = (Double(x) + 0.5) / Double(factor) - 0.5
                    let expected = ramp(sourceX, (Double(y) + 0.5) / Double(factor) - 0.5)
                    for channel in 0..<3 {
                        XCTAssertEqual(Double(large.pixels[(y * width * factor + x) * 3 + channel]), expected[channel],
                                       accuracy: 1.0, "\(filter) at (\(x), \(y))")
                    }
                }
            }
        }
    }

    /// Downscaling widens the filter: a one-pixel checkerboard averages to flat gray instead of aliasing.
    func testDownscalingAntialiases() {
        let (width, height) = (40, 40)
        var pixels: [UInt8] = []
        for y in 0..<height { for x in 0..<width { pixels += Array(repeating: (x + y) % 2 == 0 ? 0 : 255, count: 3) } }
        let checkerboard = RGBImage(width: width, height: height, pixels: pixels)
        for filter in ResampleFilter.allCases {
            let small = checkerboard.resized(width: 7, height: 7, filter: filter)
            let spread = Int(small.pixels.max()!) - Int(small.pixels.min()!)
            XCTAssertLessThan(spread, 40, "\(filter)")
        }
    }

    func testUnchangedAxisIsCopiedExactly() {
        let image = randomImage(width: 9, height: 7, seed: 12)
        XCTAssertEqual(image.resized(width: 9, height: 7, filter: .lanczos3), image)
        let taller = image.resized(width: 9, height: 14, filter: .area)
        XCTAssertEqual(Array(taller.pixels[0..<27]), Array(image.pixels[0..<27]), "first row replicated unchanged")
    }

    func testCenterCropPicksTheMiddle() {
        // Each pixel stores its own coordinates: R = x, G = y.
        let coordinates: [UInt8] = (0..<(15 * 12)).flatMap { index -> [UInt8] in
            [UInt8(index % 15), UInt8(index / 15), 0]
        }
        let image = RGBImage(width: 15, height: 12, pixels: coordinates)
        let cropped = image.centerCropped(width: 10, height: 7)
        XCTAssertEqual(cropped.width, 10)
        XCTAssertEqual(cropped.height, 7)
        // Margins 5 and 5 split 2 + 3 and 2 + 3: the extra pixel goes right and bottom.
        for y in 0..<7 {
            for x in 0..<10 {
                XCTAssertEqual(cropped.pixels[(y * 10 + x) * 3], UInt8(x + 2))
                XCTAssertEqual(cropped.pixels[(y * 10 + x) * 3 + 1], UInt8(y + 2))
            }
        }
        XCTAssertEqual(image.centerCropped(width: 15, height: 12), image)
    }

    func testShorterSideResize() {
        let landscape = RGBImage(width: 400, height: 300)
        let resized = landscape.resizedShorterSide(to: 64, filter: .area)
        XCTAssertEqual(resized.width, 85) // 400 * 64 / 300 = 85.3, truncated
        XCTAssertEqual(resized.height, 64)
        let portrait = RGBImage(width: 30, height: 31).resizedShorterSide(to: 60)
        XCTAssertEqual(portrait.width, 60)
        XCTAssertEqual(portrait.height, 62)
    }

    func testTokenizerPreprocessingGivesSquares() {
        // Landscape, portrait, odd and just-too-small inputs at a small size keep the debug run quick;
        // tiny inputs go through the default 256.
        let sizes = [(100, 75), (75, 125), (65, 250), (63, 63)]
        for (index, (width, height)) in sizes.enumerated() {
            let square = randomImage(width: width, height: height, seed: UInt64(index)).tokenizerPreprocessed(size: 64)
            XCTAssertEqual(square.width, 64, "\(width)x\(height)")
            XCTAssertEqual(square.height, 64, "\(width)x\(height)")
        }
        for (width, height) in [(3, 2), (1, 1), (2, 5)] {
            let square = randomImage(width: width, height: height, seed: 9).tokenizerPreprocessed()
            XCTAssertEqual(square.width, 256, "\(width)x\(height)")
            XCTAssertEqual(square.height, 256, "\(width)x\(height)")
        }
        let alreadySquare = randomImage(width: 64, height: 64, seed: 2)
        XCTAssertEqual(alreadySquare.tokenizerPreprocessed(size: 64), alreadySquare)
    }

    /// The crop keeps the centre: a landscape image whose middle third is red and whose sides are
    /// blue comes out red in the middle column.
    func testTokenizerPreprocessingKeepsTheCentre() {
        let (width, height) = (96, 32)
        var pixels: [UInt8] = []
        for _ in 0..<height { for x in 0..<width { pixels += (32..<64).contains(x) ? [255, 0, 0] : [0, 0, 255] } }
        let square = RGBImage(width: width, height: height, pixels: pixels).tokenizerPreprocessed(size: 16)
        XCTAssertEqual(Array(square.pixels[(8 * 16 + 8) * 3..<(8 * 16 + 8) * 3 + 3]), [255, 0, 0])
    }

    // MARK: Planar floats

    func testPlanarFloatRoundTripIsExact() {
        let image = RGBImage(width: 16, height: 16, pixels: (0..<(16 * 16 * 3)).map { UInt8(($0 * 7) % 256) })
        XCTAssertEqual(Set(image.pixels).count, 256, "every byte value is covered")
        let planes = image.planarFloats()
        XCTAssertEqual(RGBImage(planarFloats: planes, width: 16, height: 16), image)
    }

    func testPlanarLayoutIsChannelMajor() {
        let image = RGBImage(width: 2, height: 1, pixels: [255, 0, 51, 102, 204, 0])
        XCTAssertEqual(image.planarFloats(), [1, 0.4, 0, 0.8, 0.2, 0])
    }

    func testPlanarConversionRoundsAndClamps() {
        let planes: [Float] = [-0.5, 1.5, .nan, 0.49 / 255, 0.51 / 255, 254.5 / 255]
        let image = RGBImage(planarFloats: planes, width: 2, height: 1)
        // Pixel 0 takes planes[0], planes[2], planes[4]; pixel 1 takes planes[1], planes[3], planes[5].
        XCTAssertEqual(image.pixels, [0, 0, 1, 255, 0, 255])
    }
}
