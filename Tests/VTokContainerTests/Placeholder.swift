import XCTest

final class VTokContainerTestsPlaceholder: XCTestCase {
    func testPlaceholder() {}
}
