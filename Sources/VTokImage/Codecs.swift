import CImageCodecs
// CImageCodecs includes png.h and jpeglib.h as plain headers, which link nothing; importing the
// system-library modules here is what adds -lpng and -ljpeg to every product using VTokImage.
import CJPEG
import CPNG

/// PNG through libpng. Decoding accepts every PNG flavour; encoding writes 8-bit RGB.
public enum PNGCodec {
    /// Decodes a PNG to 8-bit RGB under the policy described at `ImageFile.load`.
    public static func decode(_ data: [UInt8], limits: ImageLimits = .default) throws -> RGBImage {
        try data.withUnsafeBytes { try decode(bytes: $0, limits: limits) }
    }

    static func decode(bytes: UnsafeRawBufferPointer, limits: ImageLimits) throws -> RGBImage {
        try decodeThroughShim(.png, bytes, limits: limits, decoder: vtok_png_decode)
    }

    /// A lossless 8-bit RGB PNG, non-interlaced, zlib's default compression level.
    public static func encode(_ image: RGBImage) throws -> [UInt8] {
        try encode(packedRows: image.pixels, width: image.width, height: image.height, color: VTOK_PNG_RGB, bitDepth: 8)
    }

    /// Any PNG layout libpng writes: rows packed as the PNG specification stores them (16-bit samples
    /// big-endian). Tests use it to produce every flavour the decoder must read.
    static func encode(packedRows: [UInt8], width: Int, height: Int, color: vtok_png_color, bitDepth: Int,
                       interlaced: Bool = false, palette: [UInt8] = [],
                       paletteAlpha: [UInt8]? = nil) throws -> [UInt8] {
        precondition(UInt32(exactly: width) != nil && UInt32(exactly: height) != nil, "PNG dimensions out of range")
        return try packedRows.withUnsafeBufferPointer { rows in
            try palette.withUnsafeBufferPointer { palette in
                try (paletteAlpha ?? []).withUnsafeBufferPointer { alpha in
                    var layout = vtok_png_layout(
                        width: UInt32(width), height: UInt32(height), color: color, bit_depth: Int32(bitDepth),
                        interlaced: interlaced ? 1 : 0,
                        palette_rgb: palette.baseAddress, palette_entries: Int32(palette.count / 3),
                        palette_alpha: paletteAlpha == nil ? nil : alpha.baseAddress,
                        palette_alpha_entries: Int32(alpha.count))
                    return try encodeThroughShim(.png) { vtok_png_encode(rows.baseAddress, rows.count, &layout, $0) }
                }
            }
        }
    }
}

/// Chroma sampling of a JPEG's Cb and Cr planes.
public enum JPEGChroma: Sendable {
    /// Chroma at half resolution both ways: what nearly every JPEG on the web uses.
    case subsampled420
    /// Chroma at full resolution.
    case full444
}

/// JPEG through libjpeg-turbo.
public enum JPEGCodec {
    /// Decodes a baseline or progressive JPEG with 1 (gray) or 3 (YCbCr/RGB) components to 8-bit RGB,
    /// turned by its EXIF Orientation tag (`ExifOrientation`) as viewers show it.
    /// CMYK and YCCK JPEGs throw `ImageError.unsupported`; a file that ends early throws
    /// `ImageError.truncated` instead of decoding with a gray-filled bottom.
    public static func decode(_ data: [UInt8], limits: ImageLimits = .default) throws -> RGBImage {
        try data.withUnsafeBytes { try decode(bytes: $0, limits: limits) }
    }

    static func decode(bytes: UnsafeRawBufferPointer, limits: ImageLimits) throws -> RGBImage {
        let stored = try decodeThroughShim(.jpeg, bytes, limits: limits, decoder: vtok_jpeg_decode)
        // Turned the way viewers show it (EXIF Orientation); the pixel count, and so the limit, is unchanged.
        return stored.oriented(exif: ExifOrientation.read(jpeg: bytes.assumingMemoryBound(to: UInt8.self)) ?? 1)
    }

    /// Encodes with libjpeg's standard quantisation tables scaled by `quality` (1...100) and the
    /// accurate integer DCT. `optimizeHuffman` costs a second pass and saves a few percent;
    /// progressive files always get optimised tables.
    public static func encode(_ image: RGBImage, quality: Int, optimizeHuffman: Bool = true,
                              chroma: JPEGChroma = .subsampled420, progressive: Bool = false) throws -> [UInt8] {
        precondition((1...100).contains(quality), "JPEG quality \(quality) is outside 1...100")
        let options = vtok_jpeg_options(
            quality: Int32(quality), optimize_huffman: optimizeHuffman ? 1 : 0,
            subsample_420: chroma == .subsampled420 ? 1 : 0, progressive: progressive ? 1 : 0,
            color: VTOK_JPEG_RGB_AS_YCBCR)
        return try encode(interleaved: image.pixels, width: image.width, height: image.height, options: options)
    }

    /// Any input libjpeg takes: 3 channels for the RGB colours, 4 for the CMYK ones. Tests use it for
    /// grayscale, CMYK and YCCK files.
    static func encode(interleaved pixels: [UInt8], width: Int, height: Int,
                       options: vtok_jpeg_options) throws -> [UInt8] {
        precondition(UInt32(exactly: width) != nil && UInt32(exactly: height) != nil, "JPEG dimensions out of range")
        var options = options
        return try pixels.withUnsafeBufferPointer { pixels in
            try encodeThroughShim(.jpeg) {
                vtok_jpeg_encode(pixels.baseAddress, pixels.count, UInt32(width), UInt32(height), &options, $0)
            }
        }
    }
}

// MARK: - The bridge to the C shims

private typealias ShimDecoder = (
    UnsafePointer<UInt8>?, Int, UInt64, UnsafeMutablePointer<vtok_decoded>?
) -> vtok_status

private func decodeThroughShim(_ format: ImageFormat, _ bytes: UnsafeRawBufferPointer, limits: ImageLimits,
                               decoder: ShimDecoder) throws -> RGBImage {
    var decoded = vtok_decoded()
    let status = decoder(bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count,
                         UInt64(limits.maxPixels), &decoded)
    defer { vtok_codec_free(decoded.pixels) }
    let detail = message(of: &decoded.message)
    switch status {
    case VTOK_OK:
        guard let pixels = decoded.pixels else {
            throw ImageError.corrupt(format, detail: "decoder returned no pixels")
        }
        let width = Int(decoded.width), height = Int(decoded.height)
        let samples = UnsafeBufferPointer(start: pixels, count: width * height * Int(decoded.channels))
        let rgb = decoded.channels == 4 ? compositedOverWhite(rgba: samples) : Array(samples)
        return RGBImage(width: width, height: height, pixels: rgb)
    case VTOK_TRUNCATED:
        throw ImageError.truncated(format, detail: detail)
    case VTOK_TOO_LARGE:
        throw ImageError.tooLarge(width: Int(decoded.width), height: Int(decoded.height), maxPixels: limits.maxPixels)
    case VTOK_UNSUPPORTED:
        throw ImageError.unsupported(format, detail: detail)
    case VTOK_OUT_OF_MEMORY:
        throw ImageError.outOfMemory(detail: detail)
    default:
        throw ImageError.corrupt(format, detail: detail)
    }
}

private func encodeThroughShim(_ format: ImageFormat,
                               _ encoder: (UnsafeMutablePointer<vtok_encoded>) -> vtok_status) throws -> [UInt8] {
    var encoded = vtok_encoded()
    let status = encoder(&encoded)
    defer { vtok_codec_free(encoded.bytes) }
    switch status {
    case VTOK_OK:
        return Array(UnsafeBufferPointer(start: encoded.bytes, count: encoded.size))
    case VTOK_OUT_OF_MEMORY:
        throw ImageError.outOfMemory(detail: message(of: &encoded.message))
    default:
        throw ImageError.encodingFailed(format, detail: message(of: &encoded.message))
    }
}

/// The NUL-terminated text in a C `char[N]` field (imported as a tuple).
private func message<Tuple>(of field: inout Tuple) -> String {
    withUnsafeBytes(of: &field) { bytes in
        String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }
}

/// Straight-alpha RGBA over an opaque white background, rounded to nearest:
/// out = (c * a + 255 * (255 - a)) / 255.
private func compositedOverWhite(rgba: UnsafeBufferPointer<UInt8>) -> [UInt8] {
    let pixelCount = rgba.count / 4
    return [UInt8](unsafeUninitializedCapacity: pixelCount * 3) { rgb, initialized in
        for pixel in 0..<pixelCount {
            let alpha = UInt32(rgba[4 * pixel + 3])
            let whiteShare = 255 * (255 - alpha) + 127 // + 127 rounds the division by 255
            for channel in 0..<3 {
                rgb[3 * pixel + channel] = UInt8((UInt32(rgba[4 * pixel + channel]) * alpha + whiteShare) / 255)
            }
        }
        initialized = pixelCount * 3
    }
}
