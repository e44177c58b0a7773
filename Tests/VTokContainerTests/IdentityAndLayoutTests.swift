import XCTest
@testable import VTokContainer

final class IdentityAndLayoutTests: XCTestCase {
    func testModelIDIsTheSHA256PrefixOfTheWeights() {
        let id = ModelID(weightsFile: Array("abc".utf8))
        XCTAssertEqual(id.bytes, [0xba, 0x78, 0x16, 0xbf])
        XCTAssertEqual(id.description, "ba7816bf")
        XCTAssertEqual(ModelID(hex: "ba7816bf"), id)
        XCTAssertEqual(ModelID(bytes: [0, 1, 0x0a, 0xff])?.description, "00010aff")
        XCTAssertNil(ModelID(hex: "ba7816b"))
        XCTAssertNil(ModelID(hex: "ba7816bg"))
        XCTAssertNil(ModelID(bytes: [1, 2, 3]))
    }

    func testModelMismatchIsRefusedNamingBothModels() throws {
        let fileModel = ModelID(hex: "ba7816bf")!, otherModel = ModelID(hex: "0011aaff")!
        XCTAssertNoThrow(try fileModel.requireMatch(fileModel))
        let error = thrownError { () throws(VTokError) in try fileModel.requireMatch(otherModel) }
        XCTAssertEqual(error, .modelMismatch(file: fileModel, model: otherModel))
        let message = try XCTUnwrap(error).description
        XCTAssertTrue(message.contains("ba7816bf") && message.contains("0011aaff"), message)
    }

    func testTokenIDsComposeFromGroupIndices() {
        let layout = TokenLayout(groups: 3, bitsPerGroup: 5)
        XCTAssertEqual(layout.bitsPerToken, 15)
        XCTAssertEqual(layout.tokenID(groupIndices: [1, 2, 31]), 1 << 10 | 2 << 5 | 31)
        XCTAssertEqual(layout.groupIndices(of: 1 << 10 | 2 << 5 | 31), [1, 2, 31])
        let widest = TokenLayout(groups: 1, bitsPerGroup: 32)
        XCTAssertEqual(widest.groupIndices(of: .max), [Int(UInt32.max)])
        XCTAssertEqual(widest.tokenID(groupIndices: [Int(UInt32.max)]), .max)
    }

    func testTileGrid() {
        XCTAssertTrue(TileLayout.single.tileGrid(width: 5000, height: 3) == (1, 1))
        XCTAssertTrue(TileLayout.tiled(side: 256).tileGrid(width: 256, height: 257) == (1, 2))
        XCTAssertTrue(TileLayout.tiled(side: 256).tileGrid(width: 1000, height: 1) == (4, 1))
        XCTAssertEqual(TileLayout.tiled(side: 100).tileCount(width: 301, height: 200), 8)
    }
}
