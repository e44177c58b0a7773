import VTokTestSupport
import XCTest
@testable import VTokContainer

final class SHA256Tests: XCTestCase {
    private func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String($0 >> 4, radix: 16) + String($0 & 15, radix: 16) }.joined()
    }

    private func digest(_ message: [UInt8], hardware: Bool) -> [UInt8] {
        var hasher = SHA256(usesHardware: hardware)
        hasher.update(message)
        return hasher.finalize()
    }

    // FIPS 180-2 appendix B and the NIST example values, through the portable rounds and (where the
    // CPU has them) the SHA instructions.
    func testFIPSVectors() {
        for hardware in [false, true] {
            XCTAssertEqual(hex(digest(Array("abc".utf8), hardware: hardware)),
                           "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
            XCTAssertEqual(hex(digest([], hardware: hardware)),
                           "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
            XCTAssertEqual(hex(digest(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8), hardware: hardware)),
                           "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
            XCTAssertEqual(hex(digest(Array("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu".utf8),
                                      hardware: hardware)),
                           "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1")
        }
    }

    func testOneMillionA() {
        for hardware in [false, true] {
            XCTAssertEqual(hex(digest([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000), hardware: hardware)),
                           "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        }
    }

    /// The SHA instructions and the portable rounds agree on messages of every length up to five
    /// blocks; the default hasher takes the instructions wherever the CPU has them.
    func testTheSHAInstructionsAgreeWithThePortableRounds() throws {
        XCTAssertEqual(SHA256().usesHardware, SHA256.hardwareAvailable)
        try XCTSkipUnless(SHA256.hardwareAvailable, "this CPU has no SHA instructions: only the portable rounds run")
        var rng = SeededGenerator(seed: 2)
        for length in 0...320 {
            let message = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            XCTAssertEqual(digest(message, hardware: true), digest(message, hardware: false), "length \(length)")
        }
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
