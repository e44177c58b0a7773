import Foundation
import VTokContainer
import VTokImage
import VTokModel

/// Encode and decode speed of vtok next to libwebp on the same 256×256 images, in one process
/// (the machine is noisy: compare the ratio, not the absolute times).
public enum CodecBenchmark {
    public struct Result: Encodable, Sendable {
        public let images: Int
        public let size: Int
        public let tokens: Int
        public let modelId: String
        public let webpQuality: Int
        public let vtokEncodeMs: Double
        public let vtokDecodeMs: Double
        public let webpEncodeMs: Double
        public let webpDecodeMs: Double
        public let vtokEncodeImagesPerSecond: Double
        public let vtokDecodeImagesPerSecond: Double
        public let webpEncodeImagesPerSecond: Double
        public let webpDecodeImagesPerSecond: Double
        /// The container's share of vtok's encode and decode: tokens to file bytes (the range coder
        /// under the prior, for coded payloads) and back.
        public let payloadCoding: String
        public let payloadWriteMs: Double
        public let payloadReadMs: Double

        init(images: Int, size: Int, tokens: Int, modelId: String, webpQuality: Int, payloadCoding: String, milliseconds: [Double]) {
            self.images = images
            self.size = size
            self.tokens = tokens
            self.modelId = modelId
            self.webpQuality = webpQuality
            (vtokEncodeMs, vtokDecodeMs, webpEncodeMs, webpDecodeMs) = (milliseconds[0], milliseconds[1], milliseconds[2], milliseconds[3])
            (vtokEncodeImagesPerSecond, vtokDecodeImagesPerSecond, webpEncodeImagesPerSecond, webpDecodeImagesPerSecond) =
                (1000 / milliseconds[0], 1000 / milliseconds[1], 1000 / milliseconds[2], 1000 / milliseconds[3])
            self.payloadCoding = payloadCoding
            (payloadWriteMs, payloadReadMs) = (milliseconds[4], milliseconds[5])
        }

        public var summary: String {
            func line(_ name: String, _ ms: Double) -> String {
                "\(name.padding(toLength: 14, withPad: " ", startingAt: 0)) \(String(format: "%8.2f", ms)) ms/image  \(String(format: "%8.1f", 1000 / ms)) images/s"
            }
            return """
            \(images) images of \(size)x\(size); vtok model \(modelId) at \(tokens) tokens; WebP quality \(webpQuality), method 6
            \(line("vtok encode", vtokEncodeMs))
            \(line("vtok decode", vtokDecodeMs))
            \(line("WebP encode", webpEncodeMs))
            \(line("WebP decode", webpDecodeMs))
            of which the .vtok container (\(payloadCoding) payload): \(String(format: "%.3f", payloadWriteMs)) ms tokens to bytes, \(String(format: "%.3f", payloadReadMs)) ms bytes to tokens
            """
        }
    }

    /// Times whole-file encode (image → bytes) and decode (bytes → image) per image, each codec
    /// `repetitions` times over all images, vtok and WebP interleaved per round.
    public static func run(codec: VTokCodec, images: [RGBImage], tokens: Int, webpQuality: Int = 50,
                           repetitions: Int = 3) throws -> Result {
        let webp = WebPCodec(qualities: [webpQuality])
        var timings = [Double](repeating: 0, count: 6)
        for _ in 0..<repetitions {
            for image in images {
                var start = Date()
                let tokenFile = codec.encode(image).truncated(toTokens: tokens)
                let writeStart = Date()
                let file = try codec.fileBytes(tokenFile)
                timings[4] += Date().timeIntervalSince(writeStart)
                timings[0] += Date().timeIntervalSince(start)
                start = Date()
                let parsed = try codec.read(file).file
                timings[5] += Date().timeIntervalSince(start)
                _ = try codec.decode(parsed)
                timings[1] += Date().timeIntervalSince(start)
                start = Date()
                let webpFile = try webp.encode(image, quality: webpQuality)
                timings[2] += Date().timeIntervalSince(start)
                start = Date()
                _ = try webp.decode(webpFile)
                timings[3] += Date().timeIntervalSince(start)
            }
        }
        let perImageMs = timings.map { $0 * 1000 / Double(repetitions * images.count) }
        return Result(images: images.count, size: images.first?.width ?? 0, tokens: tokens,
                      modelId: codec.modelID.description, webpQuality: webpQuality,
                      payloadCoding: "\(codec.defaultFormat)", milliseconds: perImageMs)
    }
}
