import Foundation
import VTokImage

// TEMPORARY until VTokImage's I/O and resampling land: every call into the image module goes through here.
enum ImageLibrary {
    static func load(path: String) throws -> RGBImage { try jpegDecode([UInt8](Data(contentsOf: URL(fileURLWithPath: path)))) }
    static func tokenizerPreprocessed(_ image: RGBImage, size: Int) -> RGBImage { centerCropped(image, width: size, height: size) }
    static func pngEncode(_ image: RGBImage) throws -> [UInt8] { Array("P6\n\(image.width) \(image.height)\n255\n".utf8) + image.pixels }
    static func pngDecode(_ bytes: [UInt8]) throws -> RGBImage { throw CodecError("PNG awaits VTokImage") }
    static func jpegEncode(_ image: RGBImage, quality: Int) throws -> [UInt8] {
        try withTemporaryDirectory { d in
            try Data(pngEncode(image)).write(to: d.appendingPathComponent("i.ppm"))
            try runTool("/usr/bin/cjpeg", ["-quality", "\(quality)", "-optimize", "-outfile", d.appendingPathComponent("o.jpg").path, d.appendingPathComponent("i.ppm").path])
            return try [UInt8](Data(contentsOf: d.appendingPathComponent("o.jpg")))
        }
    }
    static func jpegDecode(_ bytes: [UInt8]) throws -> RGBImage {
        try withTemporaryDirectory { d in
            try Data(bytes).write(to: d.appendingPathComponent("o.jpg"))
            try runTool("/usr/bin/djpeg", ["-ppm", "-outfile", d.appendingPathComponent("o.ppm").path, d.appendingPathComponent("o.jpg").path])
            let b = [UInt8](try Data(contentsOf: d.appendingPathComponent("o.ppm")))
            var nl = 0; var i = 0
            while nl < 3 { if b[i] == 10 { nl += 1 }; i += 1 }
            let hdr = String(decoding: b[0..<i], as: UTF8.self).split(whereSeparator: { $0 == " " || $0 == "\n" })
            return RGBImage(width: Int(hdr[1])!, height: Int(hdr[2])!, pixels: Array(b[i...]))
        }
    }

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
