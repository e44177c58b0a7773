import CWebP
import VTokImage

/// Lossy WebP through libwebp's advanced API, so that method 6 (the slowest, smallest) can be asked for.
public struct WebPCodec: QualitySweepCodec {
    public static let defaultQualities = [0, 2, 5, 10, 15, 20, 30, 40, 50, 60, 70, 80, 90, 95]

    public let qualities: [Int]
    public var name: String { "WebP" }
    public var family: String { "WebP" }
    public var description: String {
        "libwebp \(Self.libraryVersion) lossy, method 6, default preset, quality \(qualities.map(String.init).joined(separator: ","))"
    }

    public init(qualities: [Int] = defaultQualities) {
        self.qualities = qualities
    }

    static var libraryVersion: String {
        let version = WebPGetEncoderVersion()
        return "\(version >> 16).\((version >> 8) & 0xff).\(version & 0xff)"
    }

    public func encode(_ image: RGBImage, quality: Int) throws -> [UInt8] {
        var config = WebPConfig()
        guard WebPConfigInit(&config) != 0 else { throw CodecError("WebPConfigInit: libwebp version mismatch") }
        config.quality = Float(quality)
        config.method = 6
        guard WebPValidateConfig(&config) != 0 else { throw CodecError("WebP: invalid configuration at quality \(quality)") }

        var picture = WebPPicture()
        guard WebPPictureInit(&picture) != 0 else { throw CodecError("WebPPictureInit: libwebp version mismatch") }
        defer { WebPPictureFree(&picture) }
        picture.width = Int32(image.width)
        picture.height = Int32(image.height)
        let imported = image.pixels.withUnsafeBufferPointer { pixels in
            WebPPictureImportRGB(&picture, pixels.baseAddress, Int32(image.width * 3))
        }
        guard imported != 0 else { throw CodecError("WebP: could not import a \(image.width)x\(image.height) picture") }

        var writer = WebPMemoryWriter()
        WebPMemoryWriterInit(&writer)
        defer { WebPMemoryWriterClear(&writer) }
        return try withUnsafeMutablePointer(to: &writer) { writerPointer in
            picture.writer = WebPMemoryWrite
            picture.custom_ptr = UnsafeMutableRawPointer(writerPointer)
            guard WebPEncode(&config, &picture) != 0 else {
                throw CodecError("WebP: encoding failed with error \(picture.error_code.rawValue)")
            }
            return Array(UnsafeBufferPointer(start: writerPointer.pointee.mem, count: writerPointer.pointee.size))
        }
    }

    public func decode(_ bytes: [UInt8]) throws -> RGBImage {
        var width: Int32 = 0
        var height: Int32 = 0
        guard let decoded = WebPDecodeRGB(bytes, bytes.count, &width, &height) else {
            throw CodecError("WebP: could not decode \(bytes.count) bytes")
        }
        defer { WebPFree(decoded) }
        let count = Int(width) * Int(height) * 3
        return RGBImage(width: Int(width), height: Int(height), pixels: Array(UnsafeBufferPointer(start: decoded, count: count)))
    }
}
