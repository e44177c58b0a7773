import XCTest

final class VTokImageTestsPlaceholder: XCTestCase {
    func testPlaceholder() {}
}
