import Foundation
import VTokImage
import VTokModel
import VTokNN

// `vtok tokenize` and `vtok detokenize`: a tree of images to shards of token ids that numpy and
// PyTorch load directly, many images per network pass, resumable; and shards back to PNGs.

/// NumPy `.npy` files of token ids: format version 1.0 written, 1.0 to 3.0 read
/// (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html).
public enum NPY {
    static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)

    /// The smallest unsigned dtype holding ids of `bits` bits.
    public static func dtype(forBits bits: Int) -> (descr: String, bytes: Int) {
        bits <= 8 ? ("|u1", 1) : bits <= 16 ? ("<u2", 2) : ("<u4", 4)
    }

    /// A version 1.0 file: a C-order (rows, columns) array of unsigned ids in the smallest dtype.
    public static func encode(rows: [[UInt32]], columns: Int, bits: Int) -> [UInt8] {
        let (descr, size) = dtype(forBits: bits)
        let shape = "(\(rows.count), \(columns))"
        var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shape), }"
        // Magic, version and length take 10 bytes; the header ends in \n and the data starts on a
        // 64-byte boundary, as numpy writes it.
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var bytes = magic + [1, 0, UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)] + Array(header.utf8)
        bytes.reserveCapacity(bytes.count + rows.count * columns * size)
        for row in rows {
            precondition(row.count == columns, "NPY.encode: a row of \(row.count) ids, not \(columns)")
            for id in row {
                for byte in 0..<size { bytes.append(UInt8(truncatingIfNeeded: id >> (8 * UInt32(byte)))) }
            }
        }
        return bytes
    }

    /// The rows of a 1-D (one row) or 2-D C-order array of integers (unsigned or signed, 1 to 8
    /// bytes, little-endian), each id checked to be 0 ..< 2^32.
    public static func decode(_ bytes: [UInt8]) throws -> [[UInt32]] {
        func fail(_ message: String) -> DatasetError { DatasetError("not a readable .npy file of token ids: \(message)") }
        guard bytes.count >= 10, Array(bytes[0..<6]) == magic else { throw fail("it does not start with \\x93NUMPY") }
        let major = bytes[6]
        let (lengthBytes, start): (Int, Int) = major == 1 ? (2, 10) : (4, 12)
        guard (1...3).contains(major), bytes.count >= start else { throw fail("format version \(major)") }
        let length = (0..<lengthBytes).reduce(0) { $0 | Int(bytes[8 + $1]) << (8 * $1) }
        guard bytes.count >= start + length else { throw fail("the header is cut short") }
        let header = String(decoding: bytes[start..<start + length], as: UTF8.self)
        func field(_ name: String) -> String? {
            guard let key = header.range(of: "'\(name)':") else { return nil }
            return String(header[key.upperBound...]).trimmingCharacters(in: .whitespaces)
        }
        guard let descrField = field("descr"), descrField.hasPrefix("'"),
              let descr = descrField.dropFirst().split(separator: "'").first.map(String.init) else { throw fail("no descr") }
        guard let order = field("fortran_order"), order.hasPrefix("False") else { throw fail("Fortran order is not supported") }
        guard let shapeField = field("shape"), shapeField.hasPrefix("("), let close = shapeField.firstIndex(of: ")") else {
            throw fail("no shape")
        }
        let shape = try shapeField[shapeField.index(after: shapeField.startIndex)..<close].split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            .map { part -> Int in
                guard let value = Int(part), value >= 0 else { throw fail("shape entry \(part)") }
                return value
            }
        guard shape.count == 1 || shape.count == 2 else { throw fail("shape \(shape): give (K,) or (n, K) token ids") }
        let (rows, columns) = shape.count == 1 ? (1, shape[0]) : (shape[0], shape[1])
        guard descr.count == 3, ["<", "|", "="].contains(descr.first!), ["u", "i"].contains(descr.dropFirst().first!),
              let size = Int(descr.suffix(1)), [1, 2, 4, 8].contains(size) else {
            throw fail("dtype \(descr): give little-endian integers")
        }
        let signed = descr.dropFirst().first! == "i"
        let dataStart = start + length
        let (count, overflow) = rows.multipliedReportingOverflow(by: columns)
        guard !overflow, bytes.count - dataStart == count * size else {
            throw fail("\(bytes.count - dataStart) data bytes for shape \(shape) of \(descr)")
        }
        return try bytes.withUnsafeBufferPointer { buffer in
            try (0..<rows).map { r in
                try (0..<columns).map { c in
                    let offset = dataStart + (r * columns + c) * size
                    var value: UInt64 = 0
                    for byte in 0..<size { value |= UInt64(buffer[offset + byte]) << (8 * UInt64(byte)) }
                    if signed && size < 8 && value >> (8 * UInt64(size) - 1) != 0 || signed && size == 8 && value >> 63 != 0 {
                        throw DatasetError("a negative token id (row \(r), column \(c))")
                    }
                    guard value <= UInt64(UInt32.max) else { throw DatasetError("token id \(value) (row \(r), column \(c)) is too large") }
                    return UInt32(value)
                }
            }
        }
    }
}

public struct DatasetError: Error, CustomStringConvertible {
    public let description: String
    /// The output folder holds another run's shards: a usage problem, not a failed write.
    public let isConflict: Bool
    public init(_ description: String, isConflict: Bool = false) { (self.description, self.isConflict) = (description, isConflict) }
}

/// One line of `manifest.jsonl`: where an image's tokens are (`shard`, `row`), and its size before
/// it was stretched to the model's square. An image that could not be read has `error` instead.
public struct ManifestEntry: Codable, Equatable, Sendable {
    public var file: String
    public var shard: String?
    public var row: Int?
    public var width: Int?
    public var height: Int?
    public var error: String?

    public init(file: String, shard: String? = nil, row: Int? = nil, width: Int? = nil, height: Int? = nil, error: String? = nil) {
        (self.file, self.shard, self.row, self.width, self.height, self.error) = (file, shard, row, width, height, error)
    }

    public static func parseLines(_ text: String) throws -> [ManifestEntry] {
        try text.split(separator: "\n").map { try JSONDecoder().decode(ManifestEntry.self, from: Data($0.utf8)) }
    }

    var line: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try! encoder.encode(self), as: UTF8.self)
    }
}

/// Images to shards of token ids: `shard-00000.npy` ... of shape (n, K) with the smallest unsigned
/// dtype that holds an id, `shard-00000.jsonl` beside each (its manifest lines), and at the end
/// `manifest.jsonl`, every line of every shard in order. Shard i holds files i·N ..< (i+1)·N of the
/// sorted list; a shard is written to a temporary name and renamed, its manifest first, so a run
/// that is interrupted resumes by skipping shards whose `.npy` exists. `tokenize.json` records the
/// settings and `files.txt` the list, and a resume with other ones is refused.
public final class DatasetTokenizer {
    public struct Options: Sendable {
        /// Tokens per image kept (a prefix of the K the network emits); nil for all K.
        public var tokens: Int?
        /// Images per shard.
        public var shardSize = 4096
        /// Images per network pass (1: one by one).
        public var batchSize = 16
        public var limits = ImageLimits.default

        public init(tokens: Int? = nil, shardSize: Int = 4096, batchSize: Int = 16) {
            (self.tokens, self.shardSize, self.batchSize) = (tokens, shardSize, batchSize)
        }
    }

    public struct Summary: Sendable {
        public var images = 0
        public var failed = 0
        public var skippedShards = 0
        public var shards = 0
        public var seconds = 0.0
        /// Time in the network (the batch tensor's area downscale included), and its counted FLOPs.
        public var networkSeconds = 0.0
        public var networkFLOPs = 0.0
        public var imagesPerSecond: Double { seconds > 0 ? Double(images) / seconds : 0 }
        public var networkGFLOPS: Double { networkSeconds > 0 ? networkFLOPs / networkSeconds / 1e9 : 0 }
    }

    public static let extensions: Set<String> = ["png", "jpg", "jpeg"]

    /// Every image under the inputs (files, or folders walked recursively), sorted, each with the
    /// name it gets in the manifest: its path relative to the folder given, or its file name.
    public static func imageFiles(_ inputs: [String]) throws -> [(path: String, name: String)] {
        var files: [(path: String, name: String)] = []
        let manager = FileManager.default
        for input in inputs {
            var isDirectory: ObjCBool = false
            guard manager.fileExists(atPath: input, isDirectory: &isDirectory) else {
                throw DatasetError("no such file or directory: \(input)")
            }
            if isDirectory.boolValue {
                guard let walker = manager.enumerator(atPath: input) else { throw DatasetError("cannot list \(input)") }
                var found: [String] = []
                while let relative = walker.nextObject() as? String {
                    if extensions.contains((relative as NSString).pathExtension.lowercased()) { found.append(relative) }
                }
                files += found.sorted().map { ((input as NSString).appendingPathComponent($0), $0) }
            } else {
                files.append((input, (input as NSString).lastPathComponent))
            }
        }
        guard !files.isEmpty else { throw DatasetError("no images found (looked for .png, .jpg, .jpeg)") }
        return files
    }

    public let codec: VTokCodec
    public let options: Options

    public init(codec: VTokCodec, options: Options) throws {
        guard options.shardSize > 0, options.batchSize > 0 else { throw DatasetError("shard and batch sizes must be positive") }
        if let tokens = options.tokens, !(1...codec.shape.maxTokens).contains(tokens) {
            throw DatasetError("\(tokens) tokens an image asked for: give 1...\(codec.shape.maxTokens), the model's K")
        }
        self.codec = codec
        self.options = options
    }

    public static func shardName(_ index: Int) -> String { String(format: "shard-%05d", index) }

    /// Tokenizes `files` into `output`; `progress(done)` after every batch (shards skipped on resume
    /// count as done).
    public func run(files: [(path: String, name: String)], output: String, warn: (String) -> Void = { _ in },
                    progress: (Int) -> Void = { _ in }) throws -> Summary {
        let manager = FileManager.default
        try manager.createDirectory(atPath: output, withIntermediateDirectories: true)
        try checkOrRecordSettings(files: files, output: output)
        let kept = options.tokens ?? codec.shape.maxTokens
        let bits = codec.layout.bitsPerToken
        let flopsPerImage = codec.tokenizer.encoderFLOPs
        let side = codec.shape.resolution
        var summary = Summary()
        let start = Date()
        let shardCount = (files.count + options.shardSize - 1) / options.shardSize
        summary.shards = shardCount
        var done = 0
        for shard in 0..<shardCount {
            let range = shard * options.shardSize..<min((shard + 1) * options.shardSize, files.count)
            let name = Self.shardName(shard)
            let npyPath = (output as NSString).appendingPathComponent(name + ".npy")
            let jsonlPath = (output as NSString).appendingPathComponent(name + ".jsonl")
            if manager.fileExists(atPath: npyPath) && manager.fileExists(atPath: jsonlPath) {
                summary.skippedShards += 1
                done += range.count
                progress(done)
                continue
            }
            var rows: [[UInt32]] = []
            var entries: [ManifestEntry] = []
            let batches = stride(from: range.lowerBound, to: range.upperBound, by: options.batchSize).map {
                Array(files[$0..<min($0 + options.batchSize, range.upperBound)])
            }
            // Reading and resizing the next batch overlaps the network's pass over this one.
            var pending = Prefetch(batches.first ?? [], side: side, limits: options.limits)
            for (index, batch) in batches.enumerated() {
                let loaded = pending.wait()
                if index + 1 < batches.count { pending = Prefetch(batches[index + 1], side: side, limits: options.limits) }
                var images: [RGBImage] = []
                for (file, result) in zip(batch, loaded) {
                    switch result {
                    case .success(let (image, width, height)):
                        entries.append(ManifestEntry(file: file.name, shard: name + ".npy", row: rows.count + images.count,
                                                     width: width, height: height))
                        images.append(image)
                    case .failure(let error):
                        warn("\(file.path): \(error)")
                        entries.append(ManifestEntry(file: file.name, error: "\(error)"))
                        summary.failed += 1
                    }
                }
                let networkStart = Date()
                let ids = codec.tokens(images: images, batchSize: options.batchSize)
                summary.networkSeconds += Date().timeIntervalSince(networkStart)
                summary.networkFLOPs += flopsPerImage * Double(images.count)
                rows += ids.map { Array($0.prefix(kept)) }
                summary.images += images.count
                done += batch.count
                progress(done)
            }
            // The manifest lines first, then the array: the array's name marks the shard finished.
            try AtomicFile.write(Data((entries.map(\.line).joined(separator: "\n") + (entries.isEmpty ? "" : "\n")).utf8), to: jsonlPath)
            try AtomicFile.write(Data(NPY.encode(rows: rows, columns: kept, bits: bits)), to: npyPath)
        }
        var manifest = Data()
        for shard in 0..<shardCount {
            let path = (output as NSString).appendingPathComponent(Self.shardName(shard) + ".jsonl")
            guard let data = manager.contents(atPath: path) else { throw DatasetError("cannot read \(path)") }
            manifest.append(data)
        }
        try AtomicFile.write(manifest, to: (output as NSString).appendingPathComponent("manifest.jsonl"))
        summary.seconds = Date().timeIntervalSince(start)
        return summary
    }

    private func checkOrRecordSettings(files: [(path: String, name: String)], output: String) throws {
        let settings = "{\"model_id\": \"\(codec.modelID)\", \"tokens\": \(options.tokens ?? codec.shape.maxTokens), "
            + "\"shard_size\": \(options.shardSize), \"files\": \(files.count)}\n"
        let list = files.map(\.name).joined(separator: "\n") + "\n"
        let settingsPath = (output as NSString).appendingPathComponent("tokenize.json")
        let listPath = (output as NSString).appendingPathComponent("files.txt")
        if let previous = FileManager.default.contents(atPath: settingsPath) {
            let previousList = FileManager.default.contents(atPath: listPath).map { String(decoding: $0, as: UTF8.self) }
            guard String(decoding: previous, as: UTF8.self) == settings, previousList == list else {
                throw DatasetError("\(output) holds shards of another run (other images, model, token count or shard size; "
                                   + "see its tokenize.json and files.txt): write to another folder, or delete it", isConflict: true)
            }
            return
        }
        try AtomicFile.write(Data(list.utf8), to: listPath)
        try AtomicFile.write(Data(settings.utf8), to: settingsPath)
    }
}

/// Token arrays back to PNG images.
public enum DatasetDetokenizer {
    public struct Item: Sendable {
        public var ids: [UInt32]
        public var outputName: String
        public var width: Int
        public var height: Int
    }

    /// What to write for each row of a shard: with a manifest beside it that lists the shard, each
    /// row's original name (as .png) and size; otherwise `<shard>-<row>.png` at `size` (default
    /// the model's square). `size` overrides the manifest's sizes.
    public static func items(shard path: String, size: (width: Int, height: Int)?, native: Int) throws -> [Item] {
        guard let data = FileManager.default.contents(atPath: path) else { throw DatasetError("cannot read \(path)") }
        let rows = try NPY.decode([UInt8](data))
        let stem = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
        let manifestPath = ((path as NSString).deletingLastPathComponent as NSString).appendingPathComponent("manifest.jsonl")
        var byRow: [Int: ManifestEntry] = [:]
        if let text = FileManager.default.contents(atPath: manifestPath) {
            let shardName = (path as NSString).lastPathComponent
            for entry in try ManifestEntry.parseLines(String(decoding: text, as: UTF8.self)) where entry.shard == shardName {
                if let row = entry.row { byRow[row] = entry }
            }
        }
        return rows.enumerated().map { row, ids in
            if let entry = byRow[row], let width = entry.width, let height = entry.height {
                let name = (entry.file as NSString).deletingPathExtension + ".png"
                return Item(ids: ids, outputName: name, width: size?.width ?? width, height: size?.height ?? height)
            }
            return Item(ids: ids, outputName: String(format: "%@-%05d.png", stem, row),
                        width: size?.width ?? native, height: size?.height ?? native)
        }
    }

    /// Decodes `items` `batchSize` per network pass and writes each under `output`.
    public static func write(_ items: [Item], codec: VTokCodec, output: String, batchSize: Int = 32,
                             progress: (Int) -> Void = { _ in }) throws {
        let r = codec.shape.workingResolution
        for start in stride(from: 0, to: items.count, by: batchSize) {
            let batch = Array(items[start..<min(start + batchSize, items.count)])
            // At the working resolution the codec's resize is the identity: the network's squares,
            // each then stretched to its own size as the codec's decode does.
            let squares = try codec.images(tokens: batch.map(\.ids), width: r, height: r)
            for (item, square) in zip(batch, squares) {
                let path = (output as NSString).appendingPathComponent(item.outputName)
                try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try ImageFile.writePNG(square.resized(width: item.width, height: item.height, filter: .lanczos3), to: path)
            }
            progress(start + batch.count)
        }
    }
}

/// One batch of files read and stretched to the model's square (the first step of the codec's own
/// preprocessing), with their original sizes, on every core, in the background: `wait()` for it.
private final class Prefetch: @unchecked Sendable {
    private var results: [Result<(RGBImage, Int, Int), Error>] = []
    private let finished = DispatchGroup()

    init(_ batch: [(path: String, name: String)], side: Int, limits: ImageLimits) {
        let paths = batch.map(\.path)
        finished.enter()
        DispatchQueue.global().async { [self] in
            let slots = ResultSlots<(RGBImage, Int, Int)>(count: paths.count)
            let next = WorkCounter()
            DispatchQueue.concurrentPerform(iterations: max(1, min(Parallel.workerCount, paths.count))) { _ in
                while let index = next.take(below: paths.count) {
                    slots.set(index, Result {
                        let image = try ImageFile.load(path: paths[index], limits: limits)
                        return (image.resized(width: side, height: side, filter: .lanczos3), image.width, image.height)
                    })
                }
            }
            results = slots.values
            finished.leave()
        }
    }

    func wait() -> [Result<(RGBImage, Int, Int), Error>] {
        finished.wait()
        return results
    }
}

private final class ResultSlots<Value>: @unchecked Sendable {
    private var slots: [Result<Value, Error>?]
    private let lock = NSLock()
    init(count: Int) { slots = Array(repeating: nil, count: count) }
    func set(_ index: Int, _ value: Result<Value, Error>) { lock.withLock { slots[index] = value } }
    var values: [Result<Value, Error>] { lock.withLock { slots.map { $0! } } }
}

/// Hands out 0, 1, 2, ... below a limit to several threads, each number once: the next job.
public final class WorkCounter: @unchecked Sendable {
    private var next = 0
    private let lock = NSLock()

    public init() {}

    public func take(below limit: Int) -> Int? {
        lock.withLock {
            guard next < limit else { return nil }
            defer { next += 1 }
            return next
        }
    }
}
