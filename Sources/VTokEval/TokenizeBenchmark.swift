import Foundation
import VTokImage
import VTokModel
import VTokNN

/// The network part of `vtok tokenize` (`VTokCodec.tokens(images:batchSize:)`: the area step to the
/// working resolution, the encoder, the token ids) against SGEMM 1024³, in one process: each round
/// times SGEMM, then every batch size over all the images; the best round of each counts. Images
/// come in already at the model's input size, so no decoding or Lanczos step is timed.
public enum TokenizeBenchmark {
    public struct Pass: Encodable, Sendable {
        public let imagesPerPass: Int
        public let imagesPerSecond: Double
        public let gflops: Double
        public let fractionOfSGEMM: Double

        enum CodingKeys: String, CodingKey {
            case imagesPerPass = "images_per_pass", imagesPerSecond = "images_per_second", gflops
            case fractionOfSGEMM = "fraction_of_sgemm"
        }
    }

    public struct Result: Encodable, Sendable {
        public let images: Int
        public let modelId: String
        public let blasCore: String
        public let encoderFLOPsPerImage: Double
        public let sgemmGFLOPS: Double
        public let passes: [Pass]

        enum CodingKeys: String, CodingKey {
            case images, modelId = "model_id", blasCore = "blas_core", encoderFLOPsPerImage = "encoder_flops_per_image"
            case sgemmGFLOPS = "sgemm_gflops", passes
        }

        public var summary: String {
            var lines = [String(format: "%d images of 256x256; vtok model %@; OpenBLAS %@ kernels; encoder %.1f MFLOP an image",
                                images, modelId, blasCore, encoderFLOPsPerImage / 1e6),
                         String(format: "SGEMM 1024^3        %7.1f GFLOP/s", sgemmGFLOPS)]
            for pass in passes {
                lines.append(String(format: "%3d images a pass  %7.1f GFLOP/s  %5.0f%% of SGEMM  %7.1f images/s",
                                    pass.imagesPerPass, pass.gflops, 100 * pass.fractionOfSGEMM, pass.imagesPerSecond))
            }
            return lines.joined(separator: "\n")
        }
    }

    public static func run(codec: VTokCodec, images: [RGBImage], imagesPerPass: [Int] = [16, 1], rounds: Int = 3) -> Result {
        precondition(!images.isEmpty && rounds > 0, "TokenizeBenchmark: no images or rounds")
        let flops = codec.tokenizer.encoderFLOPs
        var sgemm = 0.0, best = [Double](repeating: .infinity, count: imagesPerPass.count)
        _ = codec.tokens(images: Array(images.prefix(imagesPerPass.max() ?? 1)))  // buffers, weights, threads
        for _ in 0..<rounds {
            sgemm = max(sgemm, BLASRuntime.sgemmGFLOPS(m: 1024, n: 1024, k: 1024, repetitions: 3))
            for (i, size) in imagesPerPass.enumerated() {
                let start = Date()
                _ = codec.tokens(images: images, batchSize: size)
                best[i] = min(best[i], Date().timeIntervalSince(start))
            }
        }
        let passes = zip(imagesPerPass, best).map { size, seconds in
            let gflops = flops * Double(images.count) / seconds / 1e9
            return Pass(imagesPerPass: size, imagesPerSecond: Double(images.count) / seconds, gflops: gflops,
                        fractionOfSGEMM: gflops / sgemm)
        }
        return Result(images: images.count, modelId: codec.modelID.description, blasCore: BLASRuntime.corename,
                      encoderFLOPsPerImage: flops, sgemmGFLOPS: sgemm, passes: passes)
    }
}
