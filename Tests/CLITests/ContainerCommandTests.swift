import Foundation
import VTokContainer
import VTokTestSupport
import XCTest

/// `vtok info` and `vtok truncate`, run through the built binary on files made with the container library.
final class ContainerCommandTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = try CLI.temporaryDirectory(for: self)
    }

    private func sampleFile(tiles: TileLayout = .single, width: Int = 300, height: Int = 200, tokens: Int = 20) -> VTokFile {
        let layout = TokenLayout(groups: 2, bitsPerGroup: 6)
        let tileCount = tiles.tileCount(width: width, height: height)
        var state: UInt32 = 12345
        let ids = (0..<tileCount).map { _ in
            (0..<tokens).map { _ -> UInt32 in
                state = state &* 1_664_525 &+ 1_013_904_223
                return state >> 20
            }
        }
        return VTokFile(width: width, height: height, tiles: tiles, layout: layout,
                        modelID: ModelID(weightsFile: Array("model".utf8)), tokens: ids)
    }

    private func write(_ bytes: [UInt8], _ name: String) throws -> String {
        let path = directory.appendingPathComponent(name).path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    private func json(_ text: String) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    func testInfoDescribesACompleteFile() throws {
        let file = sampleFile(tiles: .tiled(side: 256))
        let path = try write(try file.serialized(format: .version1), "a.vtok")
        let text = try CLI.run(["info", path])
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertTrue(text.stdout.contains("300x200"), text.stdout)
        XCTAssertTrue(text.stdout.contains("2x1 tiles"), text.stdout)
        XCTAssertTrue(text.stderr.isEmpty, text.stderr)

        let result = try CLI.run(["info", path, "--json"])
        XCTAssertEqual(result.status, 0)
        let object = try json(result.stdout)
        XCTAssertEqual(object["status"] as? String, "complete")
        XCTAssertEqual(object["decodable_tokens"] as? Int, 20)
        XCTAssertEqual(object["bits_per_token"] as? Int, 12)
        XCTAssertEqual(object["model_id"] as? String, file.modelID.description)
        XCTAssertEqual(object["truncation_offsets"] as? [Int], try file.fileSizes(format: .version1))
        XCTAssertEqual((object["tiles"] as? [String: Int])?["count"], 2)
    }

    func testInfoOnACutFileWarnsAndSucceeds() throws {
        let bytes = try sampleFile().serialized(format: .version1)
        // 28-byte header + 9 payload bytes = 72 bits = 6 complete tokens of 12 bits.
        let path = try write(Array(bytes.prefix(37)), "cut.vtok")
        let result = try CLI.run(["info", path, "--json"])
        XCTAssertEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("truncated"), result.stderr)
        let object = try json(result.stdout)
        XCTAssertEqual(object["status"] as? String, "truncated")
        XCTAssertEqual(object["declared_tokens"] as? Int, 20)
        XCTAssertEqual(object["decodable_tokens"] as? Int, 6)
    }

    func testInfoRejectsCorruptAndMissingFiles() throws {
        var bytes = try sampleFile().serialized(format: .version1)
        bytes[bytes.count - 3] ^= 0x10
        let corrupt = try CLI.run(["info", try write(bytes, "corrupt.vtok")])
        XCTAssertEqual(corrupt.status, 2)
        XCTAssertTrue(corrupt.stderr.contains("corrupt"), corrupt.stderr)

        let missing = try CLI.run(["info", directory.appendingPathComponent("nope.vtok").path])
        XCTAssertEqual(missing.status, 2)
        XCTAssertTrue(missing.stderr.contains("no such file"), missing.stderr)

        let notVTok = try CLI.run(["info", try write(Array("hello, world, not a vtok file".utf8), "text.vtok")])
        XCTAssertEqual(notVTok.status, 2)
        XCTAssertTrue(notVTok.stderr.contains("not a .vtok file"), notVTok.stderr)
    }

    func testTruncateToEveryTokenCountEqualsAFreshEncode() throws {
        let file = sampleFile(tiles: .tiled(side: 128), width: 300, height: 130, tokens: 9)
        let input = try write(try file.serialized(format: .version1), "in.vtok")
        for k in 0...9 {
            let output = directory.appendingPathComponent("out\(k).vtok").path
            let result = try CLI.run(["truncate", input, "--tokens", "\(k)", "-o", output])
            XCTAssertEqual(result.status, 0, result.stderr)
            let written = [UInt8](try Data(contentsOf: URL(fileURLWithPath: output)))
            XCTAssertEqual(written, try file.truncated(toTokens: k).serialized(format: .version1), "k = \(k)")
        }
    }

    func testTruncateToAByteBudgetKeepsTheLongestPrefixThatFits() throws {
        let file = sampleFile(tokens: 20)
        let input = try write(try file.serialized(format: .version1), "in.vtok")
        let output = directory.appendingPathComponent("out.vtok").path
        // 12-bit tokens: 7 tokens take 11 payload bytes (39 in all), 8 take 12 (40).
        XCTAssertEqual(try CLI.run(["truncate", input, "--max-bytes", "39", "-o", output]).status, 0)
        XCTAssertEqual([UInt8](try Data(contentsOf: URL(fileURLWithPath: output))), try file.truncated(toTokens: 7).serialized(format: .version1))
        // The old spelling still works, and is left out of the help.
        XCTAssertEqual(try CLI.run(["truncate", input, "--bytes", "39", "-o", output]).status, 0)
        XCTAssertEqual([UInt8](try Data(contentsOf: URL(fileURLWithPath: output))), try file.truncated(toTokens: 7).serialized(format: .version1))
        XCTAssertFalse(try CLI.run(["truncate", "--help"]).stdout.contains("--bytes"))
    }

    func testTruncateOfACutFileKeepsItsCompleteTokens() throws {
        let file = sampleFile(tokens: 20)
        let input = try write(Array(try file.serialized(format: .version1).prefix(37)), "cut.vtok")
        let output = directory.appendingPathComponent("out.vtok").path
        let result = try CLI.run(["truncate", input, "--tokens", "5", "-o", output])
        XCTAssertEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("truncated"))
        XCTAssertEqual([UInt8](try Data(contentsOf: URL(fileURLWithPath: output))), try file.truncated(toTokens: 5).serialized(format: .version1))
    }

    func testTruncateUsageErrors() throws {
        let input = try write(try sampleFile().serialized(format: .version1), "in.vtok")
        let output = directory.appendingPathComponent("out.vtok").path
        XCTAssertEqual(try CLI.run(["truncate", input, "-o", output]).status, 1)
        XCTAssertEqual(try CLI.run(["truncate", input, "--tokens", "3", "--max-bytes", "40", "-o", output]).status, 1)
        XCTAssertEqual(try CLI.run(["truncate", input, "--max-bytes", "10", "-o", output]).status, 1)
        XCTAssertEqual(try CLI.run(["truncate", input, "--max-bytes", "40", "--bytes", "40", "-o", output]).status, 1)
        let tooMany = try CLI.run(["truncate", input, "--tokens", "21", "-o", output])
        XCTAssertEqual(tooMany.status, 1)
        XCTAssertTrue(tooMany.stderr.contains("holds 20 tokens"), tooMany.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: output))
    }

    func testTruncateReportsAnUnwritableOutput() throws {
        let input = try write(try sampleFile().serialized(format: .version1), "in.vtok")
        let result = try CLI.run(["truncate", input, "--tokens", "3", "-o", "/nonexistent-dir/out.vtok"])
        XCTAssertEqual(result.status, 3)
        XCTAssertTrue(result.stderr.contains("cannot write"), result.stderr)
    }
}
