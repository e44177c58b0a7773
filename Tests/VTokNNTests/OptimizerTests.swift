import Foundation
import XCTest
@testable import VTokNN

final class OptimizerTests: XCTestCase {
    // MARK: AdamW

    func testAdamWStepsMatchTheFormula() {
        let config = AdamW.Config(beta1: 0.9, beta2: 0.999, eps: 1e-3, weightDecay: 0.1)
        let parameter = Parameter(name: "w", shape: [3], value: [0.5, -1, 2], decays: true)
        let optimizer = AdamW(parameters: [parameter], config: config)
        let gradients: [[Double]] = [[0.2, -0.3, 0], [-0.1, 0.4, 0.05]]
        let learningRates: [Double] = [0.01, 0.02]

        // PyTorch's AdamW, by hand in Double: decay first, then Adam with bias correction.
        var p: [Double] = [0.5, -1, 2], m = [Double](repeating: 0, count: 3), v = m
        for (t, (g, lr)) in zip(gradients, learningRates).enumerated() {
            parameter.grad = g.map(Float.init)
            optimizer.update(learningRate: Float(lr))
            let step = Double(t + 1)
            for i in 0..<3 {
                p[i] -= lr * 0.1 * p[i]
                m[i] = 0.9 * m[i] + 0.1 * g[i]
                v[i] = 0.999 * v[i] + 0.001 * g[i] * g[i]
                let mHat = m[i] / (1 - pow(0.9, step))
                let vHat = v[i] / (1 - pow(0.999, step))
                p[i] -= lr * mHat / (vHat.squareRoot() + 1e-3)
            }
            for i in 0..<3 {
                XCTAssertEqual(Double(parameter.value[i]), p[i], accuracy: 1e-6 * max(1, abs(p[i])), "step \(t + 1), element \(i)")
            }
        }
        XCTAssertEqual(optimizer.step, 2)
        // First step, first element, worked out: 0.5 * (1 - 0.001) - 0.01 * 0.2 / (0.2 + 0.001).
        let firstStep = Parameter(name: "w", shape: [1], value: [0.5], decays: true)
        firstStep.grad = [0.2]
        AdamW(parameters: [firstStep], config: config).update(learningRate: 0.01)
        XCTAssertEqual(firstStep.value[0], Float(0.4995 - 0.002 / 0.201), accuracy: 1e-7)
    }

    func testWeightDecaySkipsParametersThatDoNotDecay() {
        let decaying = Parameter(name: "w", shape: [2], value: [1, -2], decays: true)
        let fixed = Parameter(name: "b", shape: [2], value: [1, -2], decays: false)
        let optimizer = AdamW(parameters: [decaying, fixed], config: AdamW.Config(weightDecay: 0.5))
        optimizer.update(learningRate: 0.1)  // zero gradients: only decay can move anything
        XCTAssertEqual(decaying.value[0], 0.95, accuracy: 1e-7)
        XCTAssertEqual(decaying.value[1], -1.9, accuracy: 1e-7)
        XCTAssertEqual(fixed.value, [1, -2])
    }

    func testAdamWMinimisesAQuadratic() {
        let target: [Float] = [3, -1, 0.5, 10]
        let parameter = Parameter(name: "x", shape: [4], value: [0, 0, 0, 0], decays: true)
        let optimizer = AdamW(parameters: [parameter], config: AdamW.Config(weightDecay: 0))
        let loss = { zip(parameter.value, target).map { ($0 - $1) * ($0 - $1) }.reduce(0, +) }
        let initialLoss = loss()
        for step in 0..<2000 {
            parameter.grad = zip(parameter.value, target).map { 2 * ($0 - $1) }
            optimizer.update(learningRate: step < 1500 ? 0.05 : 0.005)
        }
        XCTAssertLessThan(loss(), 1e-4 * initialLoss)
        for (x, y) in zip(parameter.value, target) { XCTAssertEqual(x, y, accuracy: 0.01) }
    }

    /// Deterministic "backward pass": gradients depend on the values and the step.
    private func setGradients(_ parameters: [Parameter], step: Int) {
        var random = SeededRandom(seed: UInt64(step))
        for parameter in parameters {
            parameter.grad = parameter.value.map { sin(3 * $0) + 0.1 * random.normal() }
        }
    }

    private func makeModel() -> [Parameter] {
        var random = SeededRandom(seed: 42)
        return [Parameter(name: "w", shape: [8, 4], value: (0..<32).map { _ in random.normal() }, decays: true),
                Parameter(name: "b", shape: [4], value: (0..<4).map { _ in random.normal() }, decays: false)]
    }

    private func train(_ optimizer: AdamW, _ average: ExponentialMovingAverage, steps: Range<Int>) {
        for step in steps {
            setGradients(optimizer.parameters, step: step)
            clipGradientNorm(of: optimizer.parameters, maxNorm: 1)
            optimizer.update(learningRate: LearningRateSchedule(peak: 0.01, floor: 0.001, warmupSteps: 3, totalSteps: 10).learningRate(at: step))
            average.update()
        }
    }

    func testResumingFromACheckpointContinuesBitForBit() throws {
        let unbroken = makeModel()
        let unbrokenOptimizer = AdamW(parameters: unbroken, config: AdamW.Config(weightDecay: 0.1))
        let unbrokenAverage = ExponentialMovingAverage(parameters: unbroken, decay: 0.9)
        train(unbrokenOptimizer, unbrokenAverage, steps: 0..<10)

        let first = makeModel()
        let firstOptimizer = AdamW(parameters: first, config: AdamW.Config(weightDecay: 0.1))
        let firstAverage = ExponentialMovingAverage(parameters: first, decay: 0.9)
        train(firstOptimizer, firstAverage, steps: 0..<5)
        var checkpoint = WeightsFile(metadata: ["vtok.config": "{}"])
        checkpoint.add(first, prefix: "model.")
        firstOptimizer.save(into: &checkpoint)
        firstAverage.save(into: &checkpoint)
        let bytes = try checkpoint.serialized(as: .float32)

        let resumed = makeModel()
        for parameter in resumed { parameter.value = parameter.value.map { _ in .nan } }
        let restored = try WeightsFile(bytes: bytes)
        try restored.load(into: resumed, prefix: "model.")
        let resumedOptimizer = AdamW(parameters: resumed, config: AdamW.Config(weightDecay: 0.1))
        try resumedOptimizer.restore(from: restored)
        let resumedAverage = ExponentialMovingAverage(parameters: resumed, decay: 0.9)
        try resumedAverage.restore(from: restored)
        XCTAssertEqual(resumedOptimizer.step, 5)
        XCTAssertEqual(resumedAverage.updateCount, 5)
        train(resumedOptimizer, resumedAverage, steps: 5..<10)

        XCTAssertEqual(resumed.map { $0.value.map(\.bitPattern) }, unbroken.map { $0.value.map(\.bitPattern) })
        resumedAverage.swapWeights()
        unbrokenAverage.swapWeights()
        XCTAssertEqual(resumed.map { $0.value.map(\.bitPattern) }, unbroken.map { $0.value.map(\.bitPattern) })
        XCTAssertNotEqual(unbroken[0].value, makeModel()[0].value, "the comparison must not be vacuous")
    }

    func testRestoringStateFromAnotherModelFails() throws {
        var checkpoint = WeightsFile()
        AdamW(parameters: makeModel()).save(into: &checkpoint)
        let other = [Parameter(name: "w", shape: [4, 8], value: [Float](repeating: 0, count: 32), decays: true)]
        XCTAssertThrowsError(try AdamW(parameters: other).restore(from: checkpoint)) { error in
            XCTAssertEqual(error as? WeightsFileError, .mismatch([
                "shape of adamw.m.w is [8, 4] in the file but the model expects [4, 8]", "unexpected tensor adamw.m.b",
            ]))
        }
        XCTAssertThrowsError(try AdamW(parameters: other).restore(from: WeightsFile()))
        XCTAssertThrowsError(try ExponentialMovingAverage(parameters: other, decay: 0.9).restore(from: WeightsFile()))
    }

    // MARK: Learning-rate schedule

    func testScheduleWarmsUpLinearlyThenDecaysToTheFloor() throws {
        let schedule = LearningRateSchedule(peak: 1e-3, floor: 1e-5, warmupSteps: 10, totalSteps: 110)
        for step in 0..<10 {
            XCTAssertEqual(schedule.learningRate(at: step), 1e-3 * Float(step + 1) / 10, accuracy: 1e-9)
        }
        XCTAssertEqual(schedule.learningRate(at: 9), 1e-3)
        XCTAssertEqual(schedule.learningRate(at: 10), 1e-3)
        XCTAssertEqual(schedule.learningRate(at: 60), (1e-3 + 1e-5) / 2, accuracy: 1e-9)  // half-way down the cosine
        XCTAssertEqual(schedule.learningRate(at: 110), 1e-5)
        XCTAssertEqual(schedule.learningRate(at: 10_000), 1e-5)
        for step in 10..<120 {
            XCTAssertLessThanOrEqual(schedule.learningRate(at: step + 1), schedule.learningRate(at: step), "step \(step)")
        }
        XCTAssertEqual(LearningRateSchedule(peak: 1, floor: 0.1, warmupSteps: 0, totalSteps: 0).learningRate(at: 0), 0.1)
        XCTAssertEqual(LearningRateSchedule(peak: 1, floor: 0.1, warmupSteps: 0, totalSteps: 10).learningRate(at: 0), 1)

        let decoded = try JSONDecoder().decode(LearningRateSchedule.self, from: JSONEncoder().encode(schedule))
        XCTAssertEqual(decoded, schedule)
    }

    // MARK: Gradient clipping

    func testClippingScalesToTheMaximumNormAboveItOnly() {
        let a = Parameter(name: "a", shape: [2], value: [0, 0], decays: true)
        let b = Parameter(name: "b", shape: [1], value: [0], decays: false)
        a.grad = [3, 4]
        b.grad = [12]
        XCTAssertEqual(clipGradientNorm(of: [a, b], maxNorm: 20), 13)
        XCTAssertEqual(a.grad + b.grad, [3, 4, 12], "below the maximum nothing changes")
        XCTAssertEqual(clipGradientNorm(of: [a, b], maxNorm: 6.5), 13)
        XCTAssertEqual(a.grad + b.grad, [1.5, 2, 6])

        var random = SeededRandom(seed: 7)
        let big = Parameter(name: "big", shape: [10_000], value: [Float](repeating: 0, count: 10_000), decays: true)
        big.grad = big.grad.map { _ in random.normal() }
        let expected = big.grad.map { Double($0) * Double($0) }.reduce(0, +).squareRoot()
        XCTAssertEqual(Double(clipGradientNorm(of: [big], maxNorm: 1)), expected, accuracy: 1e-6 * expected)
        XCTAssertEqual(clipGradientNorm(of: [big], maxNorm: 2), 1, accuracy: 1e-6)

        b.grad = [.nan]
        XCTAssertTrue(clipGradientNorm(of: [a, b], maxNorm: 1).isNaN)
        XCTAssertEqual(a.grad, [1.5, 2], "a non-finite norm leaves the gradients alone")
    }

    // MARK: Exponential moving average

    func testMovingAverageConvergesToConstantWeights() {
        let parameter = Parameter(name: "w", shape: [3], value: [5, -5, 100], decays: true)
        let average = ExponentialMovingAverage(parameters: [parameter], decay: 0.99)
        parameter.value = [1, 2, 3]
        for _ in 0..<3000 { average.update() }
        average.withAverageWeights {
            for (x, y) in zip(parameter.value, [Float(1), 2, 3]) { XCTAssertEqual(x, y, accuracy: 1e-5) }
        }
        XCTAssertEqual(parameter.value, [1, 2, 3])

        let constant = Parameter(name: "c", shape: [2], value: [0.1, -7.3], decays: true)
        let constantAverage = ExponentialMovingAverage(parameters: [constant], decay: 0.999)
        for _ in 0..<100 { constantAverage.update() }
        constantAverage.withAverageWeights { XCTAssertEqual(constant.value, [0.1, -7.3], "a constant stays exactly constant") }
    }

    func testMovingAverageFollowsTheWarmUpDecay() {
        let parameter = Parameter(name: "w", shape: [1], value: [0], decays: true)
        let average = ExponentialMovingAverage(parameters: [parameter], decay: 0.5)
        XCTAssertEqual(average.currentDecay, 0.1)  // (1 + 0) / (10 + 0)
        parameter.value = [10]
        average.update()  // 0 + (1 - 0.1) * (10 - 0)
        average.withAverageWeights { XCTAssertEqual(parameter.value[0], 9, accuracy: 1e-5) }
        for _ in 0..<20 { average.update() }
        XCTAssertEqual(average.currentDecay, 0.5, "capped at decay once (1 + t) / (10 + t) exceeds it")
        XCTAssertEqual(ExponentialMovingAverage(parameters: [parameter], decay: 0.5, warmsUp: false).currentDecay, 0.5)
    }

    func testSwappingInAndOutRestoresTheTrainingWeightsExactly() {
        var random = SeededRandom(seed: 8)
        let parameters = makeModel()
        let average = ExponentialMovingAverage(parameters: parameters, decay: 0.9)
        for _ in 0..<5 {
            for parameter in parameters { parameter.value = parameter.value.map { $0 + random.normal() } }
            average.update()
        }
        let training = parameters.map { $0.value.map(\.bitPattern) }
        average.swapWeights()
        XCTAssertTrue(average.isSwappedIn)
        let averaged = parameters.map { $0.value.map(\.bitPattern) }
        XCTAssertNotEqual(averaged, training)
        average.swapWeights()
        XCTAssertEqual(parameters.map { $0.value.map(\.bitPattern) }, training)
        average.withAverageWeights { XCTAssertEqual(parameters.map { $0.value.map(\.bitPattern) }, averaged) }
        XCTAssertEqual(parameters.map { $0.value.map(\.bitPattern) }, training)
        XCTAssertFalse(average.isSwappedIn)
    }
}
