import XCTest
@testable import VTokNN

/// The layers of a convolutional learned codec (Ballé-2017 style analysis/synthesis transforms with
/// a factorized prior over scalar-quantized latents): GDN/IGDN, transposed convolution, batched
/// convolution, scalar quantizer and categorical prior.
///
/// The gradient checks measure as `GradientCheck` does (central differences of L = Σ y·r, worst
/// |analytic − numeric| over the tensor's largest numeric gradient, tolerance 1e-2) but return the
/// ratios, which the tests print so that the margins are on record.
final class ConvCodecLayerTests: XCTestCase {
    var rng = SeededRandom(seed: 2024)

    // MARK: - Finite differences

    /// Central-difference gradient of `loss` with respect to `count` scalars reached by get/set.
    static func numericGradient(count: Int, step: Float = 1e-2, get: (Int) -> Float, set: (Int, Float) -> Void,
                                loss: () -> Double) -> [Double] {
        (0..<count).map { i in
            let saved = get(i)
            set(i, saved + step)
            let plus = loss()
            set(i, saved - step)
            let minus = loss()
            set(i, saved)
            return (plus - minus) / Double(2 * step)
        }
    }

    /// Worst |analytic − numeric| over max |numeric|; asserts it is within `tolerance` and that
    /// the gradient is not trivially zero.
    @discardableResult
    static func relativeError(_ analytic: [Float], _ numeric: [Double], _ what: String, tolerance: Double = 1e-2,
                              file: StaticString = #filePath, line: UInt = #line) -> Double {
        XCTAssertEqual(analytic.count, numeric.count, what, file: file, line: line)
        let scale = numeric.map(abs).max() ?? 0
        let worst = zip(analytic, numeric).map { abs(Double($0) - $1) }.max() ?? 0
        XCTAssertGreaterThan(scale, 1e-6, "\(what): gradient is zero, the check proves nothing", file: file, line: line)
        let ratio = worst / max(scale, 1e-30)
        XCTAssertLessThanOrEqual(ratio, tolerance, "\(what): worst \(worst) vs scale \(scale)", file: file, line: line)
        print(String(format: "gradient check %@: worst/scale %.2e", what, ratio))
        return ratio
    }

    /// GradientCheck's measurement of a layer's input and parameter gradients, with ratios printed.
    static func checkLayer(_ layer: Layer, input: Tensor, label: String, seed: UInt64 = 7,
                           file: StaticString = #filePath, line: UInt = #line) {
        var rng = SeededRandom(seed: seed)
        let probe = Tensor(shape: layer.forward(input).shape)
        for i in 0..<probe.count { probe[i] = rng.normal() }
        func loss() -> Double {
            let y = layer.forward(input)
            return (0..<y.count).reduce(0.0) { $0 + Double(y[$1]) * Double(probe[$1]) }
        }
        _ = layer.forward(input)
        layer.parameters.forEach { $0.zeroGrad() }
        let analyticInput = layer.backward(probe).values
        let analyticParameters = layer.parameters.map(\.grad)
        let numericInput = numericGradient(count: input.count, get: { input[$0] }, set: { input[$0] = $1 }, loss: loss)
        relativeError(analyticInput, numericInput, "\(label) input", file: file, line: line)
        for (parameter, analytic) in zip(layer.parameters, analyticParameters) {
            let numeric = numericGradient(count: parameter.count, get: { parameter.value[$0] },
                                          set: { parameter.value[$0] = $1 }, loss: loss)
            relativeError(analytic, numeric, "\(label) \(parameter.name)", file: file, line: line)
        }
    }

    // MARK: - GDN

    /// Random stored values well above the lower bounds, so that ±h never crosses the kink there.
    func randomizeGDN(_ layer: GDN) {
        layer.beta.value = layer.beta.value.map { _ in 0.6 + 0.8 * rng.uniform() }
        layer.gamma.value = layer.gamma.value.map { _ in 0.15 + 0.4 * rng.uniform() }
    }

    func testGDNGradients() {
        for inverse in [false, true] {
            let layer = GDN(name: "gdn", channels: 3, inverse: inverse)
            XCTAssertEqual(layer.parameters.map(\.name), ["gdn.beta", "gdn.gamma"])
            randomizeGDN(layer)
            Self.checkLayer(layer, input: GradientCheck.random([2, 3, 3, 4], &rng), label: inverse ? "IGDN" : "GDN")
        }
    }

    func testGDNAndIGDNMatchFormula() {
        let gdn = GDN(name: "gdn", channels: 2), igdn = GDN(name: "igdn", channels: 2, inverse: true)
        // At initialisation β = 1, γ = 0.1·I: y = x / sqrt(1 + 0.1·x²).
        let x = GradientCheck.random([1, 2, 2, 3], &rng, scale: 2)
        let y = gdn.forward(x)
        for i in 0..<x.count { XCTAssertEqual(y[i], x[i] / (1 + 0.1 * x[i] * x[i]).squareRoot(), accuracy: 1e-5) }
        // With cross terms: channel 0 of one pixel, written out.
        randomizeGDN(gdn)
        let z = gdn.forward(x)
        let b = gdn.beta.value.map { $0 * $0 - GDN.pedestal }, g = gdn.gamma.value.map { $0 * $0 - GDN.pedestal }
        let x0 = x[4], x1 = x[6 + 4]
        XCTAssertEqual(z[4], x0 / (b[0] + g[0] * x0 * x0 + g[1] * x1 * x1).squareRoot(), accuracy: 1e-5)
        // IGDN multiplies by the same root instead of dividing.
        igdn.beta.value = gdn.beta.value
        igdn.gamma.value = gdn.gamma.value
        let w = igdn.forward(x)
        XCTAssertEqual(w[4], x0 * (b[0] + g[0] * x0 * x0 + g[1] * x1 * x1).squareRoot(), accuracy: 1e-5)
        XCTAssertEqual(w[4] * z[4], x0 * x0, accuracy: 1e-4)
    }

    func testGDNLowerBoundLetsOnlyRisingGradientsThrough() {
        // At initialisation the off-diagonal γ sit at their bound: a gradient that would lower them
        // is blocked, one that raises them passes (CompressAI's LowerBound).
        XCTAssertEqual(GDN.effective(GDN.gammaBound, bound: GDN.gammaBound), 0, accuracy: 1e-12)
        XCTAssertEqual(GDN.storedGradient(GDN.gammaBound / 2, bound: GDN.gammaBound, 1), 0)
        XCTAssertLessThan(GDN.storedGradient(GDN.gammaBound / 2, bound: GDN.gammaBound, -1), 0)
        XCTAssertEqual(GDN.storedGradient(0.5, bound: GDN.gammaBound, 2), 2)
        XCTAssertEqual(GDN.effective(0, bound: GDN.betaBound), 1e-6, accuracy: 1e-9)
    }

    // MARK: - Transposed and batched convolution

    func testTransposedConvOutputSizeMatchesPyTorch() {
        let layer = TransposedConv2d(name: "up", inputChannels: 2, outputChannels: 3, kernelSize: 5, stride: 2,
                                     padding: 2, outputPadding: 1, rng: &rng)
        XCTAssertEqual(layer.parameters.map(\.name), ["up.weight", "up.bias"])
        XCTAssertEqual(layer.weight.shape, [2, 3, 5, 5])
        XCTAssertEqual(layer.forward(Tensor(shape: [1, 2, 8, 5])).shape, [1, 3, 16, 10])
        let plain = TransposedConv2d(name: "t", inputChannels: 1, outputChannels: 1, kernelSize: 3, stride: 2, rng: &rng)
        XCTAssertEqual(plain.forward(Tensor(shape: [1, 1, 4, 4])).shape, [1, 1, 9, 9])  // (4−1)·2 + 3
    }

    func testTransposedConvGradients() {
        for (kernel, stride, padding, outputPadding) in [(3, 1, 1, 0), (5, 2, 2, 1), (3, 2, 0, 1), (4, 3, 1, 2)] {
            for budget in [0, defaultBatchColumns] {
                let layer = TransposedConv2d(name: "up", inputChannels: 2, outputChannels: 3, kernelSize: kernel, stride: stride,
                                             padding: padding, outputPadding: outputPadding, rng: &rng)
                layer.batchColumns = budget
                layer.bias.value = [0.1, -0.2, 0.3]
                Self.checkLayer(layer, input: GradientCheck.random([2, 2, 3, 4], &rng),
                                label: "TransposedConv2d k\(kernel) s\(stride) p\(padding) op\(outputPadding)\(budget == 0 ? " per-sample" : "")")
            }
        }
    }

    func testBatchedConvGradients() {
        // Two samples of 3×2 output pixels a product: a batch of 3 runs as chunks of 1 and 2.
        let layer = Conv2d(name: "conv", inputChannels: 2, outputChannels: 3, kernelSize: 3, stride: 2, padding: 1, rng: &rng)
        layer.batchColumns = 12
        layer.bias.value = [0.1, -0.2, 0.3]
        Self.checkLayer(layer, input: GradientCheck.random([3, 2, 5, 4], &rng), label: "Conv2d chunked")
    }

    /// ⟨conv(x), y⟩ = ⟨x, convT(y)⟩ with the same weights and zero biases: the transposed
    /// convolution is exactly the convolution's adjoint, as PyTorch's conv_transpose2d is.
    func testTransposedConvIsAdjointOfConv() {
        for (kernel, stride, padding, size) in [(5, 2, 2, 9), (5, 2, 2, 8), (3, 1, 1, 6), (4, 3, 0, 11)] {
            let conv = Conv2d(name: "c", inputChannels: 3, outputChannels: 4, kernelSize: kernel, stride: stride, padding: padding, rng: &rng)
            let outputPadding = (size + 2 * padding - kernel) % stride
            let transposed = TransposedConv2d(name: "t", inputChannels: 4, outputChannels: 3, kernelSize: kernel, stride: stride,
                                              padding: padding, outputPadding: outputPadding, rng: &rng)
            transposed.weight.value = conv.weight.value
            let x = GradientCheck.random([2, 3, size, size + stride], &rng)  // same output padding on both axes
            let cx = conv.forward(x)
            let y = GradientCheck.random(cx.shape, &rng)
            let ty = transposed.forward(y)
            XCTAssertEqual(ty.shape, x.shape)
            let left = (0..<cx.count).reduce(0.0) { $0 + Double(cx[$1]) * Double(y[$1]) }
            let right = (0..<x.count).reduce(0.0) { $0 + Double(x[$1]) * Double(ty[$1]) }
            XCTAssertEqual(left, right, accuracy: 1e-4 * max(abs(left), 1), "k\(kernel) s\(stride) p\(padding) size \(size)")
        }
    }

    /// The batched products, the chunked ones and one product per sample give the same outputs and
    /// gradients (to float rounding): chunking is a schedule, not a different function.
    func testBatchingDoesNotChangeResults() {
        let conv = Conv2d(name: "c", inputChannels: 3, outputChannels: 4, kernelSize: 5, stride: 2, padding: 2, rng: &rng)
        let transposed = TransposedConv2d(name: "t", inputChannels: 3, outputChannels: 4, kernelSize: 5, stride: 2,
                                          padding: 2, outputPadding: 1, rng: &rng)
        conv.bias.value = [0.5, -1, 0.25, 2]
        transposed.bias.value = conv.bias.value
        let x = GradientCheck.random([5, 3, 9, 7], &rng)
        for layer in [conv, transposed] as [Layer] {
            var results: [([Float], [Float], [Float])] = []
            let dOut = GradientCheck.random(layer.forward(x).shape, &rng)
            // A sample has 5·4 kernel positions (Conv2d) or 9·7 (transposed): 40 columns make
            // chunks of 2 samples for the one, 126 for the other (a batch of 5 in 3 chunks).
            for columns in [0, 40, 126, defaultBatchColumns] {
                if let conv = layer as? Conv2d { conv.batchColumns = columns }
                if let transposed = layer as? TransposedConv2d { transposed.batchColumns = columns }
                layer.parameters.forEach { $0.zeroGrad() }
                let y = layer.forward(x).values
                results.append((y, layer.backward(dOut).values, layer.parameters[0].grad + layer.parameters[1].grad))
            }
            for other in results.dropFirst() {
                for (a, b) in [(results[0].0, other.0), (results[0].1, other.1), (results[0].2, other.2)] {
                    XCTAssertEqual(a.count, b.count)
                    let worst = zip(a, b).map { abs($0 - $1) }.max()!, scale = a.map(abs).max()!
                    XCTAssertLessThan(worst, 1e-5 * max(scale, 1))
                }
            }
        }
    }

    /// The channels-last kernels give `forward`'s output, transposed, whatever their pieces: rows
    /// of one sample (a small budget), several pieces a worker, a whole sample; stride 1 and 2,
    /// odd sizes, padding on every side, and one pixel (a single product row).
    func testChannelsLastInferenceEqualsForward() {
        for (stride, height, width) in [(2, 9, 7), (2, 12, 70), (1, 9, 5), (2, 1, 1)] {
            let conv = Conv2d(name: "c", inputChannels: 3, outputChannels: 4, kernelSize: 5, stride: stride, padding: 2, rng: &rng)
            conv.bias.value = [0.5, -1, 0.25, 2]
            let x = GradientCheck.random([5, 3, height, width], &rng)
            let expected = conv.forward(x).transposedChannels(toLast: true).values
            let outWidth = (width - 1) / stride + 1, outHeight = (height - 1) / stride + 1
            // The fourth: 4 pieces of ⌈rows/4⌉ rows, the last of which may start past the end (5 rows).
            for budget in [75 * outWidth, 2 * 75 * outWidth + 1, 1 << 24, outHeight * 76 * outWidth / 4 + 1] {
                conv.inferenceColumnFloats = budget
                XCTAssertEqual(conv.inferChannelsLast(x.transposedChannels(toLast: true)).values, expected, accuracy: 1e-5)
            }
            // New weights and bias (as after a training step) are picked up, not the cached layout.
            conv.weight.value = conv.weight.value.map { $0 * 0.5 }
            conv.bias.value[0] = 3
            XCTAssertEqual(conv.inferChannelsLast(x.transposedChannels(toLast: true)).values,
                           conv.forward(x).transposedChannels(toLast: true).values, accuracy: 1e-5)
        }
        // Transposed: the synthesis' k = 5, s = 2 on odd sizes and one pixel, with small budgets (a
        // piece a row of q) and large; other strides, kernels and output paddings.
        for (kernel, stride, padding, outputPadding, height, width) in [(5, 2, 2, 1, 7, 9), (5, 2, 2, 1, 1, 1), (5, 2, 2, 1, 12, 33),
                                                                           (3, 1, 1, 0, 6, 5), (4, 3, 1, 2, 5, 4), (5, 2, 2, 0, 6, 6)] {
            let deconv = TransposedConv2d(name: "t", inputChannels: 5, outputChannels: 16, kernelSize: kernel, stride: stride,
                                          padding: padding, outputPadding: outputPadding, rng: &rng)
            deconv.bias.value[0...2] = [0.5, -1, 0.25]
            let x = GradientCheck.random([2, 5, height, width], &rng)
            let expected = deconv.forward(x).transposedChannels(toLast: true).values
            for budget in [1, 200, 1 << 24] {
                deconv.inferenceColumnFloats = budget
                XCTAssertEqual(deconv.inferChannelsLast(x.transposedChannels(toLast: true)).values, expected, accuracy: 1e-5,
                               "k \(kernel) s \(stride) \(height)x\(width), budget \(budget)")
            }
            deconv.weight.value = deconv.weight.value.map { $0 * 0.5 }
            deconv.bias.value[0] = 3
            XCTAssertEqual(deconv.inferChannelsLast(x.transposedChannels(toLast: true)).values,
                           deconv.forward(x).transposedChannels(toLast: true).values, accuracy: 1e-5)
        }
        for inverse in [false, true] {
            let gdn = GDN(name: "g", channels: 6, inverse: inverse)
            gdn.gamma.value = gdn.gamma.value.map { $0 + 0.05 }
            for shape in [[3, 6, 5, 7], [1, 6, 40, 40]] {  // the second takes two pieces of pixels
                let x = GradientCheck.random(shape, &rng)
                XCTAssertEqual(gdn.inferChannelsLast(x.transposedChannels(toLast: true)).values,
                               gdn.forward(x).transposedChannels(toLast: true).values, accuracy: 1e-5)
            }
        }
        // A layer without its own kernel goes through the transposes.
        let sequence = Sequential([Conv2d(name: "a", inputChannels: 3, outputChannels: 4, kernelSize: 3, stride: 2, padding: 1, rng: &rng),
                                   GDN(name: "g", channels: 4), Upsample2x(.bilinear)])
        let x = GradientCheck.random([2, 3, 8, 8], &rng)
        XCTAssertEqual(sequence.inferChannelsLast(x.transposedChannels(toLast: true)).values,
                       sequence.forward(x).transposedChannels(toLast: true).values, accuracy: 1e-5)
        XCTAssertEqual(x.transposedChannels(toLast: true).transposedChannels(toLast: false).values, x.values)
    }

    func testCopyEvenElements() {
        let source = (0..<200).map(Float.init)
        for count in [0, 1, 15, 16, 17, 33, 100] {
            var target = [Float](repeating: -1, count: count + 1)
            source.withUnsafeBufferPointer { s in
                target.withUnsafeMutableBufferPointer { copyEvenElements(from: s.baseAddress!, to: $0.baseAddress!, count: count) }
            }
            XCTAssertEqual(Array(target.prefix(count)), (0..<count).map { Float(2 * $0) })
            XCTAssertEqual(target[count], -1, "wrote past \(count)")
        }
    }

    func testConv2dMatchesPreBatchingImplementation() {
        let conv = Conv2d(name: "c", inputChannels: 3, outputChannels: 4, kernelSize: 5, stride: 2, padding: 2, rng: &rng)
        let legacy = LegacyConv2d(name: "c", inputChannels: 3, outputChannels: 4, kernelSize: 5, stride: 2, padding: 2, rng: &rng)
        legacy.weight.value = conv.weight.value
        conv.bias.value = [0.5, -1, 0.25, 2]
        legacy.bias.value = conv.bias.value
        conv.batchColumns = 40  // chunks of 2 samples
        let x = GradientCheck.random([5, 3, 9, 7], &rng)
        let dOut = GradientCheck.random([5, 4, 5, 4], &rng)
        XCTAssertEqual(conv.forward(x).values, legacy.forward(x).values, accuracy: 1e-5)
        XCTAssertEqual(conv.backward(dOut).values, legacy.backward(dOut).values, accuracy: 1e-5)
        XCTAssertEqual(conv.weight.grad, legacy.weight.grad, accuracy: 1e-4)
        XCTAssertEqual(conv.bias.grad, legacy.bias.grad, accuracy: 1e-4)
    }

    func testConvolutionChunking() {
        func chunks(_ batch: Int, pixels: Int, depth: Int, target: Int = defaultBatchColumns) -> [Range<Int>] {
            ConvolutionGeometry.chunks(batch: batch, pixels: pixels, floatsPerSample: depth * pixels, targetColumns: target)
        }
        // The codec's layers at batch 16: 64×64 and larger outputs one sample a product, 16×16 four, 8×8 all 16.
        XCTAssertEqual(chunks(16, pixels: 1024, depth: 1600).count, 16)
        XCTAssertEqual(chunks(16, pixels: 256, depth: 1600), [0..<4, 4..<8, 8..<12, 12..<16])
        XCTAssertEqual(chunks(16, pixels: 64, depth: 1600), [0..<16])
        // The 64 MB cap wins over the target; uneven batches split evenly; target 0 is per-sample.
        XCTAssertEqual(chunks(16, pixels: 1024, depth: 1600, target: .max), [0..<8, 8..<16])
        XCTAssertEqual(chunks(5, pixels: 10, depth: 1, target: 20), [0..<1, 1..<3, 3..<5])
        XCTAssertEqual(chunks(3, pixels: 10, depth: 1, target: 0), [0..<1, 1..<2, 2..<3])
    }

    // MARK: - Scalar quantizer

    func testScalarQuantizer() {
        let quantizer = ScalarQuantizer(levels: 8)
        let x = Tensor(shape: [8], values: [-9, -3.6, -0.5, 0.49, 1.5, 2.5, 3.4, 12])
        XCTAssertEqual(quantizer.forward(x).values, [-4, -4, 0, 0, 2, 2, 3, 3])  // ties to even
        XCTAssertEqual((0..<8).map { quantizer.symbol(of: quantizer.value(of: $0)) }, Array(0..<8))
        XCTAssertEqual(quantizer.symbol(of: -100), 0)
        XCTAssertEqual(ScalarQuantizer.symbol(of: 100, levels: 8), 7)
        XCTAssertEqual(ScalarQuantizer.value(of: 0, levels: 8), -4)
        // Inside the levels (to ½ past the ends) the gradient passes; past them, only the sign
        // that a descent step turns back inside: x = −9 keeps negative gradients, x = 12 positive ones.
        _ = quantizer.forward(x)
        let dOut = Tensor(shape: [8], values: [1, 2, 3, 4, 5, 6, 7, -8])
        XCTAssertEqual(quantizer.backward(dOut).values, [0, 2, 3, 4, 5, 6, 7, 0])
        let inward = Tensor(shape: [8], values: [-1, 2, 3, 4, 5, 6, 7, 8])
        XCTAssertEqual(quantizer.backward(inward).values, inward.values)
    }

    // MARK: - Categorical prior

    func makePrior(temperature: Float) -> CategoricalPrior {
        let prior = CategoricalPrior(name: "prior", channels: 3, levels: 8, temperature: temperature)
        XCTAssertEqual(prior.parameters.map(\.name), ["prior.logits"])
        XCTAssertEqual(prior.logits.shape, [3, 8])
        prior.logits.value = prior.logits.value.map { _ in rng.normal() * 1.5 }
        return prior
    }

    func testCategoricalPriorGradients() {
        let prior = makePrior(temperature: 0.5)
        let latents = GradientCheck.random([2, 3, 3, 2], &rng, scale: 2.5)  // some beyond the outer levels
        let weights = Tensor(shape: latents.shape, values: (0..<latents.count).map { [1, 1, 0, 0.5][$0 % 4] })
        let scale: Float = 0.7
        func loss() -> Double { Double(scale * prior.forward(latents: latents, weights: weights)) }
        _ = prior.forward(latents: latents, weights: weights)
        prior.logits.zeroGrad()
        let analytic = prior.backward(scale: scale).values
        let numeric = Self.numericGradient(count: latents.count, step: 1e-3, get: { latents[$0] }, set: { latents[$0] = $1 }, loss: loss)
        Self.relativeError(analytic, numeric, "CategoricalPrior latents")
        for i in 0..<latents.count where weights[i] == 0 { XCTAssertEqual(analytic[i], 0) }
        let numericLogits = Self.numericGradient(count: prior.logits.count, get: { prior.logits.value[$0] },
                                                 set: { prior.logits.value[$0] = $1 }, loss: loss)
        Self.relativeError(prior.logits.grad, numericLogits, "CategoricalPrior logits")
    }

    func testUniformPriorCostsLog2LBitsAndSoftEqualsHardOnLevels() {
        let uniform = CategoricalPrior(name: "p", channels: 2, levels: 8, temperature: 1)
        let ones = Tensor(shape: [2, 2, 1, 3]); ones.fill(1)
        let anywhere = GradientCheck.random([2, 2, 1, 3], &rng, scale: 3)
        // Every value costs 3 bits whatever its soft assignment: 2 channels · 3 pixels · 3 bits a sample.
        XCTAssertEqual(uniform.forward(latents: anywhere, weights: ones), 18, accuracy: 1e-4)

        let prior = makePrior(temperature: 1e-3)
        let levels = 8, batch = 2, pixels = 4
        let latents = Tensor(shape: [batch, 3, 2, 2]), weights = Tensor(shape: latents.shape)
        var hard = 0.0
        for i in 0..<latents.count {
            let symbol = rng.int(in: 0...levels - 1), channel = i / pixels % 3
            latents[i] = ScalarQuantizer.value(of: symbol, levels: levels)
            weights[i] = i % 5 == 0 ? 0 : 1
            hard += Double(weights[i] * prior.hardBits(symbol: symbol, channel: channel))
        }
        let soft = prior.forward(latents: latents, weights: weights)
        XCTAssertEqual(Double(soft), hard / Double(batch), accuracy: 1e-4 * hard)
        // At T = 1 the same values cost something else: the test above is not vacuous.
        prior.temperature = 1
        XCTAssertGreaterThan(abs(Double(prior.forward(latents: latents, weights: weights)) - hard / Double(batch)), 0.01)
    }

    func testFrequenciesSumExactlyAndStayPositive() {
        let prior = CategoricalPrior(name: "p", channels: 4, levels: 8, temperature: 1)
        prior.logits.value = [
            0, 0, 0, 0, 0, 0, 0, 0,                        // uniform
            40, -40, -60, -80, -100, -40, -45, -50,        // all mass on one symbol, the rest ~1e-18 and below
            0.3, 1.2, -0.7, 2.5, 0.1, -1.9, 0.4, 1.0,      // generic
            5, 5, -30, -30, -30, -30, -30, -30,            // two symbols share the mass
        ]
        for total: UInt32 in [1 << 16, 1 << 12, 8, 9, 1 << 24] {
            let tables = prior.frequencies(total: total)
            XCTAssertEqual(tables.count, 4)
            for table in tables {
                XCTAssertEqual(table.count, 8)
                XCTAssertEqual(table.reduce(0, +), total)
                XCTAssertTrue(table.allSatisfy { $0 >= 1 }, "\(table)")
            }
        }
        let tables = prior.frequencies(total: 1 << 16)
        XCTAssertEqual(tables[0], [UInt32](repeating: 8192, count: 8))
        XCTAssertEqual(tables[1], [65529, 1, 1, 1, 1, 1, 1, 1])
        XCTAssertEqual(tables[3][0], tables[3][1])
        XCTAssertEqual(tables[3][0] + tables[3][1], (1 << 16) - 6)
        // The generic table is within one count of p·(total − L) + 1.
        let logits = Array(prior.logits.value[16..<24]).map(Double.init)
        let normalizer = logits.map { Foundation.exp($0) }.reduce(0, +)
        for (count, logit) in zip(tables[2], logits) {
            XCTAssertLessThanOrEqual(abs(Double(count) - 1 - Foundation.exp(logit) / normalizer * Double((1 << 16) - 8)), 1)
        }
    }

    // MARK: - Speed
}

/// Conv2d as it was before batching (commit d1d9236): one product per sample and an im2col that
/// visits every column entry through a closure. Kept as the plain reference that the batched layer
/// must agree with (`testConv2dMatchesPreBatchingImplementation`); `vtok bench tokenize` measures
/// the batched layers' speed.
final class LegacyConv2d: Layer {
    let weight: Parameter
    let bias: Parameter
    let inputChannels: Int
    let outputChannels: Int
    let kernelSize: Int
    let stride: Int
    let padding: Int
    private var input: Tensor?
    private var columns: Tensor?
    private var columnGradient: Tensor?
    private var output: Tensor?
    private var inputGradient: Tensor?

    /// Weights (Cout, Cin·k·k) ~ N(0, 1/(Cin·k·k)).
    init(name: String, inputChannels: Int, outputChannels: Int, kernelSize: Int, stride: Int = 1,
                padding: Int = 0, rng: inout SeededRandom) {
        self.inputChannels = inputChannels
        self.outputChannels = outputChannels
        self.kernelSize = kernelSize
        self.stride = stride
        self.padding = padding
        let fanIn = inputChannels * kernelSize * kernelSize
        weight = .normal(name: name + ".weight", shape: [outputChannels, inputChannels, kernelSize, kernelSize],
                         std: 1 / Float(fanIn).squareRoot(), decays: true, rng: &rng)
        bias = .constant(name: name + ".bias", shape: [outputChannels], value: 0, decays: false)
    }

    var parameters: [Parameter] { [weight, bias] }

    private func outputSize(_ size: Int) -> Int { (size + 2 * padding - kernelSize) / stride + 1 }

    /// Visits every (column row, output pixel) pair of one sample's unfolded input with the flat
    /// image index it reads, or nil where the kernel hangs over the padding.
    @inline(__always)
    private func forEachColumnEntry(height: Int, width: Int, _ body: (Int, Int?) -> Void) {
        let outHeight = outputSize(height), outWidth = outputSize(width), k = kernelSize
        var entry = 0
        for c in 0..<inputChannels {
            for ky in 0..<k {
                for kx in 0..<k {
                    for oy in 0..<outHeight {
                        let y = oy * stride - padding + ky
                        for ox in 0..<outWidth {
                            let x = ox * stride - padding + kx
                            let inside = y >= 0 && y < height && x >= 0 && x < width
                            body(entry, inside ? (c * height + y) * width + x : nil)
                            entry += 1
                        }
                    }
                }
            }
        }
    }

    func forward(_ x: Tensor) -> Tensor {
        precondition(x.shape.count == 4 && x.shape[1] == inputChannels, "LegacyConv2d(\(weight.name)): input \(x.shape)")
        input = x
        let batch = x.shape[0], height = x.shape[2], width = x.shape[3]
        let pixels = outputSize(height) * outputSize(width), depth = inputChannels * kernelSize * kernelSize
        let columns = Tensor.reuse(&columns, shape: [batch, depth, pixels])
        let y = Tensor.reuse(&output, shape: [batch, outputChannels, outputSize(height), outputSize(width)])
        let columnPointer = SendablePointer(columns.pointer), xs = x.pointer, imageSize = inputChannels * height * width
        Parallel.forChunks(batch, workPerItem: depth * pixels) { range in
            for b in range {
                let column = columnPointer.base + b * depth * pixels, image = xs + b * imageSize
                self.forEachColumnEntry(height: height, width: width) { entry, index in
                    column[entry] = index.map { image[$0] } ?? 0
                }
            }
        }
        bias.withValues { bias in
            for b in 0..<batch {
                for o in 0..<outputChannels { (y.pointer + (b * outputChannels + o) * pixels).update(repeating: bias[o], count: pixels) }
            }
        }
        weight.withValues { w in
            for b in 0..<batch {
                gemm(m: outputChannels, n: pixels, k: depth, a: w, lda: depth, b: columns.pointer + b * depth * pixels,
                     ldb: pixels, beta: 1, c: y.pointer + b * outputChannels * pixels, ldc: pixels)
            }
        }
        return y
    }

    func backward(_ dOut: Tensor) -> Tensor {
        guard let x = input, let columns else { preconditionFailure("LegacyConv2d.backward before forward") }
        let batch = x.shape[0], height = x.shape[2], width = x.shape[3]
        let pixels = outputSize(height) * outputSize(width), depth = inputChannels * kernelSize * kernelSize
        let dColumns = Tensor.reuse(&columnGradient, shape: [batch, depth, pixels])
        let dx = Tensor.reuse(&inputGradient, shape: x.shape)
        weight.withBuffers { w, dw in
            for b in 0..<batch {
                let dy = dOut.pointer + b * outputChannels * pixels, column = columns.pointer + b * depth * pixels
                gemm(transB: true, m: outputChannels, n: depth, k: pixels, a: dy, lda: pixels, b: column, ldb: pixels,
                     beta: 1, c: dw, ldc: depth)
                gemm(transA: true, m: depth, n: pixels, k: outputChannels, a: w, lda: depth, b: dy, ldb: pixels,
                     c: dColumns.pointer + b * depth * pixels, ldc: pixels)
            }
        }
        bias.withBuffers { _, db in
            for b in 0..<batch {
                for o in 0..<outputChannels { db[o] += sum(dOut.pointer + (b * outputChannels + o) * pixels, pixels) }
            }
        }
        dx.fill(0)
        let dxs = SendablePointer(dx.pointer), dColumnPointer = dColumns.pointer, imageSize = inputChannels * height * width
        Parallel.forChunks(batch, workPerItem: depth * pixels) { range in
            for b in range {
                let dColumn = dColumnPointer + b * depth * pixels, dImage = dxs.base + b * imageSize
                self.forEachColumnEntry(height: height, width: width) { entry, index in
                    if let index { dImage[index] += dColumn[entry] }
                }
            }
        }
        return dx
    }
}

/// Element-wise comparison of two float arrays.
func XCTAssertEqual(_ a: [Float], _ b: [Float], accuracy: Float, _ message: @autoclosure () -> String = "",
                    file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, message(), file: file, line: line)
    let worst = zip(a, b).map { abs($0 - $1) }.max() ?? 0
    XCTAssertLessThanOrEqual(worst, accuracy, "worst difference \(worst) \(message())", file: file, line: line)
}
