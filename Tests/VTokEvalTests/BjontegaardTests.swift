import XCTest
@testable import VTokEval

final class BjontegaardTests: XCTestCase {
    let anchor = RateQualityCurve(rates: [100, 200, 400, 800, 1600], qualities: [25, 28, 30.5, 32.5, 34])

    func testIdenticalCurvesDifferByNothing() throws {
        XCTAssertEqual(try XCTUnwrap(Bjontegaard.deltaRate(anchor: anchor, test: anchor)), 0, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(Bjontegaard.deltaQuality(anchor: anchor, test: anchor)), 0, accuracy: 1e-12)
    }

    func testConstantQualityShiftIsTheBDPSNR() throws {
        let better = RateQualityCurve(rates: anchor.rates, qualities: anchor.qualities.map { $0 + 1.5 })
        XCTAssertEqual(try XCTUnwrap(Bjontegaard.deltaQuality(anchor: anchor, test: better)), 1.5, accuracy: 1e-9)
    }

    func testHalvedRatesAreMinusFiftyPercent() throws {
        let halved = RateQualityCurve(rates: anchor.rates.map { $0 / 2 }, qualities: anchor.qualities)
        XCTAssertEqual(try XCTUnwrap(Bjontegaard.deltaRate(anchor: anchor, test: halved)), -0.5, accuracy: 1e-9)
        XCTAssertEqual(try XCTUnwrap(Bjontegaard.deltaRate(anchor: halved, test: anchor)), 1.0, accuracy: 1e-9)
    }

    /// Reference: scipy `PchipInterpolator(...).integrate` over the overlap, as in the Bjøntegaard definition.
    func testMatchesScipyPCHIPOnUnevenCurves() throws {
        let test = RateQualityCurve(rates: [80, 170, 350, 700, 1500, 3000], qualities: [25.5, 28.7, 31, 33.2, 34.9, 36])
        XCTAssertEqual(try XCTUnwrap(Bjontegaard.deltaQuality(anchor: anchor, test: test)), 1.1279835082543253, accuracy: 1e-9)
        XCTAssertEqual(try XCTUnwrap(Bjontegaard.deltaRate(anchor: anchor, test: test)), -0.29484994457009095, accuracy: 1e-9)
    }

    func testDisjointCurvesHaveNoDelta() {
        let elsewhere = RateQualityCurve(rates: [5000, 9000], qualities: [40, 42])
        XCTAssertNil(Bjontegaard.deltaRate(anchor: anchor, test: elsewhere))
        XCTAssertNil(Bjontegaard.deltaQuality(anchor: anchor, test: elsewhere))
        XCTAssertNil(Bjontegaard.deltaQuality(anchor: anchor, test: RateQualityCurve(rates: [300], qualities: [30])))
    }
}
