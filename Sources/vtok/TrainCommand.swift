import ArgumentParser
import Foundation
import VTokEval
import VTokImage
import VTokModel
import VTokNN
import VTokTraining
#if canImport(Glibc)
import Glibc
#endif

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a tokenizer model on a directory of images.",
        discussion: """
        --data is a directory of PNG and JPEG files (subdirectories included; other files are ignored). Every image is decoded once at the start and kept in memory, downscaled so its shorter side is at most maxImageShorterSide (256); unreadable files are skipped with a warning. Each training sample is a random square crop (side 50-100% of the shorter side), maybe mirrored, area-averaged to the model's working resolution, decoded from a random number of its tokens.

        --val is a directory of held-out images: the first validationImages (16) of them, by path, are fitted to the model's resolution, 256x256 (Lanczos, centre crop), and their PSNR at several token counts is measured with the averaged weights every validationIntervalSteps steps.

        --out is a directory; it receives:
          checkpoint.safetensors  the exact training state, for --resume (F32)
          model.safetensors       the averaged weights (F16), for vtok encode --model
          train.log               the progress lines
          validation.jsonl        PSNR per k, images, seconds, CPU-seconds
        Checkpoints are written every checkpointIntervalSeconds (300), at the end, and on Ctrl-C or SIGTERM (press Ctrl-C twice to quit at once, losing the steps since the last checkpoint).

        --config is a JSON file with any of the hyperparameters; the rest keep their defaults, which are the shipped model's recipe (docs/MODEL.md). `vtok train --print-config` prints them all. An unknown field is an error. `"model": {"architecture": "convolutional"}` trains the convolutional architecture (its own fields and defaults replace the transformer's; configs/convolutional-c2.json is a full recipe).

        To continue a run (after an interruption, or with --steps to extend it), give the same --out with --resume: the result is bit for bit that of an unbroken run. A resumed run takes the checkpoint's config; a --config given with --resume applies its fields over it, and is refused if it changes anything but totalSteps, checkpointIntervalSeconds or logIntervalSteps.

        Exit statuses: 0 success (also after a Ctrl-C that saved a checkpoint), 1 usage error (including a checkpoint already in --out without --resume), 2 bad input (no readable image, bad config, config differing from the checkpoint's), 3 an output could not be written.

        Examples:
          vtok train --data images/train --val images/val --out runs/base
          vtok train --data images/train --val images/val --out runs/base --resume
          vtok train --print-config > my.json
          vtok train --data images/train --val images/val --config my.json --out runs/mine
          vtok train --data images/train --val images/val --init-from runs/base/model.safetensors --out runs/next
        """)

    @Option(help: ArgumentHelp("Directory of training images (PNG, JPEG).", valueName: "dir"))
    var data: String?

    @Option(help: ArgumentHelp("Directory of validation images; without it nothing is validated.", valueName: "dir"))
    var val: String?

    @Option(help: ArgumentHelp("JSON file of hyperparameters (any subset; the rest are the defaults).", valueName: "file"))
    var config: String?

    @Option(help: ArgumentHelp("Output directory (created if needed).", valueName: "dir"))
    var out: String?

    @Flag(help: "Continue the run whose checkpoint is in --out.")
    var resume = false

    @Option(help: ArgumentHelp("Total steps of the run, replacing the config's totalSteps (to extend a run on --resume).",
                               valueName: "n"))
    var steps: Int?

    @Option(help: ArgumentHelp("Stop (with a checkpoint) once this step is done, to train in slices; --resume continues.",
                               valueName: "step"))
    var untilStep: Int?

    @Option(help: ArgumentHelp("Start a new run from this model's weights instead of random ones (a warm start): parameters "
                               + "with the same name and shape are copied, layers the model lacks start fresh, the optimiser "
                               + "and schedule start from zero. The model card records it.", valueName: "model"))
    var initFrom: String?

    @Flag(help: "Print the resolved config as JSON (the defaults, or --config over them) and exit.")
    var printConfig = false

    func validate() throws {
        if printConfig { return }
        guard data != nil else { throw ValidationError("missing --data <dir>") }
        guard out != nil else { throw ValidationError("missing --out <dir>") }
        if let steps, steps < 1 { throw ValidationError("--steps must be at least 1") }
        if let untilStep, untilStep < 1 { throw ValidationError("--until-step must be at least 1") }
        if initFrom != nil && resume { throw ValidationError("--init-from starts a new run; --resume continues one: give one of them") }
    }

    func run() throws {
        do {
            try train()
        } catch let error as TrainingError {
            switch error {
            case .invalidConfig, .noImages, .checkpoint: throw CLIError.badInput(error.description)
            case .warmStart(let message): throw CLIError.badInput("--init-from \(initFrom ?? ""): \(message)")
            case .noCheckpointToResume(let path):
                throw CLIError.usage("--resume: \(path) does not exist; leave out --resume to start a new run")
            case .checkpointExists(let path):
                throw CLIError.usage("\(path) already exists; pass --resume to continue that run, or choose another --out")
            case .resumedConfigDiffers:
                throw CLIError.badInput("--resume: \(error); resume without --config to use the checkpoint's, or start a new run in another --out")
            case .output: throw CLIError.outputFailed(error.description)
            }
        }
    }

    private func train() throws {
        if printConfig {
            var shown = try config.map { path throws(TrainingError) in try TrainingConfig.load(path: path) } ?? TrainingConfig()
            if let steps { shown.totalSteps = steps }
            print(shown.jsonString())
            return
        }
        let output = TrainingOutput(directory: out!)
        let (resolved, checkpoint) = try Trainer.prepare(output: output, configFile: config, resume: resume, totalSteps: steps)

        let progress = ProgressBar(total: nil)
        let start = Date()
        let training = try ImageDirectory.load(directory: data!, maxShorterSide: resolved.maxImageShorterSide) { warn($0) }
        var validationImages: [RGBImage] = []
        if let val, resolved.validationImages > 0 {
            validationImages = try ImageDirectory.load(directory: val, limit: resolved.validationImages) { warn($0) }.map(\.image)
        }
        progress.line("loaded \(training.count) training and \(validationImages.count) validation images in "
                      + "\(String(format: "%.1f", Date().timeIntervalSince(start))) s; OpenBLAS \(BLASRuntime.corename), "
                      + "\(BLASRuntime.threadCount) threads")

        let initialWeights = try initFrom.map { path in
            do {
                return (file: try WeightsFile(bytes: FileIO.read(path)), path: path)
            } catch let error as CLIError {
                throw error
            } catch {
                throw CLIError.badInput("--init-from \(path) is not a weights file: \(error)")
            }
        }
        let trainer = try Trainer(config: resolved, checkpoint: checkpoint, initialWeights: initialWeights, trainingImages: training,
                                  validationImages: validationImages, output: output)
        trainer.report = { message in
            switch message {
            case .line(let text): progress.line(text)
            case .status(let text): progress.status(text)
            }
        }
        // Relative paths: the card names no folder of this machine.
        trainer.record["data"] = PortablePath.relative(data!)
        trainer.record["command"] = PortablePath.relativeWords((["vtok"] + CommandLine.arguments.dropFirst()).joined(separator: " "))
        StopSignal.install()
        let result = try trainer.run(untilStep: untilStep) { StopSignal.isRequested }
        if !result.finished { progress.line("continue with --resume") }
    }
}
