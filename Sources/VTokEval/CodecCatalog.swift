import VTokModel

/// The codecs `vtok report --codecs` can name, built with the report's standard settings.
public enum CodecCatalog {
    public static let names = ["jpeg", "webp", "avif", "jxl", "vtok"]
    /// Every classical codec also runs on copies shrunk by these factors; each family's hull pools
    /// them, so that at the smallest budgets each spends its bytes on fewer pixels if that pays.
    public static let downscaleFactors = [1, 2, 4, 8]
    /// Token counts past the model's K are left out, so one list serves every architecture.
    public static let defaultTokenCounts = [1, 2, 4, 8, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536,
                                                   2048, 2560, 3072, 4096, 5120, 6144, 8192, 12288, 16384, 24576, 32768, 49152, 65535]

    /// The codecs for `names`, and a note for each one that cannot run here. `tokenizer` is the
    /// loaded vtok model, nil when none could be found.
    public static func codecs(named names: [String], tokenCounts: [Int], byteBudgets: [Int] = [], tokenizer: VTokCodec?,
                              tiled: Bool = false) throws
        -> (codecs: [any RateDistortionCodec], notes: [String]) {
        var codecs: [any RateDistortionCodec] = []
        var notes: [String] = []
        for name in names {
            switch name {
            case "jpeg": codecs += downscaleFactors.map { DownscaledCodec(JPEGBaseline(), factor: $0) }
            case "webp": codecs += downscaleFactors.map { DownscaledCodec(WebPCodec(), factor: $0) }
            case "avif", "jxl":
                let format: CommandLineCodec.Format = name == "avif" ? .avif : .jpegXL
                if let codec = CommandLineCodec(format) {
                    codecs += downscaleFactors.map { DownscaledCodec(codec, factor: $0) }
                } else {
                    notes.append("\(name) skipped: \(format.encoderTool) or \(format.decoderTool) is not on the PATH")
                }
            case "vtok":
                if let tokenizer {
                    codecs.append(TokenizerCodec(codec: tokenizer, tokenCounts: tokenCounts, byteBudgets: byteBudgets, tiled: tiled))
                } else {
                    notes.append("no vtok model is available, so the report has no vtok rows (token counts asked for: "
                                 + "\(tokenCounts.map(String.init).joined(separator: ", ")))")
                }
            default:
                throw CodecError("unknown codec '\(name)'; the codecs are \(Self.names.joined(separator: ", "))")
            }
        }
        return (codecs, notes)
    }
}
