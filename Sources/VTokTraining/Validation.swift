import Foundation
import VTokEval
import VTokImage
import VTokModel
import VTokNN

/// The held-out images and how reconstruction quality is measured on them, the way the quality
/// bars measure it: each image is fitted to the model's native resolution (shorter side scaled with
/// Lanczos, central square), area-downscaled to the working resolution for the model, and the
/// reconstruction is upscaled back with `upscaleFilter` and compared on 8-bit RGB at native
/// resolution.
public struct ValidationSet {
    /// Upscaling from the working resolution back to native for the PSNR: Lanczos, as
    /// `VTokCodec.decode` does, so the number is what a decoded file would score.
    public static let upscaleFilter = ResampleFilter.lanczos3

    /// The native-resolution squares the PSNR compares against.
    public let references: [RGBImage]
    /// The model's inputs, (N, 3, R, R), values in [0, 1].
    public let inputs: Tensor
    public let nativeResolution: Int
    public let workingResolution: Int

    public init(images: [RGBImage], model: TokenizerConfig) {
        nativeResolution = model.resolution
        workingResolution = model.workingResolution
        references = images.map { $0.tokenizerPreprocessed(size: model.resolution) }
        let r = model.workingResolution
        let inputs = Tensor(shape: [images.count, 3, r, r])
        for (index, reference) in references.enumerated() {
            let planes = reference.resized(width: r, height: r, filter: .area).planarFloats()
            planes.withUnsafeBufferPointer { (inputs.pointer + index * 3 * r * r).update(from: $0.baseAddress!, count: planes.count) }
        }
        self.inputs = inputs
    }

    public var count: Int { references.count }

    /// Mean PSNR (dB, 8-bit RGB at native resolution) over the images, decoding each from its first
    /// k tokens, for each k of `tokenCounts`. Runs in chunks of `chunkSize` images.
    public func meanPSNR(of tokenizer: Tokenizer, tokenCounts: [Int], chunkSize: Int = 16) -> [Int: Double] {
        let r = workingResolution, perImage = 3 * r * r
        var totals = [Int: Double]()
        var start = 0
        while start < count {
            let n = min(chunkSize, count - start)
            let chunk = Tensor(shape: [n, 3, r, r])
            chunk.pointer.update(from: inputs.pointer + start * perImage, count: n * perImage)
            // Encoded once, decoded from each prefix: the path `vtok encode` / `vtok decode` take.
            let tokens = tokenizer.tokens(images: chunk)
            for k in tokenCounts {
                let output = tokenizer.images(tokens: tokens.map { Array($0.prefix(k)) })
                for i in 0..<n {
                    let small = RGBImage(planarFloats: Array(output[i * perImage..<(i + 1) * perImage]), width: r, height: r)
                    let upscaled = small.resized(width: nativeResolution, height: nativeResolution, filter: Self.upscaleFilter)
                    totals[k, default: 0] += PSNR.rgb(references[start + i], upscaled)
                }
            }
            start += n
        }
        return totals.mapValues { $0 / Double(count) }
    }
}
