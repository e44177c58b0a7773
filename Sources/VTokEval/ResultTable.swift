import Foundation

/// One image at one operating point of one codec: a row of results.csv.
public struct ResultRow: Sendable, Equatable {
    public var image: String
    public var codec: String
    public var family: String
    public var setting: String
    public var width: Int
    public var height: Int
    public var bytes: Int
    public var scores: QualityScores
    public var encodeSeconds: Double
    public var decodeSeconds: Double

    public init(image: String, codec: String, family: String, setting: String, width: Int, height: Int,
                bytes: Int, scores: QualityScores, encodeSeconds: Double, decodeSeconds: Double) {
        self.image = image
        self.codec = codec
        self.family = family
        self.setting = setting
        self.width = width
        self.height = height
        self.bytes = bytes
        self.scores = scores
        self.encodeSeconds = encodeSeconds
        self.decodeSeconds = decodeSeconds
    }

    public var bitsPerPixel: Double { Double(bytes * 8) / Double(width * height) }
}

/// The quality measures a budget or a plot can rank by.
public enum QualityMeasure: String, CaseIterable, Sendable {
    case psnr = "PSNR (dB)"
    case msSSIM = "MS-SSIM"
    case ssim = "SSIM"

    public func value(_ scores: QualityScores) -> Double {
        switch self {
        case .psnr: scores.psnr
        case .msSSIM: scores.msSSIM
        case .ssim: scores.ssim
        }
    }
}

/// A line of the report: one codec's rows, or a family's hull (all its codecs pooled, best point per budget).
public struct Series: Sendable {
    public var name: String
    public var family: String
    public var isHull: Bool
    public var rows: [ResultRow]
}

public struct ResultTable: Sendable {
    public var rows: [ResultRow]
    /// Image names in processing order.
    public var images: [String]

    public init(rows: [ResultRow]) {
        self.rows = rows
        images = rows.map(\.image).uniqued()
    }

    /// Every codec in order of appearance, then a hull for each family that has more than one codec.
    public var series: [Series] {
        let codecs = rows.map(\.codec).uniqued()
        let codecSeries = codecs.map { codec in
            let codecRows = rows.filter { $0.codec == codec }
            return Series(name: codec, family: codecRows[0].family, isHull: false, rows: codecRows)
        }
        let families = codecSeries.map(\.family).uniqued()
        let hulls = families.compactMap { family -> Series? in
            let members = codecSeries.filter { $0.family == family }
            guard members.count > 1 else { return nil }
            return Series(name: "\(family) hull", family: family, isHull: true, rows: members.flatMap(\.rows))
        }
        return codecSeries + hulls
    }
}

extension Array where Element: Hashable {
    func uniqued() -> [Element] {
        var seen = Set<Element>()
        return filter { seen.insert($0).inserted }
    }
}
