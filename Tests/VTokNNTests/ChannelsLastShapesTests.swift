import XCTest
@testable import VTokNN

/// The channels-last inference path against the training path on images that are not squares.
final class ChannelsLastShapesTests: XCTestCase {
    func testStridedConvolutionOnRectangles() {
        for (height, width, cin) in [(256, 288, 3), (16, 40, 3), (40, 16, 3), (64, 64, 3), (128, 144, 64), (64, 72, 64)] {
            var rng = SeededRandom(seed: 3)
            let conv = Conv2d(name: "c", inputChannels: cin, outputChannels: 64, kernelSize: 5, stride: 2, padding: 2, rng: &rng)
            let x = Tensor(shape: [1, cin, height, width], values: (0..<cin * height * width).map { _ in rng.uniform() - 0.5 })
            let forward = conv.forward(x)
            let reference = (shape: forward.shape, values: forward.values)  // the layer reuses its output
            let fast = conv.inferChannelsLast(x.transposedChannels(toLast: true)).transposedChannels(toLast: false)
            XCTAssertEqual(fast.shape, reference.shape, "\(height)x\(width)")
            let worst = zip(fast.values, reference.values).map { abs($0 - $1) }.max() ?? 0
            XCTAssertLessThan(worst, 1e-4, "\(height)x\(width)")
        }
    }
}
