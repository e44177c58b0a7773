/// Why a `.vtok` file could not be read or written. Each case is one outcome of spec/vtok.md §6;
/// `description` is a sentence fit for a command-line error message.
public enum VTokError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The first bytes are not `VTK`.
    case notVTok
    /// A version this reader does not know (it reads version `VTokHeader.currentVersion`).
    case unsupportedVersion(UInt8)
    /// Fewer bytes than the header: nothing is decodable.
    case headerTruncated(byteCount: Int)
    /// The header's CRC-32 does not match its bytes.
    case headerChecksumMismatch(stored: UInt32, computed: UInt32)
    /// A payload coding this reader does not know.
    case unsupportedPayloadCoding(UInt8)
    /// A header field, or a field of a file being written, outside its allowed range.
    case invalidField(name: String, value: Int, allowed: String)
    /// The complete payload's CRC-32 does not match: the payload bytes were altered.
    case corruptPayload(stored: UInt32, computed: UInt32)
    /// The complete payload's padding bits are not zero: the payload bytes were altered.
    case nonzeroPadding
    /// Bytes after the declared payload.
    case trailingBytes(count: Int)
    /// The tokens of a file being written do not fit its header fields.
    case invalidTokens(String)
    /// The file was written by another model than the one decoding it.
    case modelMismatch(file: ModelID, model: ModelID)
    /// A version 2 file's 4-bit header check, seeded with the model id, fails: the header was
    /// damaged, or another model wrote the file.
    case headerCheckMismatch(model: ModelID)
    /// A version 2 file was read without a model: its check is seeded with the model id.
    case modelRequired
    /// A coded payload was read or written without the model's prior.
    case priorRequired
    /// A prior's frequencies are not a valid coding table.
    case invalidPrior(String)
    /// A complete version 2 file fails its check: its bytes were altered, or another model with the
    /// same 4-bit tag wrote it.
    case corruptFile

    public var description: String {
        switch self {
        case .notVTok:
            return "not a .vtok file (the first bytes are not \"VTK\")"
        case .unsupportedVersion(let version):
            return "unsupported .vtok version \(version) (this reader reads version \(VTokHeader.currentVersion))"
        case .headerTruncated(let count):
            return "file truncated inside its header (\(count) of \(VTokHeader.size) bytes): no token is decodable"
        case .headerChecksumMismatch(let stored, let computed):
            return "corrupt header (checksum mismatch: stored CRC-32 \(hex(stored)), computed \(hex(computed)))"
        case .unsupportedPayloadCoding(let coding):
            return "unsupported payload coding \(coding) (this reader decodes only 0, raw)"
        case .invalidField(let name, let value, let allowed):
            return "invalid \(name) \(value) (allowed: \(allowed))"
        case .corruptPayload(let stored, let computed):
            return "corrupt payload (checksum mismatch: stored CRC-32 \(hex(stored)), computed \(hex(computed)))"
        case .nonzeroPadding:
            return "corrupt payload (padding bits after the last token are not zero)"
        case .trailingBytes(let count):
            return "\(count) unexpected bytes after the payload (a concatenated or damaged file)"
        case .invalidTokens(let reason):
            return "invalid tokens: \(reason)"
        case .modelMismatch(let file, let model):
            return "the file was encoded by model \(file) but the loaded model is \(model); decode it with model \(file)"
        case .headerCheckMismatch(let model):
            return "the header check fails for model \(model): the file was written by another model, or its header is damaged"
        case .modelRequired:
            return "a version 2 file can be read only with the model that wrote it (its checksum is seeded with the model id)"
        case .priorRequired:
            return "the payload is coded under the model's prior, and this model has none"
        case .invalidPrior(let reason):
            return "invalid prior: \(reason)"
        case .corruptFile:
            return "corrupt file (checksum mismatch): its bytes were altered, or another model wrote it"
        }
    }
}

/// Something a reader should report but that does not stop decoding.
public enum VTokWarning: Equatable, Sendable, CustomStringConvertible {
    /// The file ends inside its payload (a partial download, `head -c`): the longest complete token
    /// prefix, `decodedTokens` per tile, was decoded; the payload checksum could not be verified.
    /// `declaredPayloadBytes` is nil for a coded payload, whose complete size only its tokens tell.
    case truncated(declaredTokens: Int, decodedTokens: Int, payloadBytes: Int, declaredPayloadBytes: Int?)

    public var description: String {
        switch self {
        case .truncated(let declared, let decoded, let present, let expected):
            guard let expected else {
                return "file truncated or damaged (coded payload of \(present) bytes): decoded the \(decoded) of \(declared) tokens per tile that its bytes determine; checksum not verified"
            }
            return "file truncated (payload \(present) of \(expected) bytes): decoded the first \(decoded) of \(declared) tokens per tile; payload checksum not verified"
        }
    }
}

private func hex(_ value: UInt32) -> String {
    let digits = String(value, radix: 16)
    return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
}
