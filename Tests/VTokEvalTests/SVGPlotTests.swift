import XCTest
@testable import VTokEval

final class SVGPlotTests: XCTestCase {
    func testLogTicksAreOneTwoFiveInRange() {
        XCTAssertEqual(SVGPlot.logTicks(low: 90, high: 1100), [100, 200, 500, 1000])
        XCTAssertEqual(SVGPlot.byteLabel(200), "200")
        XCTAssertEqual(SVGPlot.byteLabel(20000), "20k")
    }

    func testLinearTicksAreRoundAndCoverTheData() {
        let ticks = SVGPlot.niceTicks(low: 16.3, high: 49.1)
        XCTAssertEqual(ticks, [10, 20, 30, 40, 50])
        XCTAssertEqual(SVGPlot.decimalsToWrite(ticks), 0)
        XCTAssertEqual(SVGPlot.decimalsToWrite(SVGPlot.niceTicks(low: 0.42, high: 0.97)), 1)
    }

    func testEmptyPlotIsStillAnSVGDocument() {
        let svg = SVGPlot.render(title: "t <&>", xLabel: "x", yLabel: "y", lines: [])
        XCTAssertTrue(svg.hasPrefix("<svg"))
        XCTAssertTrue(svg.hasSuffix("</svg>\n"))
        XCTAssertTrue(svg.contains("t &lt;&amp;&gt;"))
    }
}
