import XCTest

final class VTokTrainingTestsPlaceholder: XCTestCase {
    func testPlaceholder() {}
}
