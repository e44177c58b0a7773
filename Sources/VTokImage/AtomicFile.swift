#if canImport(FoundationEssentials)
import FoundationEssentials
import Glibc
#else
import Foundation
#endif

/// Crash-safe replacement of a file: the bytes go to `<path>.partial`, are flushed to the disk
/// (fsync), and only then renamed over `path`, and the directory is synced so the rename itself
/// survives a power cut. A process killed at any moment leaves either the old file or the new one
/// at `path`, never a mixture; a stale `.partial` is simply overwritten by the next write. Every
/// file vtok writes goes through here: model files, checkpoints, `.vtok` files, decoded images, shards.
public enum AtomicFile {
    public static func write(_ data: Data, to path: String) throws { try write([UInt8](data), to: path) }

    public static func write(_ bytes: [UInt8], to path: String) throws {
        let temporary = path + ".partial"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw failure("cannot create \(temporary)") }
        var written = 0
        let ok: Bool = bytes.withUnsafeBytes { buffer in
            while written < buffer.count {
                let count = Glibc.write(descriptor, buffer.baseAddress! + written, buffer.count - written)
                if count < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                written += count
            }
            return fsync(descriptor) == 0
        }
        let error = errno
        guard close(descriptor) == 0, ok else {
            unlink(temporary)
            throw failure("cannot write \(temporary)", errno: error)
        }
        guard rename(temporary, path) == 0 else {
            let error = errno
            unlink(temporary)
            throw failure("cannot rename \(temporary) to \(path)", errno: error)
        }
        let directory = open(parentDirectory(of: path), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directory >= 0 {
            _ = fsync(directory)
            close(directory)
        }
    }

    private static func failure(_ message: String, errno code: Int32 = errno) -> Error {
        AtomicFileError(description: "\(message): \(String(cString: strerror(code)))")
    }

    /// The folder holding `path` ("." for a bare name, "/" for a file at the root).
    static func parentDirectory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}

/// Why an atomic write failed: the step and the system's reason.
public struct AtomicFileError: Error, CustomStringConvertible {
    public let description: String
}
