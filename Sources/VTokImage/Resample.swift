#if canImport(FoundationEssentials)
import FoundationEssentials
import Glibc
#else
import Foundation
#endif

/// Interpolation filters for `RGBImage.resized`. All are applied PIL-style: separably, in Float, and
/// when downscaling the filter is stretched by the scale factor so every source pixel contributes
/// (antialiasing) instead of being skipped.
public enum ResampleFilter: Sendable, CaseIterable {
    /// Box filter. Downscaling averages the source area under each output pixel (a 2x downscale is the
    /// exact mean of each 2x2 block); upscaling replicates pixels.
    case area
    /// Keys cubic convolution with a = -0.5 (PIL's BICUBIC).
    case bicubic
    /// Lanczos windowed sinc with 3 lobes (PIL's LANCZOS): the sharpest, with slight ringing at edges.
    case lanczos3

    /// Half-width of the filter at scale 1, in source pixels.
    var support: Double {
        switch self {
        case .area: return 0.5
        case .bicubic: return 2
        case .lanczos3: return 3
        }
    }

    func weight(_ x: Double) -> Double {
        switch self {
        case .area:
            return x > -0.5 && x <= 0.5 ? 1 : 0
        case .bicubic:
            let a = -0.5, t = abs(x)
            if t < 1 { return ((a + 2) * t - (a + 3)) * t * t + 1 }
            if t < 2 { return (((t - 5) * t + 8) * t - 4) * a }
            return 0
        case .lanczos3:
            return abs(x) < 3 ? sinc(x) * sinc(x / 3) : 0
        }
    }

    private func sinc(_ x: Double) -> Double {
        if x == 0 { return 1 }
        let px = Double.pi * x
        return sin(px) / px
    }
}

extension RGBImage {
    /// This image scaled to exactly `width` x `height` (the aspect ratio is not preserved).
    /// Results are rounded to nearest and clamped to 0...255.
    public func resized(width newWidth: Int, height newHeight: Int, filter: ResampleFilter) -> RGBImage {
        precondition(newWidth > 0 && newHeight > 0, "resized: \(newWidth)x\(newHeight) is empty")
        // An axis whose size does not change is skipped, so it stays bit-exact.
        let horizontal = newWidth == width ? nil
            : ResampleKernel(inputSize: width, outputSize: newWidth, filter: filter)
        let vertical = newHeight == height ? nil
            : ResampleKernel(inputSize: height, outputSize: newHeight, filter: filter)
        let resampled: [Float]
        switch (horizontal, vertical) {
        case let (horizontal?, vertical?):
            let rows = horizontal.resampleRows(pixels, rowCount: height)
            resampled = vertical.resampleColumns(rows, rowLength: newWidth * 3)
        case let (horizontal?, nil):
            resampled = horizontal.resampleRows(pixels, rowCount: height)
        case let (nil, vertical?):
            resampled = vertical.resampleColumns(pixels, rowLength: width * 3)
        case (nil, nil):
            return self
        }
        return RGBImage(width: newWidth, height: newHeight, pixels: resampled.map(RGBImage.byte))
    }

    /// The `width` x `height` window at the centre; an odd leftover margin leaves the extra pixel on
    /// the right / bottom.
    public func centerCropped(width cropWidth: Int, height cropHeight: Int) -> RGBImage {
        precondition(cropWidth > 0 && cropHeight > 0 && cropWidth <= width && cropHeight <= height,
                     "centerCropped: \(cropWidth)x\(cropHeight) does not fit in \(width)x\(height)")
        let left = (width - cropWidth) / 2, top = (height - cropHeight) / 2
        var cropped: [UInt8] = []
        cropped.reserveCapacity(cropWidth * cropHeight * 3)
        for y in top..<(top + cropHeight) {
            let rowStart = (y * width + left) * 3
            cropped.append(contentsOf: pixels[rowStart..<(rowStart + cropWidth * 3)])
        }
        return RGBImage(width: cropWidth, height: cropHeight, pixels: cropped)
    }

    /// Scaled so the shorter side is `size`, keeping the aspect ratio. The longer side is
    /// `Int(long * size / short)` (truncated, as torchvision's `Resize(size)` does).
    public func resizedShorterSide(to size: Int, filter: ResampleFilter = .lanczos3) -> RGBImage {
        precondition(size > 0, "resizedShorterSide: size \(size)")
        let short = min(width, height), long = max(width, height)
        let scaledLong = max(size, Int(Double(long) * Double(size) / Double(short)))
        return width <= height
            ? resized(width: size, height: scaledLong, filter: filter)
            : resized(width: scaledLong, height: size, filter: filter)
    }

    /// The standard tokenizer input: shorter side scaled to `size` with Lanczos, then the central
    /// `size` x `size` square. Images smaller than `size` are upscaled.
    public func tokenizerPreprocessed(size: Int = 256) -> RGBImage {
        resizedShorterSide(to: size, filter: .lanczos3).centerCropped(width: size, height: size)
    }

    /// A Float sample clamped to 0...255 and rounded to nearest, halves up (as PIL does); NaN becomes 0.
    /// Truncating `x + 0.5` vectorises, unlike `rounded()`, which is a libm call on baseline x86-64.
    /// (The one value it misrounds is the Float just below 0.5, which becomes 1.)
    @inline(__always)
    static func byte(_ value: Float) -> UInt8 {
        let clamped = value > 0 ? (value < 255 ? value : 255) : 0
        return UInt8(clamped + 0.5)
    }
}

/// The weights of a 1D resampling from `inputSize` to `outputSize` samples: output `i` is
/// `sum(weights[i * stride + k] * input[starts[i] + k])` for k in 0..<counts[i].
struct ResampleKernel {
    let outputSize: Int
    let stride: Int
    let starts: [Int]
    let counts: [Int]
    let weights: [Float]

    init(inputSize: Int, outputSize: Int, filter: ResampleFilter) {
        let scale = Double(inputSize) / Double(outputSize)
        let stretch = max(scale, 1) // widening the filter when downscaling is what antialiases
        let support = filter.support * stretch
        let stride = Int(support.rounded(.up)) * 2 + 1
        var starts = [Int](repeating: 0, count: outputSize)
        var counts = [Int](repeating: 0, count: outputSize)
        var weights = [Float](repeating: 0, count: outputSize * stride)
        for i in 0..<outputSize {
            let center = (Double(i) + 0.5) * scale
            let first = max(0, Int((center - support + 0.5).rounded(.down)))
            let end = min(inputSize, Int((center + support + 0.5).rounded(.down)))
            let raw = (first..<end).map { filter.weight((Double($0) - center + 0.5) / stretch) }
            let total = raw.reduce(0, +)
            starts[i] = first
            counts[i] = raw.count
            for (k, weight) in raw.enumerated() {
                weights[i * stride + k] = Float(weight / total)
            }
        }
        self.outputSize = outputSize
        self.stride = stride
        self.starts = starts
        self.counts = counts
        self.weights = weights
    }

    /// Resamples each row of interleaved RGB (`rowCount` rows).
    func resampleRows<Sample: FloatConvertibleSample>(_ input: [Sample], rowCount: Int) -> [Float] {
        let inputRowLength = input.count / rowCount
        var output = [Float](repeating: 0, count: rowCount * outputSize * 3)
        input.withUnsafeBufferPointer { input in
            weights.withUnsafeBufferPointer { weights in
                output.withUnsafeMutableBufferPointer { output in
                    for y in 0..<rowCount {
                        let inputRow = y * inputRowLength, outputRow = y * outputSize * 3
                        for x in 0..<outputSize {
                            var r: Float = 0, g: Float = 0, b: Float = 0
                            let source = inputRow + starts[x] * 3
                            for k in 0..<counts[x] {
                                let weight = weights[x * stride + k]
                                r += weight * input[source + 3 * k].floatValue
                                g += weight * input[source + 3 * k + 1].floatValue
                                b += weight * input[source + 3 * k + 2].floatValue
                            }
                            output[outputRow + x * 3] = r
                            output[outputRow + x * 3 + 1] = g
                            output[outputRow + x * 3 + 2] = b
                        }
                    }
                }
            }
        }
        return output
    }

    /// Resamples along the columns: each output row is a weighted sum of whole input rows, which
    /// keeps the inner loop contiguous.
    func resampleColumns<Sample: FloatConvertibleSample>(_ input: [Sample], rowLength: Int) -> [Float] {
        var output = [Float](repeating: 0, count: outputSize * rowLength)
        input.withUnsafeBufferPointer { input in
            weights.withUnsafeBufferPointer { weights in
                output.withUnsafeMutableBufferPointer { output in
                    for y in 0..<outputSize {
                        let outputRow = y * rowLength
                        for k in 0..<counts[y] {
                            let weight = weights[y * stride + k]
                            let inputRow = (starts[y] + k) * rowLength
                            for i in 0..<rowLength {
                                output[outputRow + i] += weight * input[inputRow + i].floatValue
                            }
                        }
                    }
                }
            }
        }
        return output
    }
}

/// The sample types a resampling pass reads: source bytes, or the Float output of the other pass.
protocol FloatConvertibleSample {
    var floatValue: Float { get }
}

extension UInt8: FloatConvertibleSample {
    var floatValue: Float { Float(self) }
}

extension Float: FloatConvertibleSample {
    var floatValue: Float { self }
}
