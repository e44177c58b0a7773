#if canImport(FoundationEssentials)
import FoundationEssentials
import Glibc
#else
import Foundation
#endif

/// Reading and writing image files. The format is recognised from the data's leading bytes, never
/// from the file name.
public enum ImageFile {
    /// Reads a PNG or JPEG file as 8-bit RGB.
    ///
    /// Decoding policy, the same for every entry point:
    /// - **Alpha** (an alpha channel or a PNG tRNS chunk) is composited onto an opaque **white**
    ///   background: `out = round((c * a + 255 * (255 - a)) / 255)`.
    /// - **16-bit** samples are rounded to 8 bits (`round(v / 257)`) before compositing.
    /// - **Gamma, ICC profiles and other colour metadata are ignored**: sample values are taken as sRGB.
    /// - Grayscale is replicated into R, G and B.
    /// - CMYK/YCCK JPEGs are refused (`ImageError.unsupported`).
    ///
    /// Errors are `ImageError`s: unreadable file, unknown format, corrupt or truncated data (with the
    /// library's message), or an image over `limits` (checked against the header before any pixel
    /// memory is allocated; raise `limits.maxPixels` to accept it).
    public static func load(path: String, limits: ImageLimits = .default) throws -> RGBImage {
        let data = try readFile(path: path, limits: limits)
        return try data.withUnsafeBytes { try decode(bytes: $0, limits: limits) }
    }

    /// Decodes PNG or JPEG bytes held in memory; the policy is that of `load(path:limits:)`.
    public static func decode(_ data: [UInt8], limits: ImageLimits = .default) throws -> RGBImage {
        try data.withUnsafeBytes { try decode(bytes: $0, limits: limits) }
    }

    /// Writes a lossless 8-bit RGB PNG, replacing the file atomically.
    public static func writePNG(_ image: RGBImage, to path: String) throws {
        let encoded = try PNGCodec.encode(image)
        do {
            try Data(encoded).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw ImageError.fileUnwritable(path: path, reason: "\(error)")
        }
    }

    static func decode(bytes: UnsafeRawBufferPointer, limits: ImageLimits) throws -> RGBImage {
        switch ImageFormat.sniff(bytes) {
        case .png: return try PNGCodec.decode(bytes: bytes, limits: limits)
        case .jpeg: return try JPEGCodec.decode(bytes: bytes, limits: limits)
        case nil: throw ImageError.unknownFormat(leadingBytes: Array(bytes.prefix(8)))
        }
    }

    private static func readFile(path: String, limits: ImageLimits) throws -> Data {
        var status = stat()
        guard stat(path, &status) == 0 else {
            throw ImageError.fileUnreadable(path: path, reason: String(cString: strerror(errno)))
        }
        guard status.st_mode & S_IFMT == S_IFREG else {
            throw ImageError.fileUnreadable(path: path, reason: "not a regular file")
        }
        guard status.st_size <= limits.maxFileBytes else {
            throw ImageError.fileTooLarge(path: path, bytes: Int(status.st_size), maxFileBytes: limits.maxFileBytes)
        }
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ImageError.fileUnreadable(path: path, reason: "\(error)")
        }
    }
}
