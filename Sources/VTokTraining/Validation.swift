import Foundation
import VTokContainer
import VTokEval
import VTokImage
import VTokModel
import VTokNN

/// The held-out images and how reconstruction quality is measured on them, the way the quality
/// bars measure it: each image is fitted to the model's native resolution (shorter side scaled with
/// Lanczos, central square) and goes through the tokenizer's `TokenizerInput`, as `vtok encode`
/// does; the reconstruction comes back the same way and is compared on 8-bit RGB at native
/// resolution, so the number is what a decoded file would score.
public struct ValidationSet {
    /// The native-resolution squares the PSNR compares against.
    public let references: [RGBImage]
    /// The model's inputs, (N, 3, R, R), values in [0, 1].
    public let inputs: Tensor
    public let input: TokenizerInput
    public var nativeResolution: Int { input.nativeResolution }
    public var workingResolution: Int { input.workingResolution }

    public init(images: [RGBImage], shape: TokenizerShape) {
        input = TokenizerInput(shape: shape)
        references = images.map { $0.tokenizerPreprocessed(size: shape.resolution) }
        inputs = input.batch(references)
    }

    public var count: Int { references.count }

    /// Mean PSNR (dB, 8-bit RGB at native resolution) over the images, decoding each from its first
    /// k tokens, for each k of `tokenCounts`. Runs in chunks of `chunkSize` images.
    public func meanPSNR(of tokenizer: any ImageTokenizer, tokenCounts: [Int], chunkSize: Int = 16) -> [Int: Double] {
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
                for (i, small) in input.images(planes: output, count: n).enumerated() {
                    let upscaled = input.stretched(small, width: nativeResolution, height: nativeResolution)
                    totals[k, default: 0] += PSNR.rgb(references[start + i], upscaled)
                }
            }
            start += n
        }
        return totals.mapValues { $0 / Double(count) }
    }

    /// Mean whole-file bytes of each image's first k tokens as a one-tile version 2 file coded under
    /// the tokenizer's learned prior (the container's real sizes, header included), for each k of
    /// `tokenCounts`; nil for an architecture without a learned prior. Beside `meanPSNR`, the
    /// curve a rate-trained model is judged by.
    public func meanBytes(of tokenizer: any ImageTokenizer, tokenCounts: [Int], chunkSize: Int = 16) -> [Int: Double]? {
        guard let prior = tokenizer.learnedPrior() else { return nil }
        let model = ModelCoding(id: ModelID(bytes: [0, 0, 0, 0])!, prior: prior)
        let r = workingResolution, perImage = 3 * r * r
        var totals = [Int: Double]()
        for start in stride(from: 0, to: count, by: chunkSize) {
            let n = min(chunkSize, count - start)
            let chunk = Tensor(shape: [n, 3, r, r])
            chunk.pointer.update(from: inputs.pointer + start * perImage, count: n * perImage)
            for ids in tokenizer.tokens(images: chunk) {
                let file = VTokFile(width: nativeResolution, height: nativeResolution, tiles: .single,
                                    layout: tokenizer.shape.layout, modelID: model.id, tokens: [ids])
                guard let sizes = try? file.fileSizes(format: .version2(.arithmetic), model: model) else { return nil }
                for k in tokenCounts { totals[k, default: 0] += Double(sizes[k]) }
            }
        }
        return totals.mapValues { $0 / Double(count) }
    }
}
