import XCTest

final class VTokNNTestsPlaceholder: XCTestCase {
    func testPlaceholder() {}
}
