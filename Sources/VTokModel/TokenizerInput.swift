#if canImport(FoundationEssentials)
import FoundationEssentials
import Glibc
#else
import Foundation
#endif
import VTokImage
import VTokNN

/// How images reach a tokenizer and come back: the one code path for the codec, validation and
/// training crops. An image (or tile) is fitted to the native square with Lanczos
/// (`RGBImage.tokenizerPreprocessed` for whole images; tiles are native already), then
/// area-averaged exactly to the working resolution (`AreaResampler`, the same code that makes a
/// training crop); the network's working-resolution output is stretched back with Lanczos.
public struct TokenizerInput: Sendable {
    public let nativeResolution: Int
    public let workingResolution: Int
    /// Upscaling from the working resolution back to native (and to the file's size).
    public static let upscaleFilter = ResampleFilter.lanczos3

    public init(shape: TokenizerShape) {
        nativeResolution = shape.resolution
        workingResolution = shape.workingResolution
    }

    /// The network's input for images of any size, each stretched to the native square: a
    /// (B, 3, R, R) tensor with values in [0, 1]. With `context` c, the squares are tiles with
    /// c·native/R pixels of their surroundings on every side, and the tensor (B, 3, R + 2c, R + 2c).
    public func batch(_ images: [RGBImage], context: Int = 0) -> Tensor {
        let r = workingResolution + 2 * context, native = nativeResolution + 2 * nativeContext(context)
        let batch = Tensor(shape: [images.count, 3, r, r])
        let planes = SendablePointer(batch.pointer)
        // Images side by side on the workers, each with its own scratch.
        Parallel.forChunks(images.count, workPerItem: native * native * 3) { range in
            var scratch: [Float] = []
            for b in range {
                let image = images[b]
                let square = image.width == native && image.height == native
                    ? image : image.resized(width: native, height: native, filter: .lanczos3)
                AreaResampler.resample(square, crop: CropSpec(x: 0, y: 0, side: native, flipped: false), to: r,
                                       into: planes.base + b * 3 * r * r, scratch: &scratch)
            }
        }
        return batch
    }

    /// Native pixels of context for `context` working-resolution pixels.
    public func nativeContext(_ context: Int) -> Int { context * nativeResolution / workingResolution }

    /// A training sample: the crop of `image` area-averaged to the working resolution at `output`.
    public func write(crop: CropSpec, of image: RGBImage, into output: UnsafeMutablePointer<Float>, scratch: inout [Float]) {
        AreaResampler.resample(image, crop: crop, to: workingResolution, into: output, scratch: &scratch)
    }

    /// The network's output planes ((B, 3, R, R) values in [0, 1]) as working-resolution images.
    public func images(planes: [Float], count: Int) -> [RGBImage] {
        let r = workingResolution, size = 3 * r * r
        return (0..<count).map { b in RGBImage(planarFloats: Array(planes[b * size..<(b + 1) * size]), width: r, height: r) }
    }

    /// A decoded working-resolution image at `width`×`height`.
    public func stretched(_ image: RGBImage, width: Int, height: Int) -> RGBImage {
        image.resized(width: width, height: height, filter: Self.upscaleFilter)
    }
}

/// Where one training sample comes from: a square window of one image, maybe mirrored.
public struct CropSpec: Equatable, Sendable {
    public init(x: Int, y: Int, side: Int, flipped: Bool) {
        self.x = x
        self.y = y
        self.side = side
        self.flipped = flipped
    }

    public var x: Int
    public var y: Int
    public var side: Int
    public var flipped: Bool
}

/// Exact area averaging of a square crop to an R×R planar float image: every output pixel is the
/// mean of the source area it covers, source pixels that straddle a boundary counted by the
/// fraction they overlap. (`RGBImage.resized(filter: .area)` is exact only for integer factors: it
/// gives each source pixel wholly to the output pixel its centre falls in, as PIL's box filter does.)
public enum AreaResampler {
    /// Per output index: the first source index and the weights of the source pixels it covers.
    struct Weights {
        var starts: [Int]
        var counts: [Int]
        var stride: Int
        var values: [Float]
    }

    /// Weights mapping `sourceLength` samples to `outputLength`, mirrored if `reversed`.
    static func weights(sourceLength: Int, outputLength: Int, reversed: Bool) -> Weights {
        let scale = Double(sourceLength) / Double(outputLength)
        let stride = Int(scale.rounded(.up)) + 2
        var starts = [Int](repeating: 0, count: outputLength)
        var counts = [Int](repeating: 0, count: outputLength)
        var values = [Float](repeating: 0, count: outputLength * stride)
        for i in 0..<outputLength {
            let footprint = reversed ? outputLength - 1 - i : i
            let low = Double(footprint) * scale, high = Double(footprint + 1) * scale
            let first = Int(low.rounded(.down)), end = min(sourceLength, Int(high.rounded(.up)))
            starts[i] = first
            counts[i] = end - first
            var total = 0.0
            var raw: [Double] = []
            for j in first..<end {
                let overlap = min(Double(j + 1), high) - max(Double(j), low)
                raw.append(max(0, overlap))
                total += max(0, overlap)
            }
            for (k, w) in raw.enumerated() { values[i * stride + k] = Float(w / total) }
        }
        return Weights(starts: starts, counts: counts, stride: stride, values: values)
    }

    /// Writes the crop of `image`, area-averaged to `size`×`size` (mirrored if `crop.flipped`), as
    /// three planes of values in [0, 1] at `output`.
    public static func resample(_ image: RGBImage, crop: CropSpec, to size: Int, into output: UnsafeMutablePointer<Float>,
                                scratch: inout [Float]) {
        precondition(crop.side >= 1 && crop.x >= 0 && crop.y >= 0 && crop.x + crop.side <= image.width
                     && crop.y + crop.side <= image.height, "AreaResampler: crop \(crop) outside \(image.width)x\(image.height)")
        let horizontal = weights(sourceLength: crop.side, outputLength: size, reversed: crop.flipped)
        let vertical = weights(sourceLength: crop.side, outputLength: size, reversed: false)
        // Horizontal pass over the crop's rows: (side, size, 3) interleaved.
        let rowLength = size * 3
        if scratch.count < crop.side * rowLength { scratch = [Float](repeating: 0, count: crop.side * rowLength) }
        image.pixels.withUnsafeBufferPointer { pixels in
            scratch.withUnsafeMutableBufferPointer { rows in
                horizontal.values.withUnsafeBufferPointer { weights in
                    for y in 0..<crop.side {
                        let source = ((crop.y + y) * image.width + crop.x) * 3
                        for x in 0..<size {
                            var r: Float = 0, g: Float = 0, b: Float = 0
                            let start = source + horizontal.starts[x] * 3
                            for k in 0..<horizontal.counts[x] {
                                let w = weights[x * horizontal.stride + k]
                                r += w * Float(pixels[start + 3 * k])
                                g += w * Float(pixels[start + 3 * k + 1])
                                b += w * Float(pixels[start + 3 * k + 2])
                            }
                            rows[y * rowLength + x * 3] = r
                            rows[y * rowLength + x * 3 + 1] = g
                            rows[y * rowLength + x * 3 + 2] = b
                        }
                    }
                }
                // Vertical pass into the planes, scaled to [0, 1].
                let plane = size * size
                vertical.values.withUnsafeBufferPointer { weights in
                    for y in 0..<size {
                        for x in 0..<size {
                            var r: Float = 0, g: Float = 0, b: Float = 0
                            for k in 0..<vertical.counts[y] {
                                let w = weights[y * vertical.stride + k]
                                let row = (vertical.starts[y] + k) * rowLength + x * 3
                                r += w * rows[row]
                                g += w * rows[row + 1]
                                b += w * rows[row + 2]
                            }
                            output[y * size + x] = r / 255
                            output[plane + y * size + x] = g / 255
                            output[2 * plane + y * size + x] = b / 255
                        }
                    }
                }
            }
        }
    }
}
