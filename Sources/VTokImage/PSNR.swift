#if canImport(FoundationEssentials)
import FoundationEssentials
import Glibc
#else
import Foundation
#endif

/// Peak signal-to-noise ratio over 8-bit RGB: one mean squared error over all three channels, peak
/// 255. Here, below the evaluation code, because encoding to a quality target and training's
/// validation need it too.
public enum PSNR {
    /// Identical images have an infinite PSNR, which neither JSON nor a mean over images can hold; the report
    /// caps every PSNR at this value (reached when the MSE is below 255² · 1e-10).
    public static let cap = 100.0

    public static func rgb(_ reference: RGBImage, _ distorted: RGBImage) -> Double {
        precondition(reference.pixels.count == distorted.pixels.count, "PSNR: images differ in size")
        var squaredErrorSum = 0
        reference.pixels.withUnsafeBufferPointer { a in
            distorted.pixels.withUnsafeBufferPointer { b in
                for index in 0..<a.count {
                    let difference = Int(a[index]) - Int(b[index])
                    squaredErrorSum += difference * difference
                }
            }
        }
        return fromMSE(Double(squaredErrorSum) / Double(reference.pixels.count))
    }

    public static func fromMSE(_ mse: Double) -> Double {
        let peakSquared = 255.0 * 255.0
        guard mse > peakSquared * 1e-10 else { return cap }
        return 10 * log10(peakSquared / mse)
    }
}
