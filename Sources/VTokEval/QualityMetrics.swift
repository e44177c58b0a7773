import Foundation
import VTokImage

/// Full-reference quality of a decoded image against its original, as the report states it:
///
/// - PSNR on 8-bit RGB: one MSE over all three channels, peak 255.
/// - SSIM and MS-SSIM with data range 255, computed on each RGB channel separately and averaged over the
///   three channels (the `channel_axis` convention of scikit-image and the `ms-ssim-rgb` of CompressAI).
///   Gaussian window 11 taps, sigma 1.5, K1 0.01, K2 0.03, population (not sample) covariances, and only
///   window positions fully inside the image ("valid" filtering; scikit-image reaches the same numbers by
///   filtering with reflection and then cropping 5 pixels off each border).
/// - MS-SSIM: five scales with weights 0.0448, 0.2856, 0.3001, 0.2363, 0.1333, 2x2 average pooling between
///   scales (an odd last row or column is dropped), contrast-structure terms clamped at 0 before the
///   fractional powers. The product over scales is taken per channel, then the channels are averaged.
public struct QualityScores: Sendable, Equatable {
    public var psnr: Double
    public var ssim: Double
    public var msSSIM: Double

    public init(psnr: Double, ssim: Double, msSSIM: Double) {
        self.psnr = psnr
        self.ssim = ssim
        self.msSSIM = msSSIM
    }

    public init(reference: RGBImage, distorted: RGBImage) {
        precondition(reference.width == distorted.width && reference.height == distorted.height,
                     "QualityScores: \(reference.width)x\(reference.height) against \(distorted.width)x\(distorted.height)")
        psnr = PSNR.rgb(reference, distorted)
        var ssimSum = 0.0
        var msSSIMSum = 0.0
        for channel in 0..<3 {
            let (ssim, msSSIM) = SSIM.singleAndMultiScale(
                Plane(channel: channel, of: reference), Plane(channel: channel, of: distorted))
            ssimSum += ssim
            msSSIMSum += msSSIM
        }
        ssim = ssimSum / 3
        msSSIM = msSSIMSum / 3
    }
}

public enum SSIM {
    public static let windowSize = 11
    public static let sigma = 1.5
    public static let msSSIMScaleWeights = [0.0448, 0.2856, 0.3001, 0.2363, 0.1333]

    /// An image whose shorter side is below this has no complete 11x11 window. Such an image gets SSIM
    /// with the window clipped to it (`windowSize(width:height:)`), and its MS-SSIM is that one-scale SSIM.
    public static let minimumSide = windowSize

    /// The Gaussian window's taps for an image: 11, or for an image under 11 pixels a side the largest
    /// odd size that fits its shorter side (sigma 1.5 still, renormalised). A 1x1 image gets a 1-tap
    /// window: SSIM then compares the two pixel values (1 when equal).
    public static func windowSize(width: Int, height: Int) -> Int {
        let side = min(windowSize, width, height)
        return max(1, side % 2 == 0 ? side - 1 : side)
    }

    /// How many MS-SSIM scales fit: scale s has the image halved s times, and every scale needs a full
    /// window, so all five need a shorter side of at least 176 pixels. Smaller images use the scales that
    /// fit, with those weights renormalised to sum to 1 (a 64-pixel image gets a 3-scale MS-SSIM); the
    /// report states the scale count it used.
    public static func msSSIMScaleCount(width: Int, height: Int) -> Int {
        var side = min(width, height)
        var count = 0
        while count < msSSIMScaleWeights.count && side >= minimumSide {
            count += 1
            side /= 2
        }
        return count
    }

    /// SSIM over RGB (mean of the per-channel SSIMs).
    public static func rgb(_ reference: RGBImage, _ distorted: RGBImage) -> Double {
        QualityScores(reference: reference, distorted: distorted).ssim
    }

    /// MS-SSIM over RGB (mean of the per-channel MS-SSIMs).
    public static func multiScaleRGB(_ reference: RGBImage, _ distorted: RGBImage) -> Double {
        QualityScores(reference: reference, distorted: distorted).msSSIM
    }

    /// SSIM of one channel at full resolution and its MS-SSIM, which shares the first scale's statistics.
    static func singleAndMultiScale(_ reference: Plane, _ distorted: Plane) -> (ssim: Double, msSSIM: Double) {
        let scaleCount = msSSIMScaleCount(width: reference.width, height: reference.height)
        guard scaleCount > 0 else {
            let taps = windowSize(width: reference.width, height: reference.height)
            let ssim = windowStatistics(reference, distorted, kernel: gaussianKernel(taps: taps)).ssim
            return (ssim, ssim)
        }
        let weights = msSSIMScaleWeights.prefix(scaleCount)
        // The published weights sum to 1.0001; they are used as published when all five scales fit.
        let weightSum = scaleCount == msSSIMScaleWeights.count ? 1 : weights.reduce(0, +)

        var x = reference
        var y = distorted
        var fullResolutionSSIM = 0.0
        var logMSSSIM = 0.0
        for (scale, weight) in weights.enumerated() {
            let statistics = windowStatistics(x, y)
            if scale == 0 { fullResolutionSSIM = statistics.ssim }
            // The coarsest scale contributes the whole SSIM (luminance too), the others contrast-structure only.
            let isCoarsest = scale == scaleCount - 1
            let term = isCoarsest ? statistics.ssim : statistics.contrastStructure
            logMSSSIM += weight / weightSum * log(max(term, 0))
            if !isCoarsest {
                x = x.averagePooled2x2()
                y = y.averagePooled2x2()
            }
        }
        return (fullResolutionSSIM, exp(logMSSSIM))
    }

    /// Means over all valid window positions of the SSIM map and of its contrast-structure factor.
    ///
    /// The five Gaussian-weighted moments (means of x, y, x², y², xy) are filtered separably and fused:
    /// rows first (`rowFilteredMoments`), then the columns one output row at a time, whose sums feed the
    /// SSIM terms directly instead of being stored as maps.
    static func windowStatistics(_ x: Plane, _ y: Plane,
                                 kernel: [Double] = gaussianKernel) -> (ssim: Double, contrastStructure: Double) {
        let c1 = (0.01 * 255) * (0.01 * 255)
        let c2 = (0.03 * 255) * (0.03 * 255)
        let outputWidth = x.width - kernel.count + 1
        let outputHeight = x.height - kernel.count + 1
        let planeSize = outputWidth * x.height
        let rowFiltered = rowFilteredMoments(x, y, kernel: kernel)

        var ssimSum = 0.0
        var contrastStructureSum = 0.0
        // One output row of each moment, one after another.
        var moments = [Double](repeating: 0, count: 5 * outputWidth)
        rowFiltered.withUnsafeBufferPointer { source in
            moments.withUnsafeMutableBufferPointer { moments in
                for row in 0..<outputHeight {
                    for moment in 0..<5 {
                        let output = moment * outputWidth
                        for column in 0..<outputWidth { moments[output + column] = 0 }
                        for (tap, weight) in kernel.enumerated() {
                            let input = moment * planeSize + (row + tap) * outputWidth
                            for column in 0..<outputWidth { moments[output + column] += weight * source[input + column] }
                        }
                    }
                    for column in 0..<outputWidth {
                        let muX = moments[column]
                        let muY = moments[outputWidth + column]
                        let varianceX = moments[2 * outputWidth + column] - muX * muX
                        let varianceY = moments[3 * outputWidth + column] - muY * muY
                        let covariance = moments[4 * outputWidth + column] - muX * muY
                        let luminance = (2 * muX * muY + c1) / (muX * muX + muY * muY + c1)
                        let contrastStructure = (2 * covariance + c2) / (varianceX + varianceY + c2)
                        ssimSum += luminance * contrastStructure
                        contrastStructureSum += contrastStructure
                    }
                }
            }
        }
        let count = Double(outputWidth * outputHeight)
        return (ssimSum / count, contrastStructureSum / count)
    }

    /// x, y, x², y² and xy filtered along rows with `kernel` ("valid" positions only), as five planes of
    /// (width - taps + 1) x height one after another.
    private static func rowFilteredMoments(_ x: Plane, _ y: Plane, kernel: [Double]) -> [Double] {
        let width = x.width
        let outputWidth = width - kernel.count + 1
        let planeSize = outputWidth * x.height
        var filtered = [Double](repeating: 0, count: 5 * planeSize)
        x.values.withUnsafeBufferPointer { x in
            y.values.withUnsafeBufferPointer { y in
                filtered.withUnsafeMutableBufferPointer { filtered in
                    for row in 0..<x.count / width {
                        for column in 0..<outputWidth {
                            var sumX = 0.0, sumY = 0.0, sumXX = 0.0, sumYY = 0.0, sumXY = 0.0
                            for (tap, weight) in kernel.enumerated() {
                                let a = x[row * width + column + tap]
                                let b = y[row * width + column + tap]
                                sumX += weight * a
                                sumY += weight * b
                                sumXX += weight * a * a
                                sumYY += weight * b * b
                                sumXY += weight * a * b
                            }
                            let index = row * outputWidth + column
                            filtered[index] = sumX
                            filtered[planeSize + index] = sumY
                            filtered[2 * planeSize + index] = sumXX
                            filtered[3 * planeSize + index] = sumYY
                            filtered[4 * planeSize + index] = sumXY
                        }
                    }
                }
            }
        }
        return filtered
    }

    /// The 11-tap Gaussian, normalised to sum 1 (as scipy's `gaussian_filter` with truncate 3.5 and
    /// pytorch_msssim build it).
    static let gaussianKernel: [Double] = gaussianKernel(taps: windowSize)

    /// The Gaussian of `sigma` cut to `taps` (odd) taps, normalised to sum 1.
    static func gaussianKernel(taps count: Int) -> [Double] {
        let radius = count / 2
        let taps = (-radius...radius).map { offset in exp(-Double(offset * offset) / (2 * sigma * sigma)) }
        let sum = taps.reduce(0, +)
        return taps.map { $0 / sum }
    }
}

/// One channel as doubles, row-major.
struct Plane {
    let width: Int
    let height: Int
    var values: [Double]

    init(width: Int, height: Int, values: [Double]) {
        precondition(values.count == width * height)
        self.width = width
        self.height = height
        self.values = values
    }

    init(channel: Int, of image: RGBImage) {
        let pixelCount = image.width * image.height
        let values = image.pixels.withUnsafeBufferPointer { pixels in
            (0..<pixelCount).map { Double(pixels[$0 * 3 + channel]) }
        }
        self.init(width: image.width, height: image.height, values: values)
    }

    /// Mean of each 2x2 block; an odd last row or column is dropped.
    func averagePooled2x2() -> Plane {
        let outputWidth = width / 2
        let outputHeight = height / 2
        var output = [Double](repeating: 0, count: outputWidth * outputHeight)
        for row in 0..<outputHeight {
            for column in 0..<outputWidth {
                let topLeft = 2 * row * width + 2 * column
                output[row * outputWidth + column] =
                    (values[topLeft] + values[topLeft + 1] + values[topLeft + width] + values[topLeft + width + 1]) / 4
            }
        }
        return Plane(width: outputWidth, height: outputHeight, values: output)
    }
}
