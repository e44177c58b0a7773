import XCTest
@testable import VTokNN

/// Gradient checks of every layer at tiny shapes (debug builds run these 10-100x slower).
/// Tolerances are those of `GradientCheck` (1e-2 of the gradient's scale) unless stated.
final class LayerGradientTests: XCTestCase {
    var rng = SeededRandom(seed: 42)

    func testLinear() {
        let layer = Linear(name: "fc", inputs: 5, outputs: 4, rng: &rng)
        layer.bias!.value = (0..<4).map { _ in rng.normal() }
        GradientCheck().check(layer, input: GradientCheck.random([2, 3, 5], &rng))
    }

    func testLinearWithoutBias() {
        let layer = Linear(name: "fc", inputs: 3, outputs: 2, bias: false, rng: &rng)
        XCTAssertEqual(layer.parameters.map(\.name), ["fc.weight"])
        GradientCheck().check(layer, input: GradientCheck.random([4, 3], &rng))
    }

    func testLayerNorm() {
        let layer = LayerNorm(name: "ln", width: 20)
        layer.gain.value = (0..<20).map { _ in 1 + 0.3 * rng.normal() }
        layer.bias!.value = (0..<20).map { _ in rng.normal() }
        // width 20: one full SIMD16 vector and a 4-lane tail.
        GradientCheck().check(layer, input: GradientCheck.random([3, 20], &rng))
    }

    func testRMSNorm() {
        let layer = LayerNorm(name: "rms", width: 7, kind: .rmsNorm)
        layer.gain.value = (0..<7).map { _ in 1 + 0.3 * rng.normal() }
        XCTAssertEqual(layer.parameters.map(\.name), ["rms.weight"])
        GradientCheck().check(layer, input: GradientCheck.random([4, 7], &rng))
    }

    func testLayerNormOutputIsNormalized() {
        let layer = LayerNorm(name: "ln", width: 32)
        let y = layer.forward(GradientCheck.random([2, 32], &rng, scale: 5)).values
        let row = Array(y[0..<32])
        let mean = row.reduce(0, +) / 32
        let variance = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 32
        XCTAssertEqual(mean, 0, accuracy: 1e-5)
        XCTAssertEqual(variance, 1, accuracy: 1e-3)
    }

    func testGELU() {
        let layer = Activation(.gelu)
        GradientCheck().check(layer, input: GradientCheck.random([3, 19], &rng, scale: 2))
        // Reference values of the tanh form: gelu(1) = 0.841192, gelu(-2) = -0.045402.
        let y = layer.forward(Tensor(shape: [2], values: [1, -2])).values
        XCTAssertEqual(y[0], 0.841192, accuracy: 1e-5)
        XCTAssertEqual(y[1], -0.045402, accuracy: 1e-5)
    }

    func testSiLU() {
        let layer = Activation(.silu)
        GradientCheck().check(layer, input: GradientCheck.random([2, 17], &rng, scale: 2))
        let y = layer.forward(Tensor(shape: [3], values: [0, 1, -20])).values
        XCTAssertEqual(y[0], 0, accuracy: 1e-7)
        XCTAssertEqual(y[1], 0.731059, accuracy: 1e-5)
        XCTAssertEqual(y[2], -20 * 2.0611537e-9, accuracy: 1e-9)
    }

    func testVectorExpMatchesLibm() {
        var worst: Float = 0
        for x in stride(from: Float(-80), through: 80, by: 0.37) {
            let v = VTokNN.exp(Vector(repeating: x))[0]
            worst = max(worst, abs(v - Foundation.exp(x)) / Foundation.exp(x))
        }
        XCTAssertLessThan(worst, 1e-6)
        XCTAssertEqual(VTokNN.exp(Vector(repeating: -.infinity))[0], 0)
    }

    func testSoftmax() {
        let layer = Softmax()
        GradientCheck().check(layer, input: GradientCheck.random([3, 18], &rng, scale: 2))
        let y = layer.forward(Tensor(shape: [1, 3], values: [1, 2, 3])).values
        XCTAssertEqual(y.reduce(0, +), 1, accuracy: 1e-6)
        XCTAssertEqual(y[2], 0.665241, accuracy: 1e-5)
    }

    func testTransformerBlock() {
        for norm in [LayerNorm.Kind.layerNorm, .rmsNorm] {
            let block = TransformerBlock(name: "block0", width: 8, heads: 2, mlpRatio: 2, mask: .causal, norm: norm, rng: &rng)
            GradientCheck().check(block, input: GradientCheck.random([2, 5, 8], &rng))
        }
    }

    func testSequentialOfLinearAndSiLU() {
        let model = Sequential([
            Linear(name: "a", inputs: 3, outputs: 6, rng: &rng), Activation(.silu),
            Linear(name: "b", inputs: 6, outputs: 2, rng: &rng),
        ])
        XCTAssertEqual(model.parameters.map(\.name), ["a.weight", "a.bias", "b.weight", "b.bias"])
        GradientCheck().check(model, input: GradientCheck.random([4, 3], &rng))
    }

    func testPatchifyMatchesPixelUnshuffleOrder() {
        let layout = PatchLayout(channels: 2, height: 4, width: 6, patchSize: 2)
        let image = Tensor(shape: [1, 2, 4, 6], values: (0..<48).map(Float.init))
        let tokens = Patchify(layout).forward(image)
        XCTAssertEqual(tokens.shape, [1, 6, 8])
        // Token 4 is patch row 1, column 1: pixels (y 2-3, x 2-3); features ordered (c, py, px).
        let expected: [Float] = [14, 15, 20, 21, 38, 39, 44, 45]
        XCTAssertEqual(Array(tokens.values[32..<40]), expected)
        XCTAssertEqual(Unpatchify(layout).forward(tokens).values, image.values)
    }

    func testPatchifyAndUnpatchifyGradients() {
        let layout = PatchLayout(channels: 3, height: 4, width: 4, patchSize: 2)
        GradientCheck().check(Patchify(layout), input: GradientCheck.random([2, 3, 4, 4], &rng))
        GradientCheck().check(Unpatchify(layout), input: GradientCheck.random([2, 4, 12], &rng))
    }

    func testPositionEmbedding() {
        let layer = PositionEmbedding(name: "pos", length: 6, width: 4, rng: &rng)
        // A sequence shorter than the table: rows 4 and 5 get no gradient.
        GradientCheck().check(layer, input: GradientCheck.random([3, 4, 4], &rng))
        XCTAssertEqual(Array(layer.table.grad[16...]), [Float](repeating: 0, count: 8))
    }

    func testMaskEmbedding() {
        let layer = MaskEmbedding(name: "mask_token", width: 3, rng: &rng)
        layer.keptLengths = [2, 0, 4]
        GradientCheck().check(layer, input: GradientCheck.random([3, 4, 3], &rng))
        let y = layer.forward(GradientCheck.random([3, 4, 3], &rng)).values
        XCTAssertEqual(Array(y[6..<9]), layer.embedding.value)
        XCTAssertEqual(Array(y[12..<15]), layer.embedding.value)
    }

    func testLearnedTokensAndSlice() {
        for placement in [LearnedTokens.Placement.before, .after] {
            let layer = LearnedTokens(name: "registers", count: 2, width: 3, placement: placement, rng: &rng)
            GradientCheck().check(layer, input: GradientCheck.random([2, 3, 3], &rng))
            let y = layer.forward(GradientCheck.random([2, 3, 3], &rng))
            XCTAssertEqual(y.shape, [2, 5, 3])
            let learnedRow = placement == .before ? 5 : 8  // sample 1, first learned token
            XCTAssertEqual(Array(y.values[learnedRow * 3..<learnedRow * 3 + 3]), Array(layer.tokens.value[0..<3]))
        }
        let slice = SequenceSlice(1..<3)
        GradientCheck().check(slice, input: GradientCheck.random([2, 4, 3], &rng))
        let x = Tensor(shape: [1, 4, 1], values: [0, 1, 2, 3])
        XCTAssertEqual(slice.forward(x).values, [1, 2])
    }

    func testSequenceMixing() {
        // Sources 0..<2 into targets from 3: positions 3 and 4 of a length-5 sequence, then only
        // position 3 of a length-4 one (fewer registers active); position 2 is passed through.
        let layer = SequenceMixing(name: "mix", sources: 0..<2, targetStart: 3,
                                   initialMatrix: (0..<4).map { _ in rng.normal() }, targets: 2)
        GradientCheck().check(layer, input: GradientCheck.random([2, 5, 3], &rng))
        GradientCheck().check(layer, input: GradientCheck.random([2, 4, 3], &rng))
        let x = Tensor(shape: [1, 5, 1], values: [1, 2, 7, 10, 20])
        let m = layer.matrix.value
        let expected = [1, 2, 7, 10 + m[0] + 2 * m[1], 20 + m[2] + 2 * m[3]]
        for (value, wanted) in zip(layer.forward(x).values, expected) { XCTAssertEqual(value, wanted, accuracy: 1e-5) }
    }

    func testConv2d() {
        for (stride, padding) in [(1, 1), (2, 1), (1, 0)] {
            let layer = Conv2d(name: "conv", inputChannels: 2, outputChannels: 3, kernelSize: 3, stride: stride, padding: padding, rng: &rng)
            layer.bias.value = [0.1, -0.2, 0.3]
            GradientCheck().check(layer, input: GradientCheck.random([2, 2, 5, 4], &rng))
        }
    }

    func testConv2dMatchesDirectSum() {
        let layer = Conv2d(name: "conv", inputChannels: 2, outputChannels: 1, kernelSize: 3, stride: 2, padding: 1, rng: &rng)
        let x = GradientCheck.random([1, 2, 5, 5], &rng)
        let y = layer.forward(x)
        XCTAssertEqual(y.shape, [1, 1, 3, 3])
        // Output (1, 2) reads input rows 1..3, columns 3..5 (5 is padding).
        var expected: Float = 0
        for c in 0..<2 {
            for ky in 0..<3 {
                for kx in 0..<3 where 3 + kx < 5 {
                    expected += layer.weight.value[(c * 3 + ky) * 3 + kx] * x[(c * 5 + 1 + ky) * 5 + 3 + kx]
                }
            }
        }
        XCTAssertEqual(y[1 * 3 + 2], expected, accuracy: 1e-5)
    }

    func testConvolutionalRefinement() {
        let layer = ConvolutionalRefinement(name: "refine", inputChannels: 4, hiddenChannels: 3, outputChannels: 2, rng: &rng)
        let x = GradientCheck.random([2, 4, 4, 3], &rng)
        // The last convolution starts at zero: the first channels pass through unchanged.
        let passed = layer.forward(x)
        XCTAssertEqual(passed.shape, [2, 2, 4, 3])
        for b in 0..<2 {
            for i in 0..<2 * 12 { XCTAssertEqual(passed[b * 24 + i], x[b * 48 + i]) }
        }
        for parameter in layer.parameters { parameter.value = parameter.value.map { _ in rng.normal() * 0.5 } }
        GradientCheck().check(layer, input: x)
    }

    func testUpsample() {
        GradientCheck().check(Upsample2x(.nearest), input: GradientCheck.random([2, 2, 3, 2], &rng))
        GradientCheck().check(Upsample2x(.bilinear), input: GradientCheck.random([2, 2, 3, 2], &rng))
        // PyTorch, F.interpolate([[0, 1, 2]], scale_factor=2, mode="bilinear") along one axis:
        // 0, 0.25, 0.75, 1.25, 1.75, 2.
        let row = Upsample2x(.bilinear).forward(Tensor(shape: [1, 1, 1, 3], values: [0, 1, 2])).values
        XCTAssertEqual(row, [0, 0.25, 0.75, 1.25, 1.75, 2, 0, 0.25, 0.75, 1.25, 1.75, 2])
        let nearest = Upsample2x(.nearest).forward(Tensor(shape: [1, 1, 1, 2], values: [3, 4])).values
        XCTAssertEqual(nearest, [3, 3, 4, 4, 3, 3, 4, 4])
    }

    func testSignSTE() {
        let layer = SignSTE()
        XCTAssertEqual(layer.forward(Tensor(shape: [4], values: [-0.5, 0, 2, -3])).values, [-1, 1, 1, -1])
        let dOut = Tensor(shape: [4], values: [1, 2, 3, 4])
        XCTAssertEqual(layer.backward(dOut).values, [1, 2, 3, 4])
    }

    func testReshapedSharesStorage() {
        let tensor = Tensor(shape: [2, 3, 4])
        let view = tensor.reshaped([6, 4])
        view[5] = 7
        XCTAssertEqual(tensor[5], 7)
        XCTAssertEqual(view.rows, 6)
        var slot: Tensor? = view
        XCTAssertFalse(Tensor.reuse(&slot, shape: [6, 4]) === view, "a view is never reused as a layer's own buffer")
    }

    func testBuffersAreReusedAcrossSteps() {
        let block = TransformerBlock(name: "b", width: 8, heads: 2, rng: &rng)
        let x = GradientCheck.random([2, 4, 8], &rng)
        let first = block.forward(x), firstGradient = block.backward(first)
        let second = block.forward(x), secondGradient = block.backward(second)
        XCTAssertTrue(first === second)
        XCTAssertTrue(firstGradient === secondGradient)
        // A smaller batch fits in the same storage.
        XCTAssertTrue(block.forward(GradientCheck.random([1, 4, 8], &rng)).pointer == first.pointer)
    }
}
