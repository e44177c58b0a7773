import Foundation
import VTokImage

/// Anything the report can compare: for one image, a set of operating points from small files to large.
/// A classical codec sweeps its quality setting; the tokenizer will sweep its token count. Conforming is all
/// it takes to get rows in every table, plot and grid of the report.
public protocol RateDistortionCodec: Sendable {
    /// Short and unique within a report, used in tables and legends: "JPEG 1/4", "WebP", "vtok".
    var name: String { get }
    /// One sentence on how it was run: library, settings, resampling.
    var description: String { get }
    /// Codecs sharing a family (JPEG at every scale) are pooled into that family's hull. The tokenizer's
    /// family is `QualityReport.tokenizerFamily`, which makes it the subject of the Bjøntegaard table.
    var family: String { get }
    /// Encodes and decodes `image` at every operating point. The decoded images have the size of `image`.
    func operatingPoints(for image: RGBImage) throws -> [OperatingPoint]
}

public struct OperatingPoint: Sendable {
    /// Names the setting, the same for every image so points can be averaged across images: "q=50", "64 tokens".
    public var setting: String
    /// The whole file as it would be stored or sent, headers included.
    public var bytes: Int
    public var decoded: RGBImage
    public var encodeSeconds: Double
    public var decodeSeconds: Double

    public init(setting: String, bytes: Int, decoded: RGBImage, encodeSeconds: Double, decodeSeconds: Double) {
        self.setting = setting
        self.bytes = bytes
        self.decoded = decoded
        self.encodeSeconds = encodeSeconds
        self.decodeSeconds = decodeSeconds
    }
}

/// Runs `work` and returns its result with the wall-clock seconds it took.
func timed<Result>(_ work: () throws -> Result) rethrows -> (result: Result, seconds: Double) {
    let start = DispatchTime.now().uptimeNanoseconds
    let result = try work()
    return (result, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
}

public struct CodecError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
