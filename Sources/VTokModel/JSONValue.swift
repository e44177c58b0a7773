#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Any JSON document, read and written through Codable: what merging a stored config over the
/// defaults needs, without `JSONSerialization` (Foundation's, which the C library does not link:
/// it links FoundationEssentials, which carries no ICU data).
enum JSONValue: Codable, Equatable, Sendable {
    case object([String: JSONValue])
    case array([JSONValue])
    case string(String)
    case integer(Int)
    case number(Double)
    case bool(Bool)
    case null

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .object(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .integer(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .bool(let value): try container.encode(value)
        case .null: try container.encodeNil()
        }
    }

    /// The fields of a JSON object's text (nil for any other document).
    static func objectFields(_ data: Data) throws -> [String: JSONValue]? {
        guard case .object(let fields) = try JSONDecoder().decode(JSONValue.self, from: data) else { return nil }
        return fields
    }

    /// `T` decoded from a JSON object of these fields.
    static func decode<T: Decodable>(_ type: T.Type, fields: [String: JSONValue]) throws -> T {
        try JSONDecoder().decode(type, from: JSONEncoder().encode(JSONValue.object(fields)))
    }
}
