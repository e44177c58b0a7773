import VTokImage

// TEMPORARY until VTokImage's I/O and resampling land: every call into the image module goes through here.
enum ImageLibrary {
    static func load(path: String) throws -> RGBImage { throw CodecError("image loading awaits VTokImage") }
    static func tokenizerPreprocessed(_ image: RGBImage, size: Int) -> RGBImage { image }
    static func pngEncode(_ image: RGBImage) throws -> [UInt8] { throw CodecError("PNG awaits VTokImage") }
    static func pngDecode(_ bytes: [UInt8]) throws -> RGBImage { throw CodecError("PNG awaits VTokImage") }
    static func jpegEncode(_ image: RGBImage, quality: Int) throws -> [UInt8] { throw CodecError("JPEG awaits VTokImage") }
    static func jpegDecode(_ bytes: [UInt8]) throws -> RGBImage { throw CodecError("JPEG awaits VTokImage") }

    static func centerCropped(_ image: RGBImage, width: Int, height: Int) -> RGBImage {
        let left = (image.width - width) / 2
        let top = (image.height - height) / 2
        var pixels: [UInt8] = []
        for row in top..<top + height {
            let start = (row * image.width + left) * 3
            pixels += image.pixels[start..<start + width * 3]
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    static func areaDownscaled(_ image: RGBImage, width: Int, height: Int) -> RGBImage {
        nearest(image, width: width, height: height)
    }

    static func bicubicUpscaled(_ image: RGBImage, width: Int, height: Int) -> RGBImage {
        nearest(image, width: width, height: height)
    }

    private static func nearest(_ image: RGBImage, width: Int, height: Int) -> RGBImage {
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for row in 0..<height {
            for column in 0..<width {
                let source = ((row * image.height / height) * image.width + column * image.width / width) * 3
                for channel in 0..<3 { pixels[(row * width + column) * 3 + channel] = image.pixels[source + channel] }
            }
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }
}
