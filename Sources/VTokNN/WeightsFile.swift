#if canImport(FoundationEssentials)
import FoundationEssentials
import Glibc
#else
import Foundation
#endif

// Weights files in the safetensors layout (https://github.com/huggingface/safetensors), so that
// the usual Python tools can read what we write and we can read what they write:
//
//   8 bytes    N, the header length, little-endian UInt64
//   N bytes    JSON: {"__metadata__": {"key": "value", ...},
//                     "name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, ...}
//              padded with spaces to a multiple of 8
//   the rest   raw little-endian tensor data; offsets are relative to its start
//
// We write the header exactly as the reference implementation does (compact JSON, tensors sorted
// by name, packed in that order), so the same tensors give the same bytes in Swift and Python.

#if _endian(big)
#error("Tensor data is copied as little-endian memory; big-endian hosts would need byte swaps.")
#endif

/// Element types a weights file may hold. Whatever the stored type, tensors are Float in memory.
public enum TensorDType: String, Sendable, CaseIterable {
    /// Checkpoints: exact.
    case float32 = "F32"
    /// Shipped weights: 2^-11 relative rounding, range ±65504.
    case float16 = "F16"
    /// Shipped weights: 2^-8 relative rounding, the range of float32.
    case bfloat16 = "BF16"

    public var byteCount: Int { self == .float32 ? 4 : 2 }
}

/// A tensor by name, as stored in a weights file: row-major `values`, `shape.reduce(1, *)` of them.
public struct NamedTensor: Equatable, Sendable {
    public var name: String
    public var shape: [Int]
    public var values: [Float]

    public init(name: String, shape: [Int], values: [Float]) {
        self.name = name
        self.shape = shape
        self.values = values
    }
}

public enum WeightsFileError: Error, Equatable, CustomStringConvertible {
    /// The bytes are not a valid safetensors file, or the tensors cannot be written as one.
    case malformed(String)
    /// The file is well-formed but its tensors do not fit the model: one message per mismatch.
    case mismatch([String])
    /// Reading or writing the file failed.
    case io(String)

    public var description: String {
        switch self {
        case .malformed(let message): "malformed weights file: \(message)"
        case .mismatch(let messages): "weights do not fit the model: " + messages.joined(separator: "; ")
        case .io(let message): message
        }
    }
}

/// Named tensors plus string metadata (the model's config JSON goes under "vtok.config").
///
/// A checkpoint keeps everything training needs in one file, each part under its own name prefix:
/// the model's parameters (`add(_:prefix:)`, `load(into:prefix:)`), the optimiser's moments
/// (`AdamW.save(into:)`) and the moving average (`ExponentialMovingAverage.save(into:)`).
public struct WeightsFile: Sendable {
    /// In the order of the file's data (sorted by name for files this type wrote).
    public var tensors: [NamedTensor]
    public var metadata: [String: String]
    /// The precision a parsed file stored every tensor in (nil when built in memory or mixed), so
    /// that rewriting the file (say, with new metadata) keeps its tensors bit for bit.
    public private(set) var storedDType: TensorDType?

    public init(tensors: [NamedTensor] = [], metadata: [String: String] = [:]) {
        self.tensors = tensors
        self.metadata = metadata
    }

    /// The tensor called `name`, if any.
    public subscript(name: String) -> NamedTensor? {
        tensors.first { $0.name == name }
    }

    /// Appends copies of the parameters' current values, named `prefix + parameter.name`.
    public mutating func add(_ parameters: [Parameter], prefix: String = "") {
        for parameter in parameters {
            tensors.append(NamedTensor(name: prefix + parameter.name, shape: parameter.shape, values: parameter.value))
        }
    }

    // MARK: Fitting to a model

    /// Copies the file's tensors into `parameters`. Only tensors whose names start with `prefix`
    /// take part, and they must match the parameters one to one (`prefix + name`) with equal shapes;
    /// otherwise nothing is copied and the error names every missing, unexpected and misshapen tensor.
    public func load(into parameters: [Parameter], prefix: String = "") throws {
        let values = try values(matching: parameters.map { (prefix + $0.name, $0.shape) }, prefix: prefix)
        for (parameter, value) in zip(parameters, values) { parameter.value = value }
    }

    /// A warm start's load: copies the tensors that `parameters` name into them, leaves the
    /// parameters the file lacks as they are and returns those; tensors of no parameter are ignored.
    /// A tensor with a parameter's name and another shape means another architecture: an error, and
    /// nothing is copied.
    public func loadShared(into parameters: [Parameter]) throws -> [Parameter] {
        let names = Set(tensors.map(\.name))
        let shared = parameters.filter { names.contains($0.name) }
        let values = try values(matching: shared.map { ($0.name, $0.shape) }, ignoringOthers: true)
        for (parameter, value) in zip(shared, values) { parameter.value = value }
        return parameters.filter { !names.contains($0.name) }
    }

    /// The values of the tensors `expected` names, in its order, after checking that the tensors
    /// whose names start with `prefix` are exactly those (at least those, when `ignoringOthers`),
    /// with the expected shapes.
    public func values(matching expected: [(name: String, shape: [Int])], prefix: String = "",
                       ignoringOthers: Bool = false) throws -> [[Float]] {
        var byName: [String: NamedTensor] = [:]
        for tensor in tensors where tensor.name.hasPrefix(prefix) { byName[tensor.name] = tensor }
        let expectedNames = Set(expected.map(\.name))

        var problems: [String] = []
        for (name, shape) in expected {
            guard let tensor = byName[name] else {
                problems.append("missing tensor \(name)")
                continue
            }
            if tensor.shape != shape {
                problems.append("shape of \(name) is \(tensor.shape) in the file but the model expects \(shape)")
            }
        }
        for tensor in tensors where !ignoringOthers && tensor.name.hasPrefix(prefix) && !expectedNames.contains(tensor.name) {
            problems.append("unexpected tensor \(tensor.name)")
        }
        guard problems.isEmpty else { throw WeightsFileError.mismatch(problems) }
        return expected.map { byName[$0.name]!.values }
    }

    // MARK: Writing

    /// The file's bytes with every tensor stored as `dtype`.
    public func serialized(as dtype: TensorDType) throws -> [UInt8] {
        // By UTF-8 bytes, as Rust orders strings; Swift's `<` on String compares normalised Unicode.
        let sorted = tensors.sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
        var fields: [String] = []
        if !metadata.isEmpty {
            let entries = metadata.sorted { $0.key < $1.key }.map { jsonString($0.key) + ":" + jsonString($0.value) }
            fields.append("\"__metadata__\":{" + entries.joined(separator: ",") + "}")
        }
        var offset = 0
        var previousName: String?
        for tensor in sorted {
            guard tensor.name != previousName else { throw WeightsFileError.malformed("two tensors named \(tensor.name)") }
            guard tensor.name != "__metadata__" else { throw WeightsFileError.malformed("tensor named __metadata__") }
            guard tensor.shape.allSatisfy({ $0 >= 0 }), tensor.shape.reduce(1, *) == tensor.values.count else {
                throw WeightsFileError.malformed("tensor \(tensor.name) has \(tensor.values.count) values for shape \(tensor.shape)")
            }
            let end = offset + tensor.values.count * dtype.byteCount
            let shape = tensor.shape.map(String.init).joined(separator: ",")
            fields.append(jsonString(tensor.name) + ":{\"dtype\":\"\(dtype.rawValue)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(end)]}")
            offset = end
            previousName = tensor.name
        }
        var headerBytes = Array(("{" + fields.joined(separator: ",") + "}").utf8)
        headerBytes += [UInt8](repeating: UInt8(ascii: " "), count: (8 - headerBytes.count % 8) % 8)

        var bytes: [UInt8] = []
        bytes.reserveCapacity(8 + headerBytes.count + offset)
        withUnsafeBytes(of: UInt64(headerBytes.count).littleEndian) { bytes += $0 }
        bytes += headerBytes
        for tensor in sorted {
            switch dtype {
            case .float32: tensor.values.withUnsafeBytes { bytes += $0 }
            case .float16: float16Bits(tensor.values).withUnsafeBytes { bytes += $0 }
            case .bfloat16: bfloat16Bits(tensor.values).withUnsafeBytes { bytes += $0 }
            }
        }
        return bytes
    }

    /// Writes the file atomically (a crash mid-write leaves any previous file intact).
    public func write(to path: String, as dtype: TensorDType) throws {
        let bytes = try serialized(as: dtype)
        do {
            try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw WeightsFileError.io("cannot write \(path): \(error)")
        }
    }

    // MARK: Reading

    public init(contentsOf path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw WeightsFileError.io("cannot read \(path)")
        }
        try self.init(bytes: [UInt8](data))
    }

    /// Parses and validates a whole file; F16 and BF16 tensors are widened to Float exactly.
    public init(bytes: [UInt8]) throws {
        guard bytes.count >= 8 else {
            throw WeightsFileError.malformed("\(bytes.count) bytes, too short for the 8-byte header length")
        }
        let headerLength = bytes[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        // The reference implementation's limit: a corrupt length must not make us allocate gigabytes.
        guard headerLength <= 100_000_000, headerLength <= UInt64(bytes.count - 8) else {
            throw WeightsFileError.malformed("header length \(headerLength) exceeds the \(bytes.count - 8) bytes after it")
        }
        let dataStart = 8 + Int(headerLength)
        let header: Header
        do {
            header = try JSONDecoder().decode(Header.self, from: Data(bytes[8..<dataStart]))
        } catch let error as WeightsFileError {
            throw error
        } catch {
            throw WeightsFileError.malformed("header is not the expected JSON: \(error)")
        }

        // Packed data: sorted by offsets, each tensor starts where the previous one ended and the
        // last ends at the end of the file. That rules out overlaps, gaps and trailing bytes.
        let entries = header.entries.sorted { ($0.begin, $0.end) < ($1.begin, $1.end) }
        let dataLength = bytes.count - dataStart
        var expectedBegin = 0
        for entry in entries {
            guard entry.begin == expectedBegin else {
                throw WeightsFileError.malformed("tensor \(entry.name) starts at \(entry.begin), expected \(expectedBegin) (gap or overlap)")
            }
            guard entry.end <= dataLength else {
                throw WeightsFileError.malformed("tensor \(entry.name) ends at \(entry.end), past the \(dataLength) data bytes")
            }
            expectedBegin = entry.end
        }
        guard expectedBegin == dataLength else {
            throw WeightsFileError.malformed("tensors cover \(expectedBegin) of the \(dataLength) data bytes")
        }

        tensors = entries.map { entry in
            let raw = bytes[(dataStart + entry.begin)..<(dataStart + entry.end)]
            let values: [Float] = switch entry.dtype {
            case .float32: copyElements(raw)
            case .float16: floats(fromFloat16Bits: copyElements(raw))
            case .bfloat16: floats(fromBFloat16Bits: copyElements(raw))
            }
            return NamedTensor(name: entry.name, shape: entry.shape, values: values)
        }
        metadata = header.metadata
        let dtypes = Set(entries.map(\.dtype))
        storedDType = dtypes.count == 1 ? dtypes.first : nil
    }
}

/// Raw little-endian bytes reinterpreted as elements; the caller has checked the byte count.
private func copyElements<Element>(_ raw: ArraySlice<UInt8>) -> [Element] {
    let count = raw.count / MemoryLayout<Element>.stride
    return [Element](unsafeUninitializedCapacity: count) { buffer, initialized in
        raw.withUnsafeBytes { UnsafeMutableRawBufferPointer(buffer).copyMemory(from: $0) }
        initialized = count
    }
}

/// `string` as a JSON string literal, escaped as serde_json (the reference writer) escapes it.
private func jsonString(_ string: String) -> String {
    var escaped = "\""
    for scalar in string.unicodeScalars {
        switch scalar {
        case "\"": escaped += "\\\""
        case "\\": escaped += "\\\\"
        case "\n": escaped += "\\n"
        case "\r": escaped += "\\r"
        case "\t": escaped += "\\t"
        case "\u{08}": escaped += "\\b"
        case "\u{0C}": escaped += "\\f"
        case _ where scalar.value < 0x20:
            let hex = String(scalar.value, radix: 16)
            escaped += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        default: escaped.unicodeScalars.append(scalar)
        }
    }
    return escaped + "\""
}

/// The decoded JSON header, validated entry by entry.
private struct Header: Decodable {
    struct Entry {
        let name: String
        let dtype: TensorDType
        let shape: [Int]
        let begin: Int
        let end: Int

        init(name: String, info: TensorInfo) throws {
            func fail(_ problem: String) -> WeightsFileError { .malformed("tensor \(name): \(problem)") }
            guard let dtype = TensorDType(rawValue: info.dtype) else { throw fail("unsupported dtype \(info.dtype)") }
            guard info.data_offsets.count == 2 else { throw fail("data_offsets \(info.data_offsets) is not [begin, end]") }
            let (begin, end) = (info.data_offsets[0], info.data_offsets[1])
            guard 0 <= begin, begin <= end else { throw fail("data_offsets \(info.data_offsets) out of order") }
            guard info.shape.allSatisfy({ $0 >= 0 }) else { throw fail("negative dimension in shape \(info.shape)") }
            var byteCount = dtype.byteCount
            for dimension in info.shape {
                let (product, overflow) = byteCount.multipliedReportingOverflow(by: dimension)
                guard !overflow else { throw fail("shape \(info.shape) is too large") }
                byteCount = product
            }
            guard byteCount == end - begin else {
                throw fail("shape \(info.shape) of \(dtype.rawValue) needs \(byteCount) bytes, data_offsets span \(end - begin)")
            }
            (self.name, self.dtype, self.shape, self.begin, self.end) = (name, dtype, info.shape, begin, end)
        }
    }

    struct TensorInfo: Decodable {
        let dtype: String
        let shape: [Int]
        let data_offsets: [Int]
    }

    struct AnyKey: CodingKey {
        let stringValue: String
        init(stringValue: String) { self.stringValue = stringValue }
        var intValue: Int? { nil }
        init?(intValue: Int) { nil }
    }

    var entries: [Entry] = []
    var metadata: [String: String] = [:]

    init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: AnyKey.self)
        for key in container.allKeys {
            if key.stringValue == "__metadata__" {
                metadata = try container.decode([String: String].self, forKey: key)
                continue
            }
            let info = try container.decode(TensorInfo.self, forKey: key)
            entries.append(try Entry(name: key.stringValue, info: info))
        }
    }
}
