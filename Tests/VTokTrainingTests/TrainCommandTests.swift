import Foundation
import VTokTestSupport
import XCTest
@testable import VTokTraining

/// `vtok train` end to end through the built binary.
final class TrainCommandTests: XCTestCase {
    override func setUpWithError() throws {
        let help = try CLI.run(["train", "--help"])
        if help.status != 0 { throw XCTSkip("this vtok binary has no train subcommand (not registered in main.swift)") }
    }

    func testTrainsAFewStepsAndWritesItsFiles() throws {
        let root = try CLI.temporaryDirectory(for: self)
        let train = try Generated.directory("train", count: 6, in: root)
        let val = try Generated.directory("val", count: 2, in: root, firstIndex: 40)
        var config = Tiny.config
        config.totalSteps = 3
        config.validationIntervalSteps = 2
        config.logIntervalSteps = 1
        let configPath = root.appendingPathComponent("tiny.json").path
        try Data(config.jsonString().utf8).write(to: URL(fileURLWithPath: configPath))
        let out = root.appendingPathComponent("out").path
        let arguments = ["train", "--data", train.path, "--val", val.path, "--config", configPath, "--out", out]

        let result = try CLI.run(arguments)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssert(result.stderr.contains("step 3/3"), result.stderr)
        XCTAssert(result.stderr.contains("val psnr k1"), result.stderr)
        for file in ["checkpoint.safetensors", "model.safetensors", "train.log", "validation.jsonl"] {
            XCTAssert(FileManager.default.fileExists(atPath: out + "/" + file), file)
        }

        let again = try CLI.run(arguments)
        XCTAssertEqual(again.status, 1, again.stderr)
        XCTAssert(again.stderr.contains("--resume"), again.stderr)

        let extended = try CLI.run(arguments + ["--resume", "--steps", "4"])
        XCTAssertEqual(extended.status, 0, extended.stderr)
        XCTAssert(extended.stderr.contains("resuming at step 3"), extended.stderr)
        XCTAssert(extended.stderr.contains("step 4/4"), extended.stderr)

        var other = config
        other.batchSize = 2
        try Data(other.jsonString().utf8).write(to: URL(fileURLWithPath: configPath))
        let mismatch = try CLI.run(arguments + ["--resume"])
        XCTAssertEqual(mismatch.status, 2, mismatch.stderr)
        XCTAssert(mismatch.stderr.contains("batchSize"), mismatch.stderr)
    }

    func testBadInputsAndUsage() throws {
        let root = try CLI.temporaryDirectory(for: self)
        let empty = root.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        let noImages = try CLI.run(["train", "--data", empty.path, "--out", root.appendingPathComponent("o").path])
        XCTAssertEqual(noImages.status, 2, noImages.stderr)

        let badConfig = root.appendingPathComponent("bad.json").path
        try Data(#"{"batchSise": 3}"#.utf8).write(to: URL(fileURLWithPath: badConfig))
        let result = try CLI.run(["train", "--data", empty.path, "--config", badConfig, "--out", root.appendingPathComponent("o").path])
        XCTAssertEqual(result.status, 2, result.stderr)
        XCTAssert(result.stderr.contains("batchSise"), result.stderr)

        XCTAssertEqual(try CLI.run(["train", "--out", root.path]).status, 1)

        let blocker = root.appendingPathComponent("file")
        try Data().write(to: blocker)
        let train = try Generated.directory("train", count: 1, in: root)
        let unwritable = try CLI.run(["train", "--data", train.path, "--out", blocker.path + "/sub"])
        XCTAssertEqual(unwritable.status, 3, unwritable.stderr)

        let both = try CLI.run(["train", "--data", train.path, "--out", root.path, "--resume", "--init-from", badConfig])
        XCTAssertEqual(both.status, 1, both.stderr)
        XCTAssert(both.stderr.contains("--init-from"), both.stderr)
        let notWeights = try CLI.run(["train", "--data", train.path, "--out", root.appendingPathComponent("w").path,
                                      "--init-from", badConfig])
        XCTAssertEqual(notWeights.status, 2, notWeights.stderr)
        XCTAssert(notWeights.stderr.contains("not a weights file"), notWeights.stderr)

        let printed = try CLI.run(["train", "--print-config"])
        XCTAssertEqual(printed.status, 0)
        XCTAssertEqual(try TrainingConfig.parse(json: Data(printed.stdout.utf8)), TrainingConfig())
    }
}
