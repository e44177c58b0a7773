import XCTest
@testable import VTokEval

final class AggregationTests: XCTestCase {
    /// Two images, a codec and its half-size copy in one family. PSNR values are chosen so each budget
    /// picks a different mix; the other scores follow PSNR so per-measure selection agrees.
    let table: ResultTable = {
        func row(_ image: String, _ codec: String, _ setting: String, _ bytes: Int, _ psnr: Double) -> ResultRow {
            ResultRow(image: image, codec: codec, family: "X", setting: setting, width: 10, height: 10, bytes: bytes,
                      scores: QualityScores(psnr: psnr, ssim: psnr / 100, msSSIM: psnr / 50),
                      encodeSeconds: 0.01, decodeSeconds: 0.002)
        }
        return ResultTable(rows: [
            row("a", "X", "q=1", 100, 20), row("a", "X", "q=2", 300, 25),
            row("a", "X 1/2", "q=1", 50, 18), row("a", "X 1/2", "q=2", 150, 22),
            row("b", "X", "q=1", 120, 21), row("b", "X", "q=2", 400, 27),
            row("b", "X 1/2", "q=1", 60, 19), row("b", "X 1/2", "q=2", 200, 23),
        ])
    }()

    func series(_ name: String) throws -> Series {
        try XCTUnwrap(table.series.first { $0.name == name })
    }

    func testSeriesAreEachCodecThenTheFamilyHull() {
        XCTAssertEqual(table.series.map(\.name), ["X", "X 1/2", "X hull"])
        XCTAssertEqual(table.series.map(\.isHull), [false, false, true])
        XCTAssertEqual(table.images, ["a", "b"])
    }

    func testBudgetMeansUseEachImagesBestFittingPoint() throws {
        func cell(_ name: String, _ budget: Int) throws -> BudgetCell {
            Aggregation.budgetCell(try series(name), budget: budget, measure: .psnr, imageCount: 2)
        }
        XCTAssertEqual(try cell("X hull", 48), BudgetCell(budget: 48, imagesFitting: 0, imageCount: 2, meanQuality: nil))
        XCTAssertEqual(try cell("X", 96).imagesFitting, 0)
        XCTAssertEqual(try cell("X 1/2", 96).meanQuality, 18.5)
        XCTAssertEqual(try cell("X", 110), BudgetCell(budget: 110, imagesFitting: 1, imageCount: 2, meanQuality: 20))
        XCTAssertEqual(try cell("X", 192).meanQuality, 20.5)
        XCTAssertEqual(try cell("X 1/2", 192).meanQuality, 20.5)
        XCTAssertEqual(try cell("X hull", 192).meanQuality, 21.5)
        XCTAssertEqual(try cell("X", 384).meanQuality, 23)
        XCTAssertEqual(try cell("X hull", 384).meanQuality, 24)
        let msSSIM = Aggregation.budgetCell(try series("X hull"), budget: 384, measure: .msSSIM, imageCount: 2)
        XCTAssertEqual(try XCTUnwrap(msSSIM.meanQuality), 0.48, accuracy: 1e-12)
    }

    func testCodecCurveAveragesEachSettingOverImages() throws {
        let curve = Aggregation.curve(try series("X"), imageCount: 2, hullBudgets: [])
        XCTAssertEqual(curve.map(\.label), ["q=1", "q=2"])
        XCTAssertEqual(curve.map(\.bytes), [110, 350])
        XCTAssertEqual(curve.map(\.scores.psnr), [20.5, 26])
        XCTAssertEqual(curve[0].bitsPerPixel, 8.8, accuracy: 1e-12)
    }

    /// vtok adds per image the most tokens within each budget, a token count other images may lack: such
    /// a setting must not become a mean-curve point of one image.
    func testCodecCurveLeavesOutSettingsSomeImagesLack() throws {
        func row(_ image: String, _ setting: String, _ bytes: Int, _ psnr: Double) -> ResultRow {
            ResultRow(image: image, codec: "T", family: "T", setting: setting, width: 10, height: 10, bytes: bytes,
                      scores: QualityScores(psnr: psnr, ssim: 0.5, msSSIM: 0.5), encodeSeconds: 0, decodeSeconds: 0)
        }
        let table = ResultTable(rows: [
            row("a", "8 tokens", 40, 17), row("a", "16 tokens", 60, 18), row("a", "11 tokens", 48, 17.5),
            row("b", "8 tokens", 44, 16), row("b", "16 tokens", 70, 17), row("b", "9 tokens", 48, 16.2),
        ])
        let series = try XCTUnwrap(table.series.first { $0.name == "T" })
        let curve = Aggregation.curve(series, imageCount: 2, hullBudgets: [])
        XCTAssertEqual(curve.map(\.label), ["8 tokens", "16 tokens"])
        XCTAssertEqual(curve.map(\.bytes), [42, 65])
    }

    func testHullCurveKeepsBudgetsEveryImageFits() throws {
        let curve = Aggregation.curve(try series("X hull"), imageCount: 2, hullBudgets: [48, 96, 192, 384])
        XCTAssertEqual(curve.map(\.label), ["≤ 96 bytes", "≤ 192 bytes", "≤ 384 bytes"])
        XCTAssertEqual(curve.map(\.bytes), [55, 135, 250], "the mean bytes of the best-PSNR choices")
        XCTAssertEqual(curve.map(\.scores.psnr), [18.5, 21.5, 24])
    }

    func testHullBudgetsAreQuarterOctaves() {
        XCTAssertEqual(Aggregation.hullBudgets(upTo: 64), [32, 38, 45, 54, 64])
        XCTAssertEqual(Aggregation.hullBudgets(upTo: 20), [])
    }

    func testCSVHasAHeaderAndOneLinePerRow() {
        let lines = ReportWriter.csv(table).split(separator: "\n")
        XCTAssertEqual(lines.count, 9)
        XCTAssertEqual(String(lines[0]), ReportWriter.csvHeader)
        XCTAssertEqual(String(lines[3]), "a,X 1/2,X,q=1,10,10,50,4.00000,18.0000,0.180000,0.360000,0.010000,0.002000")
    }
}
