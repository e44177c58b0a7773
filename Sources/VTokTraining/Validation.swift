import Foundation
import VTokContainer
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

    /// What validation measures for each k of `tokenCounts`: the mean PSNR (dB, 8-bit RGB at native
    /// resolution) of the images decoded from their first k tokens, and, for an architecture with a
    /// learned prior, the mean whole-file bytes of those k tokens as a one-tile version 2 file coded
    /// under it (the container's real sizes, header included).
    public struct Scores: Equatable, Sendable {
        public var psnr: [Int: Double]
        public var bytes: [Int: Double]?
    }

    /// Each image encoded once (in chunks of `chunkSize`) and decoded from each prefix: the path
    /// `vtok encode` / `vtok decode` take.
    public func measure(_ tokenizer: any ImageTokenizer, tokenCounts: [Int], chunkSize: Int = 16) -> Scores {
        let r = workingResolution, perImage = 3 * r * r
        let coding = tokenizer.learnedPrior().map { ModelCoding(id: ModelID(bytes: [0, 0, 0, 0])!, prior: $0) }
        var psnr = [Int: Double](), bytes = [Int: Double]()
        for start in stride(from: 0, to: count, by: chunkSize) {
            let n = min(chunkSize, count - start)
            let chunk = Tensor(shape: [n, 3, r, r])
            chunk.pointer.update(from: inputs.pointer + start * perImage, count: n * perImage)
            let tokens = tokenizer.tokens(images: chunk)
            for k in tokenCounts {
                let output = tokenizer.images(tokens: tokens.map { Array($0.prefix(k)) })
                for (i, small) in input.images(planes: output, count: n).enumerated() {
                    let upscaled = input.stretched(small, width: nativeResolution, height: nativeResolution)
                    psnr[k, default: 0] += PSNR.rgb(references[start + i], upscaled)
                }
            }
            guard let coding else { continue }
            for ids in tokens {
                let file = VTokFile(width: nativeResolution, height: nativeResolution, tiles: .single,
                                    layout: tokenizer.shape.layout, modelID: coding.id, tokens: [ids])
                let sizes = try! file.fileSizes(format: .version2(.arithmetic), model: coding)
                for k in tokenCounts { bytes[k, default: 0] += Double(sizes[k]) }
            }
        }
        return Scores(psnr: psnr.mapValues { $0 / Double(count) },
                      bytes: coding == nil ? nil : bytes.mapValues { $0 / Double(count) })
    }
}
