import Foundation
import VTokImage
import VTokNN
import VTokTestSupport
import XCTest
@testable import VTokTraining

/// Issue 12: `vtok train` killed with SIGKILL at a random moment, then resumed, ends with the same
/// weights as a run never interrupted; a checkpoint write cut midway never leaves a file that loads
/// wrongly.
final class KillResumeTests: XCTestCase {
    override func setUpWithError() throws {
        let help = try CLI.run(["train", "--help"])
        if help.status != 0 { throw XCTSkip("this vtok binary has no train subcommand") }
    }

    private func arguments(root: URL, out: String, configPath: String) -> [String] {
        ["train", "--data", root.appendingPathComponent("train").path, "--val", root.appendingPathComponent("val").path,
         "--config", configPath, "--out", root.appendingPathComponent(out).path]
    }

    /// The tensors of a weights file by name (metadata holds wall-clock times, which differ).
    private func tensors(_ path: String) throws -> [String: NamedTensor] {
        Dictionary(uniqueKeysWithValues: try WeightsFile(contentsOf: path).tensors.map { ($0.name, $0) })
    }

    func testKilledAtRandomMomentsThenResumedEqualsAnUninterruptedRun() throws {
        let root = try CLI.temporaryDirectory(for: self)
        _ = try Generated.directory("train", count: 6, in: root)
        _ = try Generated.directory("val", count: 2, in: root, firstIndex: 40)
        var config = Tiny.config
        config.totalSteps = 24
        config.validationIntervalSteps = 12
        config.logIntervalSteps = 4
        config.checkpointIntervalSeconds = 0.001   // a checkpoint after every step: kills land mid-write often
        let configPath = root.appendingPathComponent("tiny.json").path
        try Data(config.jsonString().utf8).write(to: URL(fileURLWithPath: configPath))

        let start = Date()
        let whole = try CLI.run(arguments(root: root, out: "whole", configPath: configPath))
        XCTAssertEqual(whole.status, 0, whole.stderr)
        let duration = Date().timeIntervalSince(start)

        var generator = SystemRandomNumberGenerator()
        let interrupted = arguments(root: root, out: "killed", configPath: configPath)
        let checkpoint = root.appendingPathComponent("killed/checkpoint.safetensors").path
        var kills: [String] = []
        for attempt in 0..<3 {
            let process = Process()
            process.executableURL = CLI.binary
            process.arguments = attempt == 0 ? interrupted : interrupted + ["--resume"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            // Not before the first checkpoint can exist: until then there is nothing to resume.
            while process.isRunning && !FileManager.default.fileExists(atPath: checkpoint) { usleep(2_000) }
            let delay = Double.random(in: 0...(duration * 0.4), using: &generator)
            usleep(UInt32(delay * 1_000_000))
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                kills.append(String(format: "%.3f s", delay))
            }
            process.waitUntilExit()
        }
        XCTAssertFalse(kills.isEmpty, "no run was killed: the test checked nothing")
        print("killed after the first checkpoint at \(kills) (an uninterrupted run takes \(String(format: "%.2f", duration)) s)")
        let finish = try CLI.run(interrupted + ["--resume"])
        XCTAssertEqual(finish.status, 0, "kills after the first checkpoint at \(kills): \(finish.stderr)")
        XCTAssert(finish.stderr.contains("step 24/24"), finish.stderr)

        for name in ["checkpoint.safetensors", "model.safetensors"] {
            let expected = try tensors(root.appendingPathComponent("whole/" + name).path)
            let actual = try tensors(root.appendingPathComponent("killed/" + name).path)
            XCTAssertEqual(Set(expected.keys), Set(actual.keys), name)
            for (key, tensor) in expected {
                XCTAssert(tensor == actual[key], "\(name): \(key) differs after kills at \(kills)")
            }
        }
    }

    /// A write cut short leaves the previous file whole, and its leftover never loads as a checkpoint.
    func testAnInterruptedWriteLeavesThePreviousFile() throws {
        let directory = try CLI.temporaryDirectory(for: self)
        let path = directory.appendingPathComponent("checkpoint.safetensors").path
        try AtomicFile.write([1, 2, 3], to: path)
        // What a kill between write and rename leaves: a partial temporary, the old file intact.
        try Data([9, 9]).write(to: URL(fileURLWithPath: path + ".partial"))
        XCTAssertEqual([UInt8](try Data(contentsOf: URL(fileURLWithPath: path))), [1, 2, 3])
        try AtomicFile.write([4, 5], to: path)
        XCTAssertEqual([UInt8](try Data(contentsOf: URL(fileURLWithPath: path))), [4, 5])
        XCTAssertFalse(FileManager.default.fileExists(atPath: path + ".partial"))
        XCTAssertThrowsError(try AtomicFile.write([1], to: directory.appendingPathComponent("missing/x").path))
    }
}
