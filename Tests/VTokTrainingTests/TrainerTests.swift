import Foundation
import VTokImage
import VTokModel
import VTokNN
import VTokTestSupport
import XCTest
@testable import VTokTraining

final class TrainerTests: XCTestCase {
    private var dataImages: [(path: String, image: RGBImage)] = []
    private var validationImages: [RGBImage] = []
    private var root: URL!

    override func setUpWithError() throws {
        root = try CLI.temporaryDirectory(for: self)
        let train = try Generated.directory("train", count: 12, in: root)
        let val = try Generated.directory("val", count: 4, in: root, firstIndex: 50)
        dataImages = try ImageDirectory.load(directory: train.path, maxShorterSide: 32) { XCTFail($0) }
        validationImages = try ImageDirectory.load(directory: val.path, limit: 4) { XCTFail($0) }.map(\.image)
    }

    private func trainer(_ config: TrainingConfig, out: String, resume: Bool = false,
                         initialWeights: (file: WeightsFile, path: String)? = nil) throws -> Trainer {
        let output = TrainingOutput(directory: root.appendingPathComponent(out).path)
        let (resolved, checkpoint) = try Trainer.prepare(output: output, config: config, resume: resume)
        return try Trainer(config: resolved, checkpoint: checkpoint, initialWeights: initialWeights, trainingImages: dataImages,
                           validationImages: validationImages, output: output)
    }

    func testReconstructionLossGoesDown() throws {
        var config = Tiny.config
        config.totalSteps = 50
        let trainer = try trainer(config, out: "run")
        var losses: [Float] = []
        trainer.onStep = { _, step in losses.append(step.reconstruction) }
        let result = try trainer.run()
        XCTAssertTrue(result.finished)
        XCTAssertEqual(losses.count, 50)
        let first = losses.prefix(5).reduce(0, +) / 5, last = losses.suffix(10).reduce(0, +) / 10
        XCTAssertLessThan(last, 0.6 * first, "reconstruction MSE \(first) → \(last)")
        // Validation ran at 0, 20, 40 and 50, and its PSNR improved with training.
        let lines = try String(contentsOfFile: trainer.output.validationLog, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 4)
        let psnr = try lines.map { line -> Double in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            XCTAssertNotNil(object["cpu_seconds"])
            return ((object["psnr"] as! [String: Any])["8"] as! NSNumber).doubleValue
        }
        XCTAssertGreaterThan(psnr.last!, psnr.first! + 1, "\(psnr)")
        XCTAssert(FileManager.default.fileExists(atPath: trainer.output.model))
        XCTAssert(try String(contentsOfFile: trainer.output.log, encoding: .utf8).contains("step 50/50"))
    }

    func testResumeIsBitExact() throws {
        try checkResumeIsBitExact(Tiny.config, out: "transformer")
    }

    func testResumeIsBitExactForTheConvolutionalArchitecture() throws {
        var config = Tiny.config
        config.model = ModelConfig(Tiny.convolutional)
        config.validationTokenCounts = [1, 4, 16]
        try checkResumeIsBitExact(config, out: "convolutional")
    }

    /// A rate-trained architecture's validation also logs its files' bytes, rising with k; a
    /// checkpoint written before a config field existed resumes with the field's default.
    func testConvolutionalValidationLogsBytesAndOldCheckpointsResume() throws {
        var config = Tiny.config
        config.model = ModelConfig(Tiny.convolutional)
        config.validationTokenCounts = [1, 4, 16]
        config.totalSteps = 3
        let first = try trainer(config, out: "bytes")
        try first.run()
        let line = try XCTUnwrap(String(contentsOfFile: first.output.validationLog, encoding: .utf8).split(separator: "\n").last)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        let bytes = try XCTUnwrap(object["bytes"] as? [String: NSNumber]).mapValues(\.doubleValue)
        XCTAssertGreaterThan(bytes["1"]!, 12, "the 12-byte header and a coded token")
        XCTAssertLessThan(bytes["1"]!, bytes["4"]!)
        XCTAssertLessThan(bytes["4"]!, bytes["16"]!)

        var file = try WeightsFile(contentsOf: first.output.checkpoint)
        let key = "vtok.training.config"
        var stored = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(try XCTUnwrap(file.metadata[key]).utf8)) as? [String: Any])
        XCTAssertNotNil(stored.removeValue(forKey: "fixedTokenCount"))
        file.metadata[key] = String(decoding: try JSONSerialization.data(withJSONObject: stored), as: UTF8.self)
        try file.write(to: first.output.checkpoint, as: .float32)
        config.totalSteps = 4
        XCTAssertEqual(try trainer(config, out: "bytes", resume: true).run().step, 4)
    }

    private func checkResumeIsBitExact(_ base: TrainingConfig, out: String) throws {
        var config = base
        config.totalSteps = 8
        config.validationIntervalSteps = 3
        let whole = try trainer(config, out: out + "-whole")
        try whole.run()

        let firstHalf = try trainer(config, out: out + "-halves")
        let stopped = try firstHalf.run(untilStep: 4)
        XCTAssertFalse(stopped.finished)
        XCTAssertEqual(stopped.step, 4)
        let secondHalf = try trainer(config, out: out + "-halves", resume: true)
        XCTAssertEqual(secondHalf.state.step, 4)
        XCTAssertTrue(try secondHalf.run().finished)

        let a = try WeightsFile(contentsOf: whole.output.checkpoint), b = try WeightsFile(contentsOf: secondHalf.output.checkpoint)
        XCTAssertEqual(a.tensors.map(\.name), b.tensors.map(\.name))
        XCTAssert(a.tensors.contains { $0.name.hasPrefix("adamw.m.") } && a.tensors.contains { $0.name.hasPrefix("ema.") })
        for (x, y) in zip(a.tensors, b.tensors) {
            XCTAssertEqual(x.values.map(\.bitPattern), y.values.map(\.bitPattern), x.name)
        }
        XCTAssertEqual(whole.state.rng, secondHalf.state.rng)
        let modelA = try WeightsFile(contentsOf: whole.output.model), modelB = try WeightsFile(contentsOf: secondHalf.output.model)
        XCTAssertEqual(modelA.tensors, modelB.tensors)
        XCTAssertEqual(modelA.metadata["vtok.training.steps"], modelB.metadata["vtok.training.steps"])
        // The interrupted run's curve continues where it stopped.
        let curve = try String(contentsOfFile: secondHalf.output.validationLog, encoding: .utf8)
        XCTAssertEqual(curve.split(separator: "\n").count, 4) // steps 0, 3, 6, 8
    }

    func testResumeRefusesAnotherConfigButAcceptsMoreSteps() throws {
        var config = Tiny.config
        config.totalSteps = 2
        config.validationIntervalSteps = 0
        try trainer(config, out: "run").run()

        XCTAssertThrowsError(try trainer(config, out: "run")) { error in
            guard case TrainingError.checkpointExists(let path) = error else { return XCTFail("\(error)") }
            XCTAssert(path.hasSuffix("checkpoint.safetensors"), path)
        }
        var changed = config
        changed.batchSize = 4
        changed.model.transformer.width = 64
        XCTAssertThrowsError(try trainer(changed, out: "run", resume: true)) { error in
            guard case TrainingError.resumedConfigDiffers(let message, _) = error else { return XCTFail("\(error)") }
            XCTAssert(message.contains("batchSize") && message.contains("model.width"), message)
            XCTAssertFalse(message.contains("totalSteps ("), message)
            XCTAssert(message.contains("batchSize (checkpoint 8, config 4)"), message)
        }
        var extended = config
        extended.totalSteps = 3
        let resumed = try trainer(extended, out: "run", resume: true)
        XCTAssertEqual(resumed.state.step, 2)
        XCTAssertEqual(try resumed.run().step, 3)
        XCTAssertThrowsError(try trainer(config, out: "elsewhere", resume: true))

        // Without a config, --resume takes the checkpoint's; a partial file applies over it.
        let output = TrainingOutput(directory: root.appendingPathComponent("run").path)
        XCTAssertEqual(try Trainer.prepare(output: output, config: nil, resume: true).config, extended)
        let file = root.appendingPathComponent("more.json").path
        try Data(#"{"totalSteps": 9, "logIntervalSteps": 3}"#.utf8).write(to: URL(fileURLWithPath: file))
        var expected = extended
        expected.totalSteps = 9
        expected.logIntervalSteps = 3
        XCTAssertEqual(try Trainer.prepare(output: output, configFile: file, resume: true).config, expected)
        try Data(#"{"seed": 2}"#.utf8).write(to: URL(fileURLWithPath: file))
        XCTAssertThrowsError(try Trainer.prepare(output: output, configFile: file, resume: true)) { error in
            XCTAssert("\(error)".contains("seed (checkpoint 1, config 2)"), "\(error)")
        }
    }

    func testStopRequestWritesACheckpoint() throws {
        var config = Tiny.config
        config.validationIntervalSteps = 0
        let trainer = try trainer(config, out: "run")
        var steps = 0
        trainer.onStep = { _, _ in steps += 1 }
        let result = try trainer.run { steps >= 3 }
        XCTAssertTrue(result.interrupted)
        XCTAssertEqual(result.step, 3)
        let checkpoint = try WeightsFile(contentsOf: trainer.output.checkpoint)
        XCTAssert(checkpoint.metadata["vtok.training.state"]!.contains("\"step\":3"))
        let model = try WeightsFile(contentsOf: trainer.output.model)
        XCTAssertNotNil(model.metadata["vtok.config"])
        XCTAssertEqual(model.tensors.count, trainer.tokenizer.parameters.count)
        // What `vtok encode --model` loads.
        let loaded = try TransformerTokenizer(weights: model)
        XCTAssertEqual(loaded.config, config.model.transformer)
        XCTAssertEqual(model.metadata["vtok.training.steps"], "3 of 40, batch 8")
    }

    func testStepsWithNonFiniteGradientsAreSkippedAndCounted() throws {
        var config = Tiny.config
        config.totalSteps = 3
        config.validationIntervalSteps = 0
        let trainer = try trainer(config, out: "run")
        trainer.tokenizer.parameters[0].value[0] = .nan
        var lines: [String] = []
        trainer.report = { if case .line(let text) = $0 { lines.append(text) } }
        try trainer.run()
        XCTAssertEqual(trainer.state.skippedSteps, 3)
        XCTAssertEqual(trainer.state.step, 3)
        XCTAssertEqual(trainer.optimizer.step, 0)
        XCTAssertEqual(lines.filter { $0.contains("step skipped") }.count, 3, "\(lines)")
        XCTAssert(lines.contains { $0.contains("skipped 3") }, "\(lines)")
    }

    /// A model without the convolutional head, warm-started into one with it: the shared layers
    /// take the file's weights, the head starts as the identity, so validation starts where the
    /// file's model stands; the model card names the source and the new layers.
    func testWarmStartCopiesSharedLayersAndAddsTheHead() throws {
        var plain = Tiny.config
        plain.model.transformer.refinementChannels = 0
        plain.totalSteps = 6
        plain.validationIntervalSteps = 0
        let source = try trainer(plain, out: "plain")
        try source.run()
        let file = try WeightsFile(contentsOf: source.output.model)

        let sameDesign = try trainer(plain, out: "same", initialWeights: (file, "plain.safetensors"))
        var refined = Tiny.config
        refined.model.transformer.refinementChannels = 4
        let withHead = try trainer(refined, out: "head", initialWeights: (file, "plain.safetensors"))
        let stored = Dictionary(uniqueKeysWithValues: file.tensors.map { ($0.name, $0.values) })
        for parameter in withHead.tokenizer.parameters where !parameter.name.contains("refinement") && !parameter.name.contains("to_features") {
            XCTAssertEqual(parameter.value, stored[parameter.name], parameter.name)
        }
        XCTAssertEqual(withHead.validationPSNR(), sameDesign.validationPSNR())
        XCTAssertNotEqual(withHead.validationPSNR(), try trainer(refined, out: "fresh").validationPSNR())
        let note = try XCTUnwrap(withHead.state.warmStart)
        XCTAssert(note.hasPrefix("plain.safetensors (6 of 6, batch 8, "), note)
        XCTAssert(note.contains("new: decoder.to_features.weight"), note)
        XCTAssertEqual(withHead.modelWeights().metadata["vtok.training.warm_start"], note)

        var wider = refined
        wider.model.transformer.width = 48
        XCTAssertThrowsError(try trainer(wider, out: "wider", initialWeights: (file, "plain.safetensors"))) { error in
            XCTAssert("\(error)".contains("another architecture"), "\(error)")
        }
    }
}
