import Foundation
import VTokImage

/// One line of the Bjøntegaard table.
struct BDComparison {
    var test: String
    var anchor: String
    /// Relative bytes at equal PSNR; -0.3 is 30% smaller.
    var rate: Double?
    /// dB at equal bytes.
    var psnr: Double?

    init(test: Series, anchor: Series, curve: (Series) -> [CurvePoint]) {
        func rateQuality(_ series: Series) -> RateQualityCurve {
            let points = curve(series)
            return RateQualityCurve(rates: points.map(\.bytes), qualities: points.map(\.scores.psnr))
        }
        self.test = test.name
        self.anchor = anchor.name
        rate = Bjontegaard.deltaRate(anchor: rateQuality(anchor), test: rateQuality(test))
        psnr = Bjontegaard.deltaQuality(anchor: rateQuality(anchor), test: rateQuality(test))
    }
}

enum MarkdownReport {
    static func render(_ context: ReportContext) -> String {
        var text = """
        # Quality against bytes

        \(context.imageCount) images, evaluated at \(context.imageSizes.joined(separator: ", ")): \
        \(context.options.preprocessing.statement).

        Metrics, per image and operating point: whole-file bytes; bits per pixel; PSNR over 8-bit RGB (one MSE \
        over all three channels; identical images are capped at \(Int(PSNR.cap)) dB); SSIM and MS-SSIM with data \
        range 255, computed on each RGB channel and averaged over channels (Gaussian window 11, sigma 1.5, \
        K1 0.01, K2 0.03, valid windows only; MS-SSIM weights 0.0448, 0.2856, 0.3001, 0.2363, 0.1333 with 2x2 \
        average pooling between scales; \(context.msSSIMScaleNote)); encode and decode wall-clock seconds.

        """
        if !context.options.notes.isEmpty {
            text += "\n" + context.options.notes.map { "- Note: \($0)" }.joined(separator: "\n") + "\n"
        }
        text += "\n## Codecs\n\n| series | how |\n|---|---|\n"
        for series in context.series {
            text += "| \(series.name) | \(context.description(of: series)) |\n"
        }
        for measure in [QualityMeasure.psnr, .msSSIM] {
            text += budgetTable(context, measure: measure)
        }
        text += bjontegaardSection(context)
        text += """

        ## Files

        results.csv (one row per image and operating point), results.json (CompressAI layout, each point \
        averaged over images; a hull has a point for each quarter-octave budget every image fits), psnr.svg, \
        ms-ssim.svg, index.html (plots and crops at matched budgets).

        """
        return text
    }

    static func budgetTable(_ context: ReportContext, measure: QualityMeasure) -> String {
        let budgets = context.options.budgets
        var text = """

        ## Mean \(measure.rawValue) at or under each byte budget

        Per image, the best point whose whole file fits the budget; the mean is over the images where \
        something fits, their count in brackets (of \(context.imageCount)).

        | series | \(budgets.map { "≤ \($0) B" }.joined(separator: " | ")) |
        |---|\(budgets.map { _ in "---:" }.joined(separator: "|"))|

        """
        let decimals = measure == .psnr ? 2 : 4
        for series in context.series {
            let cells = budgets.map { budget in
                let cell = Aggregation.budgetCell(series, budget: budget, measure: measure, imageCount: context.imageCount)
                guard let mean = cell.meanQuality else { return "— (0)" }
                return "\(format(mean, decimals)) (\(cell.imagesFitting))"
            }
            let name = series.isHull ? "**\(series.name)**" : series.name
            text += "| \(name) | \(cells.joined(separator: " | ")) |\n"
        }
        return text
    }

    static func bjontegaardSection(_ context: ReportContext) -> String {
        var text = """

        ## Bjøntegaard deltas

        Piecewise-cubic (PCHIP in log-rate, VCEG-AI11) on the mean curves, over the range both curves \
        cover; BD-rate is the change in bytes at equal PSNR (negative: fewer bytes), BD-PSNR the change \
        in dB at equal bytes.

        """
        let tests = context.series.filter { $0.family == QualityReport.tokenizerFamily }
        let anchors = context.series.filter { $0.family != QualityReport.tokenizerFamily }
        let comparisons: [BDComparison]
        if tests.isEmpty {
            guard let jpeg = anchors.first else { return text }
            text += "\nNo vtok rows in this report. For reference, each classical series against \(jpeg.name):\n"
            comparisons = anchors.dropFirst().map { BDComparison(test: $0, anchor: jpeg, curve: context.curve) }
        } else {
            comparisons = tests.flatMap { test in anchors.map { BDComparison(test: test, anchor: $0, curve: context.curve) } }
        }
        text += "\n| test | anchor | BD-rate | BD-PSNR |\n|---|---|---:|---:|\n"
        for comparison in comparisons {
            let rate = comparison.rate.map { format($0 * 100, 1) + " %" } ?? "no overlap"
            let psnr = comparison.psnr.map { format($0, 2) + " dB" } ?? "no overlap"
            text += "| \(comparison.test) | \(comparison.anchor) | \(rate) | \(psnr) |\n"
        }
        return text
    }
}
