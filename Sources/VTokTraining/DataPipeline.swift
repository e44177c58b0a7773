import Dispatch
import Foundation
import VTokImage
import VTokModel
import VTokNN

// MARK: Loading

/// Image files found under a directory, and decoding them.
public enum ImageDirectory {
    /// File name extensions taken for images (case-insensitive); other files are ignored. The format
    /// itself is recognised from the file's bytes.
    public static let imageExtensions: Set<String> = ["png", "jpg", "jpeg", "jpe", "jfif"]

    /// Paths of the image files under `directory` and its subdirectories, hidden ones excluded,
    /// sorted by path so that "the first N" is well defined.
    public static func imagePaths(in directory: String) throws(TrainingError) -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw .noImages("\(directory) is not a directory")
        }
        let root = URL(fileURLWithPath: directory)
        guard let enumerator = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey],
                                                              options: [.skipsHiddenFiles]) else {
            throw .noImages("cannot list \(directory)")
        }
        var paths: [String] = []
        for case let url as URL in enumerator where imageExtensions.contains(url.pathExtension.lowercased()) {
            if (try? url.resourceValues(forKeys: [.isRegularFileKey]))?.isRegularFile == true { paths.append(url.path) }
        }
        return paths.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    /// Decodes the images under `directory` (both cores), skipping unreadable files with a warning.
    /// Images whose shorter side exceeds `maxShorterSide` (0: no limit) are area-downscaled to it.
    /// At most `limit` images are returned (the first by path); throws when none is readable.
    public static func load(directory: String, maxShorterSide: Int = 0, limit: Int? = nil,
                            warn: (String) -> Void) throws(TrainingError) -> [(path: String, image: RGBImage)] {
        let paths = try imagePaths(in: directory)
        guard !paths.isEmpty else {
            throw .noImages("no image files (\(imageExtensions.sorted().joined(separator: ", "))) under \(directory)")
        }
        var loaded: [(path: String, image: RGBImage)] = []
        var start = 0
        // In slices, so that a limit of 16 does not decode a million files (a few spare for failures).
        while start < paths.count && loaded.count < (limit ?? .max) {
            let wanted = limit.map { $0 - loaded.count } ?? paths.count
            let slice = Array(paths[start..<min(paths.count, start + max(wanted, 8))])
            start += slice.count
            let results = decode(slice, maxShorterSide: maxShorterSide)
            for (path, result) in zip(slice, results) {
                switch result {
                case .success(let image):
                    if loaded.count < (limit ?? .max) { loaded.append((path, image)) }
                case .failure(let error):
                    warn("skipping \(path): \(error)")
                }
            }
        }
        guard !loaded.isEmpty else { throw .noImages("none of the \(paths.count) image files under \(directory) could be read") }
        return loaded
    }

    private static func decode(_ paths: [String], maxShorterSide: Int) -> [Result<RGBImage, Error>] {
        let results = ResultSlots(count: paths.count)
        DispatchQueue.concurrentPerform(iterations: paths.count) { index in
            results.set(index, Result {
                let image = try ImageFile.load(path: paths[index])
                if maxShorterSide > 0 && min(image.width, image.height) > maxShorterSide {
                    return image.resizedShorterSide(to: maxShorterSide, filter: .area)
                }
                return image
            })
        }
        return results.values
    }
}

/// One slot per index, written by `concurrentPerform` workers that never share an index.
private final class ResultSlots: @unchecked Sendable {
    private var slots: [Result<RGBImage, Error>?]
    private let lock = NSLock()
    init(count: Int) { slots = Array(repeating: nil, count: count) }
    func set(_ index: Int, _ value: Result<RGBImage, Error>) {
        lock.lock()
        slots[index] = value
        lock.unlock()
    }
    var values: [Result<RGBImage, Error>] { slots.map { $0! } }
}

// MARK: Augmentation


/// Turns the decoded training images into batches: epoch-shuffled order, random square crops,
/// flips, kept lengths, all drawn from one `SeededRandom` the caller checkpoints.
public final class TrainingData {
    public let images: [RGBImage]
    /// How a crop becomes a sample: the tokenizer's own preprocessing.
    public let input: TokenizerInput
    public var resolution: Int { input.workingResolution }
    public let minCropFraction: Float
    /// Crops of this side in pixels, at the image's own scale; 0: a fraction of the shorter side.
    public let cropSide: Int
    public let horizontalFlip: Bool
    public let lengths: LengthSampler
    /// Seed of the per-epoch permutations (they depend on the seed and the epoch only, so the order
    /// needs no state beyond the count of samples drawn).
    public let orderSeed: UInt64
    private var cachedEpoch = -1
    private var cachedOrder: [Int] = []
    private var rowScratch: [Float] = []

    public init(images: [RGBImage], config: TrainingConfig) {
        precondition(!images.isEmpty, "TrainingData: no images")
        self.images = images
        input = TokenizerInput(shape: config.model.shape)
        minCropFraction = config.minCropFraction
        cropSide = config.cropSide
        horizontalFlip = config.horizontalFlip
        lengths = LengthSampler(maxTokens: config.model.shape.maxTokens, uniformFraction: config.uniformLengthFraction,
                                fixedLength: config.fixedTokenCount > 0 ? config.fixedTokenCount : nil)
        orderSeed = config.seed
    }

    /// The image index of the `sample`-th sample of the run (counting from 0): each epoch visits
    /// every image once, in an order shuffled per epoch.
    public func imageIndex(ofSample sample: Int) -> Int {
        let epoch = sample / images.count
        if epoch != cachedEpoch {
            var rng = SeededRandom(seed: orderSeed &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(epoch) &+ 0x5EED)
            cachedOrder = Array(0..<images.count)
            cachedOrder.shuffle(using: &rng)
            cachedEpoch = epoch
        }
        return cachedOrder[sample % images.count]
    }

    /// A random square window with side in [minCropFraction, 1] of the shorter side (or `cropSide`
    /// pixels, at most the shorter side), and a coin flip.
    public func randomCrop(width: Int, height: Int, using rng: inout SeededRandom) -> CropSpec {
        let shorter = min(width, height)
        let side: Int
        if cropSide > 0 {
            side = min(shorter, cropSide)
        } else {
            let fraction = minCropFraction + (1 - minCropFraction) * rng.uniform()
            side = min(shorter, max(1, Int((fraction * Float(shorter)).rounded())))
        }
        let x = rng.int(in: 0...(width - side))
        let y = rng.int(in: 0...(height - side))
        let flipped = rng.uniform() < 0.5 && horizontalFlip
        return CropSpec(x: x, y: y, side: side, flipped: flipped)
    }

    /// Fills `batch` (B, 3, R, R) with samples `firstSample ..< firstSample + B` and returns their
    /// kept lengths. Draws from `rng` in a fixed order, so equal states give equal batches.
    public func fillBatch(_ batch: Tensor, firstSample: Int, rng: inout SeededRandom) -> [Int] {
        let count = batch.shape[0], r = resolution
        precondition(batch.shape == [count, 3, r, r], "fillBatch: batch \(batch.shape), working resolution \(r)")
        var kept: [Int] = []
        kept.reserveCapacity(count)
        for b in 0..<count {
            let image = images[imageIndex(ofSample: firstSample + b)]
            let crop = randomCrop(width: image.width, height: image.height, using: &rng)
            kept.append(lengths.sample(using: &rng))
            input.write(crop: crop, of: image, into: batch.pointer + b * 3 * r * r, scratch: &rowScratch)
        }
        return kept
    }
}
