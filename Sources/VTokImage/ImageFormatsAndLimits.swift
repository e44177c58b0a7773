/// The image formats vtok reads. Recognised by their leading bytes, never by file extension.
public enum ImageFormat: String, Sendable, CustomStringConvertible {
    case png = "PNG"
    case jpeg = "JPEG"

    /// The format the data starts like, or nil.
    public static func sniff<Bytes: Collection<UInt8>>(_ data: Bytes) -> ImageFormat? {
        if data.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        if data.starts(with: [0xFF, 0xD8, 0xFF]) { return .jpeg }
        return nil
    }

    public var description: String { rawValue }
}

/// Bounds on what a decoder may allocate, so a hostile or broken file cannot exhaust memory.
public struct ImageLimits: Sendable, Equatable {
    /// The largest `width * height` accepted. Checked against the header before any pixel memory is
    /// allocated. Decoding peaks at about 7 bytes per pixel (the decoder's buffer plus the RGB copy).
    public var maxPixels: Int
    /// The largest file `ImageFile.load` reads into memory.
    public var maxFileBytes: Int

    public init(maxPixels: Int = 64 << 20, maxFileBytes: Int = 1 << 30) {
        precondition(maxPixels > 0 && maxFileBytes > 0, "ImageLimits must be positive")
        self.maxPixels = maxPixels
        self.maxFileBytes = maxFileBytes
    }

    /// 64 megapixels (e.g. 8192x8192) and 1 GiB files.
    public static let `default` = ImageLimits()
}

/// Why an image could not be read or written. `description` is a complete sentence for a user.
public enum ImageError: Error, Equatable, CustomStringConvertible {
    case fileUnreadable(path: String, reason: String)
    case fileUnwritable(path: String, reason: String)
    case fileTooLarge(path: String, bytes: Int, maxFileBytes: Int)
    /// Neither PNG nor JPEG; carries the first bytes of the data.
    case unknownFormat(leadingBytes: [UInt8])
    /// The codec library rejected the data; `detail` is its message.
    case corrupt(ImageFormat, detail: String)
    /// The data ends before the image does.
    case truncated(ImageFormat, detail: String)
    /// The header declares more pixels than `ImageLimits.maxPixels`; nothing was allocated.
    case tooLarge(width: Int, height: Int, maxPixels: Int)
    /// Valid but not handled, e.g. CMYK JPEG.
    case unsupported(ImageFormat, detail: String)
    case outOfMemory(detail: String)
    case encodingFailed(ImageFormat, detail: String)

    public var description: String {
        switch self {
        case let .fileUnreadable(path, reason):
            return "cannot read \(path): \(reason)"
        case let .fileUnwritable(path, reason):
            return "cannot write \(path): \(reason)"
        case let .fileTooLarge(path, bytes, maxFileBytes):
            return "\(path) is \(bytes) bytes, over the limit of \(maxFileBytes) bytes; "
                + "raise ImageLimits.maxFileBytes to read it"
        case let .unknownFormat(leadingBytes):
            if leadingBytes.isEmpty { return "not an image: the data is empty" }
            let hex = leadingBytes.map { String($0, radix: 16).leftPadded(to: 2) }.joined(separator: " ")
            return "not a PNG or JPEG image (the data starts with \(hex))"
        case let .corrupt(format, detail):
            return "corrupt \(format) data: \(detail)"
        case let .truncated(format, detail):
            return "truncated \(format) data: \(detail)"
        case let .tooLarge(width, height, maxPixels):
            return "image is \(width)x\(height) = \(width * height) pixels, over the limit of \(maxPixels) pixels; "
                + "pass ImageLimits(maxPixels: \(width * height)) or more to decode it"
        case let .unsupported(format, detail):
            return "unsupported \(format): \(detail)"
        case let .outOfMemory(detail):
            return "out of memory: \(detail)"
        case let .encodingFailed(format, detail):
            return "cannot encode \(format): \(detail)"
        }
    }
}

extension String {
    fileprivate func leftPadded(to length: Int) -> String {
        String(repeating: "0", count: max(0, length - count)) + self
    }
}
