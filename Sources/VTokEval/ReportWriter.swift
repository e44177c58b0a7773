import Foundation
import VTokImage

/// Writes the report's files from a finished run.
enum ReportWriter {
    static func write(_ context: ReportContext) throws {
        do {
            try writeFiles(context)
        } catch {
            throw ReportOutputError(description: "cannot write the report to \(context.options.outputDirectory): \(error)")
        }
    }

    private static func writeFiles(_ context: ReportContext) throws {
        let directory = URL(fileURLWithPath: context.options.outputDirectory)
        let crops = directory.appendingPathComponent("crops")
        try FileManager.default.createDirectory(at: crops, withIntermediateDirectories: true)
        try writeText(csv(context.table), to: directory.appendingPathComponent("results.csv"))
        try Data(compressAIJSON(context)).write(to: directory.appendingPathComponent("results.json"))
        try writeText(MarkdownReport.render(context), to: directory.appendingPathComponent("report.md"))
        for (measure, file) in [(QualityMeasure.psnr, "psnr.svg"), (.msSSIM, "ms-ssim.svg")] {
            try writeText(plot(context, measure: measure), to: directory.appendingPathComponent(file))
        }
        for image in context.grid {
            try writePNG(image.originalCrop, to: crops.appendingPathComponent(HTMLReport.originalCropFile(image)))
            for cell in image.cells {
                guard let crop = cell.crop else { continue }
                try writePNG(crop, to: crops.appendingPathComponent(HTMLReport.cropFile(image, cell)))
            }
        }
        try writeText(HTMLReport.render(context), to: directory.appendingPathComponent("index.html"))
    }

    static let csvHeader = "image,codec,family,setting,width,height,bytes,bpp,psnr_rgb,ssim_rgb,ms_ssim_rgb,encode_seconds,decode_seconds"

    static func csv(_ table: ResultTable) -> String {
        let lines = table.rows.map { row in
            [csvField(row.image), csvField(row.codec), csvField(row.family), csvField(row.setting),
             "\(row.width)", "\(row.height)", "\(row.bytes)", format(row.bitsPerPixel, 5),
             format(row.scores.psnr, 4), format(row.scores.ssim, 6), format(row.scores.msSSIM, 6),
             format(row.encodeSeconds, 6), format(row.decodeSeconds, 6)].joined(separator: ",")
        }
        return ([csvHeader] + lines).joined(separator: "\n") + "\n"
    }

    private static func csvField(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// CompressAI's results layout: per series, each metric as a list over its points, averaged over images.
    struct CompressAIEntry: Encodable {
        struct Results: Encodable {
            var bpp: [Double]
            var bytes: [Double]
            var psnrRGB: [Double]
            var msSSIMRGB: [Double]
            var ssim: [Double]
            var encodingTime: [Double]
            var decodingTime: [Double]

            enum CodingKeys: String, CodingKey {
                case bpp, bytes, ssim
                case psnrRGB = "psnr-rgb"
                case msSSIMRGB = "ms-ssim-rgb"
                case encodingTime = "encoding_time"
                case decodingTime = "decoding_time"
            }
        }

        var name: String
        var description: String
        var results: Results
    }

    static func compressAIJSON(_ context: ReportContext) throws -> Data {
        let entries = context.series.map { series in
            let curve = context.curve(series)
            return CompressAIEntry(
                name: series.name, description: context.description(of: series),
                results: .init(bpp: curve.map(\.bitsPerPixel), bytes: curve.map(\.bytes), psnrRGB: curve.map(\.scores.psnr),
                               msSSIMRGB: curve.map(\.scores.msSSIM), ssim: curve.map(\.scores.ssim),
                               encodingTime: curve.map(\.encodeSeconds), decodingTime: curve.map(\.decodeSeconds)))
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(entries)
    }

    static func plot(_ context: ReportContext, measure: QualityMeasure) -> String {
        let families = context.series.map(\.family).uniqued()
        let lines = context.series.map { series in
            let familyMembers = context.series.filter { $0.family == series.family && !$0.isHull }
            let rank = familyMembers.firstIndex { $0.name == series.name } ?? 0
            return SVGPlot.Line(
                name: series.name,
                color: SVGPlot.palette[families.firstIndex(of: series.family)! % SVGPlot.palette.count],
                // Downscaled copies fade so the full-size codec and the hull stand out.
                opacity: series.isHull ? 1 : max(0.35, 1 - 0.22 * Double(rank)),
                dashed: series.isHull,
                points: context.curve(series).map { SVGPlot.Point(x: $0.bytes, y: measure.value($0.scores)) })
        }
        return SVGPlot.render(title: "\(measure.rawValue) against file size, mean over \(context.imageCount) images",
                              xLabel: "bytes per image (log scale)", yLabel: measure.rawValue, lines: lines)
    }

    static func writeText(_ text: String, to url: URL) throws {
        try Data(text.utf8).write(to: url)
    }

    static func writePNG(_ image: RGBImage, to url: URL) throws {
        try ImageFile.writePNG(image, to: url.path)
    }
}

/// The report ran but its files could not be written.
public struct ReportOutputError: Error, CustomStringConvertible {
    public let description: String
}

func format(_ value: Double, _ decimals: Int) -> String {
    String(format: "%.\(decimals)f", value)
}
