import Foundation
import VTokImage

/// Reading and writing whole files for the verbs, with errors mapped to exit statuses.
enum FileIO {
    static func read(_ path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            var isDirectory: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
            throw CLIError.badInput(exists ? (isDirectory.boolValue ? "\(path) is a directory" : "cannot read \(path)")
                                           : "no such file: \(path)")
        }
        return [UInt8](data)
    }

    /// Up to `count` bytes from the start of `path` (none when it cannot be read): enough to tell a
    /// file's kind without reading it whole.
    static func leadingBytes(_ path: String, count: Int) -> [UInt8] {
        guard let handle = FileHandle(forReadingAtPath: path) else { return [] }
        defer { try? handle.close() }
        return [UInt8]((try? handle.read(upToCount: count)) ?? Data())
    }

    /// Writes through a temporary file and a rename (`AtomicFile`), so that a failed write never
    /// leaves a half file behind and writing over the input is safe.
    static func write(_ bytes: [UInt8], to path: String) throws {
        do {
            try AtomicFile.write(bytes, to: path)
        } catch {
            throw CLIError.outputFailed("cannot write \(path): \(reason(writing: path, error))")
        }
    }

    /// Why `path` could not be written, naming the missing or unwritable directory when that is the cause.
    static func reason(writing path: String, _ error: Error) -> String {
        let directory = (path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent
        var isDirectory: ObjCBool = false
        if !FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) {
            return "the directory \(directory) does not exist"
        }
        if !isDirectory.boolValue { return "\(directory) is not a directory" }
        if !FileManager.default.isWritableFile(atPath: directory) { return "the directory \(directory) is not writable" }
        return error.localizedDescription
    }
}

