import XCTest

final class VTokModelTestsPlaceholder: XCTestCase {
    func testPlaceholder() {}
}
