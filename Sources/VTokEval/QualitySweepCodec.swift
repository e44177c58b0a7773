import VTokImage

/// A codec with one quality knob: the operating points are its encodes at each quality, decoded back.
protocol QualitySweepCodec: RateDistortionCodec {
    var qualities: [Int] { get }
    /// What the knob is called in operating-point labels ("q=50").
    var settingName: String { get }
    func encode(_ image: RGBImage, quality: Int) throws -> [UInt8]
    func decode(_ bytes: [UInt8]) throws -> RGBImage
}

extension QualitySweepCodec {
    public var settingName: String { "q" }

    public func operatingPoints(for image: RGBImage) throws -> [OperatingPoint] {
        try qualities.map { quality in
            let encoded = try timed { try encode(image, quality: quality) }
            let decoded = try timed { try decode(encoded.result) }
            guard decoded.result.width == image.width && decoded.result.height == image.height else {
                throw CodecError("\(name) at quality \(quality) decoded to \(decoded.result.width)x\(decoded.result.height)"
                                 + " from \(image.width)x\(image.height)")
            }
            return OperatingPoint(setting: "\(settingName)=\(quality)", bytes: encoded.result.count, decoded: decoded.result,
                                  encodeSeconds: encoded.seconds, decodeSeconds: decoded.seconds)
        }
    }
}
