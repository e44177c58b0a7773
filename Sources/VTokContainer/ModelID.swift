/// The identity of the model that wrote a file: the first 4 bytes of the SHA-256 of the model's weights
/// file. Decoding tokens with another model yields garbage, not an error, so the decoder compares ids
/// and refuses a mismatch; 4 bytes make an accidental match between two models a 1-in-4-billion event.
public struct ModelID: Hashable, Sendable, CustomStringConvertible {
    public static let byteCount = 4

    /// Exactly `ModelID.byteCount` bytes, in file order.
    public let bytes: [UInt8]

    /// `nil` unless `bytes` has exactly `ModelID.byteCount` bytes.
    public init?(bytes: [UInt8]) {
        guard bytes.count == ModelID.byteCount else { return nil }
        self.bytes = bytes
    }

    /// The id of a model whose weights file holds `weightsFile`.
    public init(weightsFile: [UInt8]) {
        bytes = Array(SHA256.hash(weightsFile).prefix(ModelID.byteCount))
    }

    /// Parses the 8 hex digits that `description` prints; `nil` for anything else.
    public init?(hex: String) {
        let digits = Array(hex.utf8)
        guard digits.count == 2 * ModelID.byteCount else { return nil }
        var parsed: [UInt8] = []
        for pair in stride(from: 0, to: digits.count, by: 2) {
            guard let byte = UInt8(String(decoding: digits[pair..<pair + 2], as: UTF8.self), radix: 16) else { return nil }
            parsed.append(byte)
        }
        bytes = parsed
    }

    /// Lower-case hex, e.g. `ba7816bf`.
    public var description: String {
        bytes.map { byte in
            let digits = String(byte, radix: 16)
            return byte < 16 ? "0" + digits : digits
        }.joined()
    }

    /// Throws `VTokError.modelMismatch` naming both ids unless a file written by `self` may be decoded
    /// by `model`.
    public func requireMatch(_ model: ModelID) throws(VTokError) {
        guard self == model else { throw .modelMismatch(file: self, model: model) }
    }
}
