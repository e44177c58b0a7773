import XCTest
@testable import VTokNN

final class TrainingTests: XCTestCase {
    /// Minimal Adam (no weight decay, no schedule): just enough to show that the gradients train.
    struct Adam {
        var learningRate: Float = 1e-2
        var first: [[Float]] = [], second: [[Float]] = []
        var step = 0

        mutating func update(_ parameters: [Parameter]) {
            if first.isEmpty {
                first = parameters.map { [Float](repeating: 0, count: $0.count) }
                second = first
            }
            step += 1
            let correction1 = 1 - Float(pow(0.9, Double(step))), correction2 = 1 - Float(pow(0.999, Double(step)))
            for (p, parameter) in parameters.enumerated() {
                for i in 0..<parameter.count {
                    let g = parameter.grad[i]
                    first[p][i] = 0.9 * first[p][i] + 0.1 * g
                    second[p][i] = 0.999 * second[p][i] + 0.001 * g * g
                    let update = (first[p][i] / correction1) / ((second[p][i] / correction2).squareRoot() + 1e-8)
                    parameter.value[i] -= learningRate * update
                }
            }
        }
    }

    func testTwoLayerModelOverfitsAFewExamples() {
        var rng = SeededRandom(seed: 1)
        let model = Sequential([
            Linear(name: "fc1", inputs: 4, outputs: 32, rng: &rng), Activation(.gelu),
            Linear(name: "fc2", inputs: 32, outputs: 3, rng: &rng),
        ])
        let inputs = GradientCheck.random([8, 4], &rng), targets = GradientCheck.random([8, 3], &rng)
        let loss = ReconstructionLoss(.meanSquaredError)
        var adam = Adam()
        let parameters = model.parameters
        var losses: [Float] = []
        for _ in 0..<300 {
            parameters.forEach { $0.zeroGrad() }
            losses.append(loss.forward(model.forward(inputs), targets))
            _ = model.backward(loss.backward())
            adam.update(parameters)
        }
        XCTAssertLessThan(losses.last!, losses.first! / 10, "loss \(losses.first!) → \(losses.last!)")
    }

    func testTransformerStackOverfitsAFewSequences() {
        var rng = SeededRandom(seed: 2)
        let model = Sequential([
            Linear(name: "embed", inputs: 3, outputs: 16, rng: &rng),
            PositionEmbedding(name: "pos", length: 5, width: 16, rng: &rng),
            TransformerBlock(name: "block0", width: 16, heads: 2, mlpRatio: 2, rng: &rng),
            LayerNorm(name: "norm", width: 16),
            Linear(name: "head", inputs: 16, outputs: 3, rng: &rng),
        ])
        let inputs = GradientCheck.random([4, 5, 3], &rng), targets = GradientCheck.random([4, 5, 3], &rng)
        let loss = ReconstructionLoss(.meanSquaredError)
        var adam = Adam()
        let parameters = model.parameters
        XCTAssertEqual(Set(parameters.map(\.name)).count, parameters.count, "names are unique")
        var losses: [Float] = []
        for _ in 0..<200 {
            parameters.forEach { $0.zeroGrad() }
            losses.append(loss.forward(model.forward(inputs), targets))
            _ = model.backward(loss.backward())
            adam.update(parameters)
        }
        XCTAssertLessThan(losses.last!, losses.first! / 10, "loss \(losses.first!) → \(losses.last!)")
    }
}
