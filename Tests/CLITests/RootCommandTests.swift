import VTokTestSupport
import XCTest

final class RootCommandTests: XCTestCase {
    func testHelpExitsZeroAndDocumentsExitStatuses() throws {
        let result = try CLI.run(["--help"])
        XCTAssertEqual(result.status, 0)
        XCTAssertTrue(result.stdout.contains("Exit statuses"), result.stdout)
    }

    func testUnknownOptionIsAUsageError() throws {
        let result = try CLI.run(["--no-such-flag"])
        XCTAssertEqual(result.status, 1)
        XCTAssertFalse(result.stderr.isEmpty)
    }
}
