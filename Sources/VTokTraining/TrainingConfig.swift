import Foundation
import VTokModel
import VTokNN

/// Every hyperparameter of a training run. Read from a JSON file in which every field is optional
/// (the defaults here fill the rest, nested `model` fields included); stored whole in each
/// checkpoint, so that a resumed run can be checked against the run it continues.
///
/// The defaults are the recipe of the transformer v5's first stage (`vtok train` with no config);
/// the shipped convolutional model's recipe is `configs/convolutional-c2.json`.
public struct TrainingConfig: Codable, Equatable, Sendable {
    /// The tokenizer's architecture (`"architecture"`, a `TokenizerRegistry` name; the transformer
    /// when absent) and its hyperparameters and loss weights.
    public var model = ModelConfig(TransformerConfig())

    // MARK: Optimisation
    /// Images per step.
    public var batchSize = 16
    /// Optimiser steps of the whole run; the cosine schedule ends here. May change when a run is
    /// resumed (to extend it).
    public var totalSteps = 16_000
    /// Learning rate at the end of the warm-up.
    public var peakLearningRate: Float = 6e-4
    /// Learning rate the cosine decay ends at.
    public var learningRateFloor: Float = 1e-5
    /// Linear warm-up from near zero to the peak.
    public var warmupSteps = 500
    public var adamBeta1: Float = 0.9
    public var adamBeta2: Float = 0.99
    public var adamEpsilon: Float = 1e-8
    /// AdamW's decoupled weight decay (not applied to norms, biases and embeddings).
    public var weightDecay: Float = 0.05
    /// Largest global L2 norm of the gradients; larger ones are scaled down to it.
    public var gradientClip: Float = 1
    /// Decay of the exponential moving average of the weights that validation uses and
    /// model.safetensors holds (with a warm-up: min(decay, (1 + t) / (10 + t))).
    public var emaDecay: Float = 0.999

    // MARK: Token-length mix
    /// Per sample: with this probability the kept length k is uniform over 1...K (One-D-Piece tail
    /// drop); otherwise k is uniform over the powers of two up to K, and K (FlexTok nested dropout).
    public var uniformLengthFraction: Float = 0.5
    /// When above 0, every sample keeps exactly this many tokens instead of the mix: a model for one
    /// length, the baseline that measures what the prefix property costs.
    public var fixedTokenCount = 0

    // MARK: Data
    /// Each training sample is a random square crop whose side is a uniform fraction in
    /// [minCropFraction, 1] of the image's shorter side, area-averaged to the working resolution.
    public var minCropFraction: Float = 0.5
    /// When above 0, every crop is this many pixels on a side at the image's own scale (no
    /// resampling when it equals the working resolution), and `minCropFraction` is not used: what a
    /// model that codes images at their own resolution trains on.
    public var cropSide = 0
    /// Mirror half of the samples left to right.
    public var horizontalFlip = true
    /// Training images larger than this (shorter side, pixels) are area-downscaled to it once, when
    /// they are loaded, to bound memory; 0 keeps them as they are. The default is the model's
    /// native resolution.
    public var maxImageShorterSide = 256

    // MARK: Bookkeeping
    /// Seconds between checkpoints (one is also written at the end and on SIGINT/SIGTERM).
    public var checkpointIntervalSeconds: Double = 300
    /// Steps between validations (one also runs at step 0 and at the end); 0 disables them.
    public var validationIntervalSteps = 1000
    /// How many images of the validation directory (the first, by path) are evaluated.
    public var validationImages = 16
    /// Token counts k at which the validation PSNR is measured; each in 1...model.maxTokens.
    public var validationTokenCounts = [1, 4, 16, 64, 256]
    /// Steps between progress lines in train.log (and on stderr when it is not a terminal).
    public var logIntervalSteps = 10
    /// Seed of the data order, crops, flips and kept lengths (the model's initialisation has its
    /// own, `model.seed`).
    public var seed: UInt64 = 1

    public init() {}

    /// Fields that may differ between a checkpoint and the run resuming it: extending the run, and
    /// bookkeeping that changes neither the data, nor the losses, nor how validation is measured.
    public static let fieldsResumeMayChange: Set<String> = ["totalSteps", "checkpointIntervalSeconds", "logIntervalSteps"]

    public var learningRateSchedule: LearningRateSchedule {
        LearningRateSchedule(peak: peakLearningRate, floor: learningRateFloor, warmupSteps: warmupSteps,
                             totalSteps: totalSteps)
    }

    public var adamW: AdamW.Config {
        AdamW.Config(beta1: adamBeta1, beta2: adamBeta2, eps: adamEpsilon, weightDecay: weightDecay)
    }

    /// Checks every field, naming the first one that is wrong.
    public func validate() throws(TrainingError) {
        do {
            try model.validate()
        } catch {
            throw .invalidConfig("model: \(error)")
        }
        func require(_ condition: Bool, _ message: String) throws(TrainingError) {
            if !condition { throw .invalidConfig(message) }
        }
        try require(batchSize >= 1, "batchSize \(batchSize) must be at least 1")
        try require(totalSteps >= 1, "totalSteps \(totalSteps) must be at least 1")
        try require(peakLearningRate > 0 && peakLearningRate.isFinite, "peakLearningRate must be positive")
        try require(learningRateFloor >= 0 && learningRateFloor <= peakLearningRate,
                    "learningRateFloor must be in 0...peakLearningRate")
        try require(warmupSteps >= 0, "warmupSteps must be 0 or more")
        try require((0..<1).contains(adamBeta1) && (0..<1).contains(adamBeta2), "adamBeta1 and adamBeta2 must be in [0, 1)")
        try require(adamEpsilon > 0, "adamEpsilon must be positive")
        try require(weightDecay >= 0, "weightDecay must be 0 or more")
        try require(gradientClip > 0, "gradientClip must be positive")
        try require((0..<1).contains(emaDecay), "emaDecay must be in [0, 1)")
        try require((0...1).contains(uniformLengthFraction), "uniformLengthFraction must be in [0, 1]")
        try require((0...model.shape.maxTokens).contains(fixedTokenCount),
                    "fixedTokenCount \(fixedTokenCount) must be in 0...model.maxTokens (\(model.shape.maxTokens)); 0 keeps the length mix")
        try require(minCropFraction > 0 && minCropFraction <= 1, "minCropFraction must be in (0, 1]")
        try require(model.architecture != LayeredConfig.architecture,
                    "a layered model is not trained whole: train its base and its detail layer as convolutional models, then join them with vtok layer (docs/MODEL.md)")
        try require(cropSide >= 0, "cropSide must be 0 (crops a fraction of the shorter side) or a side in pixels")
        try require(maxImageShorterSide == 0 || maxImageShorterSide >= model.shape.workingResolution,
                    "maxImageShorterSide \(maxImageShorterSide) must be 0 or at least model.workingResolution \(model.shape.workingResolution)")
        try require(checkpointIntervalSeconds > 0, "checkpointIntervalSeconds must be positive")
        try require(validationIntervalSteps >= 0, "validationIntervalSteps must be 0 or more")
        try require(validationImages >= 0, "validationImages must be 0 or more")
        try require(validationTokenCounts.allSatisfy { (1...model.shape.maxTokens).contains($0) },
                    "validationTokenCounts \(validationTokenCounts) must each be in 1...model.maxTokens (\(model.shape.maxTokens))")
        try require(logIntervalSteps >= 1, "logIntervalSteps must be at least 1")
    }

    // MARK: JSON

    /// Parses a config file: a JSON object with any subset of the fields (nested `model` too), each
    /// replacing the one in `base` (the defaults unless given); an unknown field is an error, so that
    /// a misspelt one is not silently ignored.
    public static func parse(json data: Data, over base: TrainingConfig = TrainingConfig()) throws(TrainingError) -> TrainingConfig {
        let overrides: Any
        do {
            overrides = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw .invalidConfig("not valid JSON: \(error.localizedDescription)")
        }
        guard let overrideObject = overrides as? [String: Any] else { throw .invalidConfig("the file must hold a JSON object") }
        let config: TrainingConfig
        do {
            let defaults = try JSONSerialization.jsonObject(with: JSONEncoder().encode(base)) as! [String: Any]
            let merged = try merge(overrideObject, into: defaults, path: "")
            config = try JSONDecoder().decode(TrainingConfig.self, from: JSONSerialization.data(withJSONObject: merged))
        } catch let error as TrainingError {
            throw error
        } catch let DecodingError.typeMismatch(_, context) {
            throw .invalidConfig("field \(context.codingPath.map(\.stringValue).joined(separator: ".")) has the wrong type")
        } catch let DecodingError.dataCorrupted(context) {
            throw .invalidConfig("field \(context.codingPath.map(\.stringValue).joined(separator: ".")): \(context.debugDescription)")
        } catch {
            throw .invalidConfig("\(error)")
        }
        try config.validate()
        return config
    }

    /// Reads and parses a config file (see `parse(json:over:)`).
    public static func load(path: String, over base: TrainingConfig = TrainingConfig()) throws(TrainingError) -> TrainingConfig {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .invalidConfig("cannot read config file \(path)")
        }
        do {
            return try parse(json: data, over: base)
        } catch TrainingError.invalidConfig(let message) {
            throw .invalidConfig("\(path): \(message)")
        } catch {
            throw error
        }
    }

    private static func merge(_ overrides: [String: Any], into defaults: [String: Any], path: String) throws -> [String: Any] {
        var result = defaults
        for (key, value) in overrides {
            let name = path.isEmpty ? key : path + "." + key
            guard let original = defaults[key] else {
                throw TrainingError.invalidConfig("unknown field \(name)")
            }
            if var nested = original as? [String: Any] {
                guard let nestedOverride = value as? [String: Any] else {
                    throw TrainingError.invalidConfig("field \(name) must be an object")
                }
                // Another architecture: its own fields and defaults replace the base's.
                if name == "model", let architecture = nestedOverride["architecture"] as? String,
                   architecture != nested["architecture"] as? String {
                    nested = try JSONSerialization.jsonObject(with: JSONEncoder().encode(ModelConfig.defaults(of: architecture))) as! [String: Any]
                }
                result[key] = try merge(nestedOverride, into: nested, path: name)
            } else {
                result[key] = value
            }
        }
        return result
    }

    /// The config as pretty, key-sorted JSON: what checkpoints store and `--print-config` shows.
    public func jsonString(pretty: Bool = true) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys] : [.sortedKeys]
        return String(decoding: try! encoder.encode(self), as: UTF8.self)
    }

    /// Dotted names of the fields whose values differ ("model.width", "batchSize"), sorted.
    public func differingFields(from other: TrainingConfig) -> [String] {
        let a = flattened(), b = other.flattened()
        return Set(a.keys).union(b.keys).filter { a[$0] != b[$0] }.sorted()
    }

    /// Every leaf field as "dotted.name" → its JSON text.
    func flattened() -> [String: String] {
        let object = try! JSONSerialization.jsonObject(with: JSONEncoder().encode(self))
        var flat: [String: String] = [:]
        func walk(_ value: Any, _ path: String) {
            if let dictionary = value as? [String: Any] {
                for (key, nested) in dictionary { walk(nested, path.isEmpty ? key : path + "." + key) }
            } else {
                let data = try! JSONSerialization.data(withJSONObject: [value], options: [.sortedKeys])
                flat[path] = String(String(decoding: data, as: UTF8.self).dropFirst().dropLast()) // [value]
            }
        }
        walk(object, "")
        return flat
    }
}

/// Why training could not start or continue. `description` is a sentence for the user.
public enum TrainingError: Error, Equatable, CustomStringConvertible {
    /// The config file is unreadable, not JSON, has an unknown field or an invalid value.
    case invalidConfig(String)
    /// A data directory is missing or holds no usable image.
    case noImages(String)
    /// A resume was asked for and the output folder holds no checkpoint (its path).
    case noCheckpointToResume(String)
    /// A new run was asked for and the output folder holds a checkpoint (its path).
    case checkpointExists(String)
    /// A resume was given a config that differs from the checkpoint's in fields that must not change:
    /// what differs, and which fields may.
    case resumedConfigDiffers(String, mayChange: [String])
    /// The checkpoint is unreadable, or does not fit the model.
    case checkpoint(String)
    /// The weights a new run starts from do not fit it.
    case warmStart(String)
    /// An output file could not be written.
    case output(String)

    public var description: String {
        switch self {
        case .invalidConfig(let message): return "invalid training config: \(message)"
        case .noCheckpointToResume(let path): return "no checkpoint to resume: \(path) does not exist"
        case .checkpointExists(let path): return "\(path) already exists: resume that run, or train into another folder"
        case .resumedConfigDiffers(let details, let mayChange):
            return "the config differs from the checkpoint's in: \(details). Only \(mayChange.joined(separator: ", ")) may change "
                + "when a run resumes"
        case .warmStart(let message): return "cannot start from those weights: \(message)"
        case .noImages(let message), .checkpoint(let message), .output(let message): return message
        }
    }
}
