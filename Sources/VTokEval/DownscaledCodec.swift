import VTokImage

/// Another codec run on a copy of the image shrunk by an integer factor, its output enlarged back to the
/// original size for scoring. At tiny budgets a classical codec does better spending its bytes on fewer
/// pixels; these copies, pooled into the family's hull, give it that chance.
///
/// Shrinking averages areas (box filter over each source pixel's footprint); enlarging is bicubic. Both are
/// timed: shrinking counts as encoding, enlarging as decoding.
public struct DownscaledCodec<Base: RateDistortionCodec>: RateDistortionCodec {
    public let base: Base
    public let factor: Int

    public init(_ base: Base, factor: Int) {
        precondition(factor >= 1, "DownscaledCodec: factor \(factor)")
        self.base = base
        self.factor = factor
    }

    public var name: String { factor == 1 ? base.name : "\(base.name) 1/\(factor)" }
    public var family: String { base.family }
    public var description: String {
        factor == 1 ? base.description
            : "\(base.description); on a copy area-downscaled by 1/\(factor), decoded copy upscaled back with bicubic"
    }

    public func operatingPoints(for image: RGBImage) throws -> [OperatingPoint] {
        guard factor > 1 else { return try base.operatingPoints(for: image) }
        // Rounding up keeps every copy at least one pixel and covers the whole original.
        let smallWidth = (image.width + factor - 1) / factor
        let smallHeight = (image.height + factor - 1) / factor
        let shrunk = timed { image.resized(width: smallWidth, height: smallHeight, filter: .area) }
        return try base.operatingPoints(for: shrunk.result).map { point in
            let enlarged = timed { point.decoded.resized(width: image.width, height: image.height, filter: .bicubic) }
            return OperatingPoint(setting: point.setting, bytes: point.bytes, decoded: enlarged.result,
                                  encodeSeconds: shrunk.seconds + point.encodeSeconds,
                                  decodeSeconds: point.decodeSeconds + enlarged.seconds)
        }
    }
}
