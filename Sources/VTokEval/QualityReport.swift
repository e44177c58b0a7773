import Foundation
import VTokImage

/// How images are prepared before every codec sees them.
public enum Preprocessing: Sendable, Equatable {
    /// As tokenizer papers evaluate: shorter side resized to `size` with Lanczos-3, then a centred square crop.
    case tokenizer(size: Int)
    /// The images as they are.
    case native

    public var statement: String {
        switch self {
        case .tokenizer(let size):
            "each image resized so its shorter side is \(size) px (Lanczos-3), then centre-cropped to \(size)x\(size)"
        case .native:
            "images at their native size, uncropped"
        }
    }

    func apply(_ image: RGBImage) -> RGBImage {
        switch self {
        case .tokenizer(let size): image.tokenizerPreprocessed(size: size)
        case .native: image
        }
    }
}

/// An input image, loaded only when the report reaches it.
public struct ReportImage: Sendable {
    public var name: String
    public var load: @Sendable () throws -> RGBImage

    public init(name: String, load: @escaping @Sendable () throws -> RGBImage) {
        self.name = name
        self.load = load
    }

    public static let fileExtensions: Set<String> = ["png", "jpg", "jpeg"]

    /// The PNG and JPEG files of a directory, by name.
    public static func directory(_ path: String) throws -> [ReportImage] {
        let files = try FileManager.default.contentsOfDirectory(atPath: path)
            .filter { fileExtensions.contains(($0 as NSString).pathExtension.lowercased()) }
            .sorted()
        return files.map { file in
            let filePath = (path as NSString).appendingPathComponent(file)
            return ReportImage(name: (file as NSString).deletingPathExtension) { try ImageFile.load(path: filePath) }
        }
    }
}

public struct ReportOptions: Sendable {
    public var outputDirectory: String
    public var preprocessing: Preprocessing
    public var codecs: [any RateDistortionCodec]
    /// Said at the top of report.md: skipped codecs, a missing model.
    public var notes: [String]
    public var budgets: [Int]
    /// The visual grid shows this many images (the first ones) ...
    public var gridImageCount: Int
    /// ... at these budgets.
    public var gridBudgets: [Int]
    public var showsProgress: Bool

    public init(outputDirectory: String, preprocessing: Preprocessing, codecs: [any RateDistortionCodec],
                notes: [String] = [], budgets: [Int] = Aggregation.defaultBudgets, gridImageCount: Int = 3,
                gridBudgets: [Int] = [192, 768, 3072], showsProgress: Bool = true) {
        self.outputDirectory = outputDirectory
        self.preprocessing = preprocessing
        self.codecs = codecs
        self.notes = notes
        self.budgets = budgets
        self.gridImageCount = gridImageCount
        self.gridBudgets = gridBudgets
        self.showsProgress = showsProgress
    }
}

/// `vtok report`: runs every codec on every image, scores each operating point, and writes results.csv,
/// results.json, report.md, psnr.svg, ms-ssim.svg and index.html (with its crops/) to the output directory.
public enum QualityReport {
    public static let fileNames = ["results.csv", "results.json", "report.md", "psnr.svg", "ms-ssim.svg", "index.html"]
    /// Codecs of this family are the ones under test: the Bjøntegaard table compares each of them against
    /// every other series. Without any, it compares the classical series against the first one (JPEG).
    public static let tokenizerFamily = "vtok"

    @discardableResult
    public static func run(images: [ReportImage], options: ReportOptions) throws -> ResultTable {
        guard !images.isEmpty else { throw CodecError("no images to report on") }
        guard !options.codecs.isEmpty else { throw CodecError("no codecs to report on") }
        let progress = options.showsProgress ? ProgressBar(total: images.count) : nil
        var rows: [ResultRow] = []
        var grid: [GridImage] = []
        var sizes: Set<String> = []
        for (index, reportImage) in images.enumerated() {
            let image = options.preprocessing.apply(try reportImage.load())
            guard min(image.width, image.height) >= SSIM.minimumSide else {
                throw CodecError("\(reportImage.name) is \(image.width)x\(image.height); SSIM needs \(SSIM.minimumSide) px a side")
            }
            sizes.insert("\(image.width)x\(image.height)")
            let inGrid = index < options.gridImageCount
            let scored = try score(image, named: reportImage.name, codecs: options.codecs, keepingDecoded: inGrid)
            rows += scored.map(\.row)
            if inGrid {
                grid.append(GridImage(name: reportImage.name, original: image, scored: scored, budgets: options.gridBudgets))
            }
            progress?.advance()
        }
        progress?.finish()

        let table = ResultTable(rows: rows)
        let context = ReportContext(table: table, options: options, imageSizes: sizes.sorted(), grid: grid)
        try ReportWriter.write(context)
        return table
    }

    /// Every operating point of every codec on one image, with its scores. Decoded images are kept only when
    /// asked for (images in the visual grid): at native sizes they would hold hundreds of megabytes.
    static func score(_ image: RGBImage, named name: String, codecs: [any RateDistortionCodec],
                      keepingDecoded: Bool) throws -> [ScoredPoint] {
        try codecs.flatMap { codec in
            try codec.operatingPoints(for: image).map { point in
                let row = ResultRow(image: name, codec: codec.name, family: codec.family, setting: point.setting,
                                    width: image.width, height: image.height, bytes: point.bytes,
                                    scores: QualityScores(reference: image, distorted: point.decoded),
                                    encodeSeconds: point.encodeSeconds, decodeSeconds: point.decodeSeconds)
                return ScoredPoint(row: row, decoded: keepingDecoded ? point.decoded : nil)
            }
        }
    }
}

struct ScoredPoint {
    var row: ResultRow
    var decoded: RGBImage?
}

/// What the visual grid keeps of one image: a centre crop of the original and, per budget and family, the
/// crop of the family's best-PSNR point within the budget (nil where nothing fits).
struct GridImage {
    static let cropSide = 128

    struct Cell {
        var family: String
        var budget: Int
        var chosen: ResultRow?
        var crop: RGBImage?
    }

    var name: String
    var originalCrop: RGBImage
    var cells: [Cell]

    init(name: String, original: RGBImage, scored: [ScoredPoint], budgets: [Int]) {
        let side = min(Self.cropSide, original.width, original.height)
        func crop(_ image: RGBImage) -> RGBImage { image.centerCropped(width: side, height: side) }
        self.name = name
        originalCrop = crop(original)
        let families = scored.map(\.row.family).uniqued()
        cells = budgets.flatMap { budget in
            families.map { family in
                let best = scored
                    .filter { $0.row.family == family && $0.row.bytes <= budget }
                    .max { $0.row.scores.psnr < $1.row.scores.psnr }
                return Cell(family: family, budget: budget, chosen: best?.row, crop: best?.decoded.map(crop))
            }
        }
    }
}

/// Everything the output files are written from.
struct ReportContext {
    var table: ResultTable
    var options: ReportOptions
    var imageSizes: [String]
    var grid: [GridImage]

    var imageCount: Int { table.images.count }

    var series: [Series] { table.series }

    func description(of series: Series) -> String {
        if series.isHull {
            let members = options.codecs.filter { $0.family == series.family }.map(\.name).joined(separator: ", ")
            return "per image and byte budget, the best of \(members) whose file fits the budget"
        }
        return options.codecs.first { $0.name == series.name }?.description ?? series.name
    }

    var hullBudgets: [Int] {
        Aggregation.hullBudgets(upTo: table.rows.map(\.bytes).max() ?? 0)
    }

    func curve(_ series: Series) -> [CurvePoint] {
        Aggregation.curve(series, imageCount: imageCount, hullBudgets: hullBudgets)
    }

    var msSSIMScaleNote: String {
        let counts = table.rows.map { SSIM.msSSIMScaleCount(width: $0.width, height: $0.height) }.uniqued().sorted()
        guard counts != [SSIM.msSSIMScaleWeights.count] else { return "all five MS-SSIM scales fit every image" }
        return "MS-SSIM used \(counts.map(String.init).joined(separator: " or ")) scales (images under 176 px a side"
            + " use the scales that fit, weights renormalised)"
    }
}
