import VTokTestSupport
import XCTest
@testable import VTokContainer

final class SHA256Tests: XCTestCase {
    private func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String($0 >> 4, radix: 16) + String($0 & 15, radix: 16) }.joined()
    }

    // FIPS 180-2 appendix B and the NIST example values.
    func testFIPSVectors() {
        XCTAssertEqual(hex(SHA256.hash(Array("abc".utf8))),
                       "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(hex(SHA256.hash([])),
                       "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(hex(SHA256.hash(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        XCTAssertEqual(hex(SHA256.hash(Array("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu".utf8))),
                       "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1")
    }

    func testOneMillionA() {
        XCTAssertEqual(hex(SHA256.hash([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000))),
                       "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    // Message lengths around the padding boundaries (55, 56, 64 bytes) fed in pieces of every size
    // must hash as the message fed at once.
    func testIncrementalUpdatesMatchOneShot() {
        var rng = SeededGenerator(seed: 1)
        for length in [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 200] {
            let message = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            for pieceSize in [1, 3, 63, 64, 65] {
                var hasher = SHA256()
                for start in stride(from: 0, to: length, by: pieceSize) {
                    hasher.update(Array(message[start..<min(start + pieceSize, length)]))
                }
                XCTAssertEqual(hasher.finalize(), SHA256.hash(message), "length \(length), pieces of \(pieceSize)")
            }
        }
    }
}
