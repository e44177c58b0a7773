import XCTest

final class VTokEvalTestsPlaceholder: XCTestCase {
    func testPlaceholder() {}
}
