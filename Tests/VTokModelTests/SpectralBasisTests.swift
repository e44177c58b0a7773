import XCTest
@testable import VTokModel

final class SpectralBasisTests: XCTestCase {
    func testZigzagMatchesJPEGOrder() {
        let order = SpectralBasis.zigzag(side: 4)
        XCTAssertEqual(order.count, 16)
        // JPEG's zigzag: (0,0), (0,1), (1,0), (2,0), (1,1), (0,2), (0,3), (1,2), ...
        XCTAssertEqual(order.prefix(8).map { [$0.0, $0.1] }, [[0, 0], [0, 1], [1, 0], [2, 0], [1, 1], [0, 2], [0, 3], [1, 2]])
        XCTAssertEqual(Set(order.map { $0.0 * 4 + $0.1 }).count, 16)
    }

    func testRowsAreOrthonormalAndStartWithTheMean() {
        let side = 8, rows = SpectralBasis.dct(side: side, count: 64)
        for i in 0..<64 {
            for j in 0..<64 {
                let dot = (0..<64).reduce(Float(0)) { $0 + rows[i * 64 + $1] * rows[j * 64 + $1] }
                XCTAssertEqual(dot, i == j ? 1 : 0, accuracy: 1e-5, "rows \(i), \(j)")
            }
        }
        XCTAssertTrue(rows[0..<64].allSatisfy { abs($0 - 1 / 8) < 1e-6 }, "row 0 is the mean")
        // Row 1 is the coarsest horizontal gradient: constant down each column, falling across.
        XCTAssertEqual(rows[64], rows[64 + 8], accuracy: 1e-6)
        XCTAssertGreaterThan(rows[64], rows[64 + 7])
    }

    func testRowsPastTheGridAreZeroAndTransposeInverts() {
        let rows = SpectralBasis.dct(side: 2, count: 6)
        XCTAssertEqual(Array(rows[16..<24]), Array(repeating: 0, count: 8))
        let transposed = SpectralBasis.transposed(rows, rows: 6, columns: 4)
        XCTAssertEqual(transposed[1 * 6 + 2], rows[2 * 4 + 1])
        XCTAssertEqual(SpectralBasis.transposed(transposed, rows: 4, columns: 6), rows)
    }
}
