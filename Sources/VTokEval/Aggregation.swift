import Foundation
import VTokImage

/// A series' mean quality at one byte budget.
public struct BudgetCell: Sendable, Equatable {
    public var budget: Int
    /// Images with at least one point at or under the budget; the mean is over these only.
    public var imagesFitting: Int
    public var imageCount: Int
    /// Nil when no image fits.
    public var meanQuality: Double?
}

/// One point of a curve averaged over images, in the units of results.json.
public struct CurvePoint: Sendable, Equatable {
    /// The setting for a codec ("q=50"); "≤ N bytes" for a hull.
    public var label: String
    public var bytes: Double
    public var bitsPerPixel: Double
    public var scores: QualityScores
    public var encodeSeconds: Double
    public var decodeSeconds: Double
}

public enum Aggregation {
    /// Powers of two from 48 bytes, plus 56: the quality bars are at 56, 192 and 384 bytes.
    public static let defaultBudgets = [48, 56, 96, 192, 384, 768, 1536, 3072, 6144]

    /// Per image, the row with the best `measure` whose whole file fits in `budget` bytes.
    public static func bestRows(_ rows: [ResultRow], within budget: Int, by measure: QualityMeasure) -> [String: ResultRow] {
        var best: [String: ResultRow] = [:]
        for row in rows where row.bytes <= budget {
            if let current = best[row.image], measure.value(current.scores) >= measure.value(row.scores) { continue }
            best[row.image] = row
        }
        return best
    }

    /// The mean of each image's best quality at or under the budget, over the images where anything fits.
    public static func budgetCell(_ series: Series, budget: Int, measure: QualityMeasure, imageCount: Int) -> BudgetCell {
        let best = bestRows(series.rows, within: budget, by: measure)
        let qualities = best.values.map { measure.value($0.scores) }
        return BudgetCell(budget: budget, imagesFitting: best.count, imageCount: imageCount,
                          meanQuality: qualities.isEmpty ? nil : qualities.reduce(0, +) / Double(qualities.count))
    }

    /// A codec's curve: each setting that every image of the series has, averaged over them, ordered by
    /// bytes. Settings only some images have (vtok's most tokens within a budget differ per image) would put
    /// single images' points on the mean curve and make it jagged, which the Bjøntegaard fit must not see.
    /// A hull's curve: one point per budget in `hullBudgets` at which every image fits; each quality is the
    /// mean of the images' best within the budget for that measure, and bytes, bits per pixel and times are
    /// the means over the best-PSNR choices, so the point sits where the bytes were actually spent.
    public static func curve(_ series: Series, imageCount: Int, hullBudgets: [Int]) -> [CurvePoint] {
        series.isHull ? hullCurve(series, imageCount: imageCount, budgets: hullBudgets) : settingCurve(series)
    }

    private static func settingCurve(_ series: Series) -> [CurvePoint] {
        let images = Set(series.rows.map(\.image)).count
        let settings = series.rows.map(\.setting).uniqued()
        return settings.compactMap { setting in
            let rows = series.rows.filter { $0.setting == setting }
            guard Set(rows.map(\.image)).count == images else { return nil }
            return CurvePoint(
                label: setting,
                bytes: mean(rows.map { Double($0.bytes) }),
                bitsPerPixel: mean(rows.map(\.bitsPerPixel)),
                scores: QualityScores(psnr: mean(rows.map(\.scores.psnr)), ssim: mean(rows.map(\.scores.ssim)),
                                      msSSIM: mean(rows.map(\.scores.msSSIM))),
                encodeSeconds: mean(rows.map(\.encodeSeconds)),
                decodeSeconds: mean(rows.map(\.decodeSeconds)))
        }.sorted { $0.bytes < $1.bytes }
    }

    private static func hullCurve(_ series: Series, imageCount: Int, budgets: [Int]) -> [CurvePoint] {
        budgets.compactMap { budget in
            let bestByPSNR = Array(bestRows(series.rows, within: budget, by: .psnr).values)
            guard bestByPSNR.count == imageCount else { return nil }
            let bestBySSIM = bestRows(series.rows, within: budget, by: .ssim).values
            let bestByMSSSIM = bestRows(series.rows, within: budget, by: .msSSIM).values
            return CurvePoint(
                label: "≤ \(budget) bytes",
                bytes: mean(bestByPSNR.map { Double($0.bytes) }),
                bitsPerPixel: mean(bestByPSNR.map(\.bitsPerPixel)),
                scores: QualityScores(psnr: mean(bestByPSNR.map(\.scores.psnr)),
                                      ssim: mean(bestBySSIM.map(\.scores.ssim)),
                                      msSSIM: mean(bestByMSSSIM.map(\.scores.msSSIM))),
                encodeSeconds: mean(bestByPSNR.map(\.encodeSeconds)),
                decodeSeconds: mean(bestByPSNR.map(\.decodeSeconds)))
        }
    }

    /// Budgets a quarter-octave apart from 32 bytes up to `maximum`: where hull curves are sampled.
    public static func hullBudgets(upTo maximum: Int) -> [Int] {
        var budgets: [Int] = []
        var step = 20  // 2^(20/4) = 32 bytes
        while true {
            let budget = Int(pow(2, Double(step) / 4).rounded())
            guard budget <= maximum else { return budgets }
            budgets.append(budget)
            step += 1
        }
    }

    static func mean(_ values: [Double]) -> Double {
        values.reduce(0, +) / Double(values.count)
    }
}
