import VTokContainer
import VTokImage
import VTokModel

/// vtok in the report: each image encoded once with all K tokens, then truncated to each token
/// count (the format's own truncation, which also exercises it) and decoded. Bytes are whole
/// `.vtok` files, header included. Besides the fixed counts, each byte budget adds the most tokens
/// whose file fits it (what `vtok encode --max-bytes` picks), so a budget's cell is not held back by
/// the spacing of the fixed counts: the classical codecs' quality grids get the same chance.
public struct TokenizerCodec: RateDistortionCodec, @unchecked Sendable {
    // VTokCodec holds scratch buffers; the report runs codecs one image at a time.
    let codec: VTokCodec
    let tokenCounts: [Int]
    let byteBudgets: [Int]
    let tiled: Bool

    /// `tiled` applies to models that fit images to a square; a full-resolution one never tiles.
    public init(codec: VTokCodec, tokenCounts: [Int], byteBudgets: [Int] = [], tiled: Bool = false) {
        self.codec = codec
        self.tokenCounts = tokenCounts.sorted()
        self.byteBudgets = byteBudgets
        self.tiled = tiled
    }

    public var name: String { "vtok" }
    public var family: String { QualityReport.tokenizerFamily }
    public var description: String {
        let config = codec.shape
        let sizes = codec.fullResolution != nil ? "every image at its own size (\(config.maxTokens) tokens at \(config.resolution)x\(config.resolution))"
            : tiled ? "\(config.maxTokens) tokens a \(config.resolution)-px tile"
            : "\(config.maxTokens) tokens, whole image fitted to \(config.resolution)x\(config.resolution)"
        return "vtok model \(codec.modelID) (\(type(of: codec.tokenizer).architecture), \(config.bitsPerToken)-bit tokens, \(sizes)"
            + "), encoded once and truncated to each token count, \(codec.defaultFormat) files"
    }

    public func operatingPoints(for image: RGBImage) throws -> [OperatingPoint] {
        let (full, encodeSeconds) = timed { codec.encode(image, tiled: tiled) }
        let sizes = try codec.fileSizes(full)
        let fillingBudgets = byteBudgets.compactMap { RateControl.tokens(fileSizes: sizes, maxBytes: $0) }
        // A full-resolution model has more tokens for a larger image: the counts this image has.
        let counts = tokenCounts.filter { $0 < full.tokenCount } + [full.tokenCount]
        return try Set(counts + fillingBudgets).sorted().map { count in
            let bytes = try codec.fileBytes(full.truncated(toTokens: count))
            let (decoded, decodeSeconds) = try timed { try codec.decode(try codec.read(bytes).file) }
            return OperatingPoint(setting: "\(count) tokens", bytes: bytes.count, decoded: decoded,
                                  encodeSeconds: encodeSeconds, decodeSeconds: decodeSeconds)
        }
    }
}
