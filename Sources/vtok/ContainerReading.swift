import VTokContainer
import VTokModel

/// A `.vtok` file read for a verb. Version 1 files need no model; version 2 files are read with
/// the model (`--model`, default the shipped one), whose id seeds their checksum and whose prior
/// codes their payload. Errors name the file, and a file of another model exits with status 4.
struct ContainerReading {
    let reading: VTokReading
    /// The model the file was read with; nil for a version 1 file read without one.
    let codec: VTokCodec?

    var file: VTokFile { reading.file }
    var warnings: [VTokWarning] { reading.warnings }
    /// The input's own format, which truncation keeps.
    var format: FileFormat { reading.version == 1 ? .version1 : .version2(reading.coding) }

    init(bytes: [UInt8], path: String, model: ModelOptions, loadModel: Bool = false) throws {
        let needsModel = loadModel || VTokFile.formatVersion(of: bytes) != 1
        let loaded = needsModel ? try model.load() : nil
        do {
            reading = try loaded.map { try $0.read(bytes) } ?? VTokFile.read(bytes, model: nil)
        } catch let error as VTokError {
            throw Self.cliError(error, path: path)
        }
        // A layered model reads its base model's files, and those of the models it extends, as
        // those models do, and writes them so.
        let id = reading.file.modelID
        codec = loaded.map { $0.codec(forModel: id) ?? $0 }
    }

    /// The sizes of `file` cut to each token count, in the input's format.
    func fileSizes(_ file: VTokFile) throws -> [Int] {
        try file.fileSizes(format: format, model: codec?.modelCoding)
    }

    /// The longest prefix of `file` whose whole file in the input's format fits `maxBytes`, and its
    /// bytes (`VTokFile.serialized(format:model:maxBytes:)`, the cut `vtok encode --max-bytes`
    /// makes); nil when not even the header fits.
    func bytes(_ file: VTokFile, maxBytes: Int) throws -> (bytes: [UInt8], tokens: Int)? {
        try file.serialized(format: format, model: codec?.modelCoding, maxBytes: maxBytes)
    }

    /// `file`'s bytes in the input's format.
    func bytes(_ file: VTokFile) throws -> [UInt8] {
        try file.serialized(format: format, model: codec?.modelCoding)
    }

    static func cliError(_ error: VTokError, path: String) -> CLIError {
        switch error {
        case .headerCheckMismatch:
            return CLIError(status: .modelMismatch, message: "\(path): \(error). Decode it with the model that wrote it "
                            + "(--model FILE): the models vtok shipped before are kept in its repository's models/ folder")
        case .modelMismatch, .modelRequired, .priorRequired:
            return CLIError(status: .modelMismatch, message: "\(path): \(error)")
        default:
            return CLIError.badInput("\(path): \(error)")
        }
    }
}
