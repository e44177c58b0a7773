/// The container's public vocabulary: which format a writer produces, what a version 2 writer or
/// reader needs of the model, and what a reader learned. Version 1 (spec part I) and version 2
/// (part II) are written by `VTokFile.serialized(format:model:)` (Writing.swift) and read by
/// `VTokFile.read(_:model:)` (Reading.swift).

/// Which format a writer produces.
public enum FileFormat: Equatable, Sendable, CustomStringConvertible {
    /// The 28-byte header and raw payload of spec part I.
    case version1
    /// The compact header, with the payload coded as given (version 3, the same with a 4-byte
    /// token count, for a file of more than 65,535 tokens a tile).
    case version2(PayloadCoding)

    /// The fewest bytes any file takes: a version 2 header for one small tile.
    public static let smallestHeaderSize = 12

    public var description: String {
        switch self {
        case .version1: return "version 1 (raw)"
        case .version2(let coding): return "version 2 (\(coding))"
        }
    }
}

/// What a version 2 writer or reader needs of the model: its id, which seeds the file's check, and,
/// for coded payloads, its prior.
public struct ModelCoding: Sendable {
    public let id: ModelID
    public let prior: (any TokenPrior)?

    public init(id: ModelID, prior: (any TokenPrior)?) {
        self.id = id
        self.prior = prior
    }
}

/// Everything a reader learned from a file, beyond its tokens.
public struct VTokReading: Sendable {
    public var file: VTokFile
    public var warnings: [VTokWarning]
    /// 1, 2, or 3 (version 2 with a 4-byte token count, for more than 65,535 tokens a tile).
    public var version: Int
    public var coding: PayloadCoding
    /// Bytes before the payload: 28 in version 1; 12 for a small single-tile file in version 2.
    public var headerSize: Int
    /// Tokens per tile the header declares; `file.tokenCount` is fewer when the file was cut.
    public var declaredTokens: Int
    /// True when the whole file was present and its checksums verified.
    public var isComplete: Bool
}

