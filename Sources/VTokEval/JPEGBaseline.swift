import VTokImage

/// Baseline JPEG through libjpeg-turbo: optimised Huffman tables, 4:2:0 chroma subsampling, the standard
/// (Annex K) quantisation tables scaled by quality.
public struct JPEGBaseline: QualitySweepCodec {
    public static let defaultQualities = [1, 3, 5, 8, 10, 15, 20, 30, 40, 50, 60, 70, 80, 90, 95]

    public let qualities: [Int]
    public var name: String { "JPEG" }
    public var family: String { "JPEG" }
    public var description: String {
        "libjpeg-turbo baseline, optimised Huffman tables, 4:2:0, quality \(qualities.map(String.init).joined(separator: ","))"
    }

    public init(qualities: [Int] = defaultQualities) {
        self.qualities = qualities
    }

    public func encode(_ image: RGBImage, quality: Int) throws -> [UInt8] {
        try JPEGCodec.encode(image, quality: quality, optimizeHuffman: true, chroma: .subsampled420)
    }

    public func decode(_ bytes: [UInt8]) throws -> RGBImage {
        try JPEGCodec.decode(bytes)
    }
}
