import VTokNN
import XCTest
@testable import VTokTraining

final class LengthSamplerTests: XCTestCase {
    func testAllUniformCoversEveryLengthEvenly() {
        let sampler = LengthSampler(maxTokens: 8, uniformFraction: 1)
        var rng = SeededRandom(seed: 3)
        var counts = [Int](repeating: 0, count: 9)
        for _ in 0..<8000 { counts[sampler.sample(using: &rng)] += 1 }
        XCTAssertEqual(counts[0], 0)
        for k in 1...8 { XCTAssert((850...1150).contains(counts[k]), "k \(k): \(counts)") }
    }

    func testAFixedLengthIsAlwaysThatLength() {
        let sampler = LengthSampler(maxTokens: 12, uniformFraction: 0.5, fixedLength: 5)
        var rng = SeededRandom(seed: 3)
        XCTAssertEqual(Set((0..<200).map { _ in sampler.sample(using: &rng) }), [5])
    }

    func testNoUniformGivesOnlyPowersOfTwoAndK() {
        let sampler = LengthSampler(maxTokens: 12, uniformFraction: 0)
        XCTAssertEqual(sampler.nestedLengths, [1, 2, 4, 8, 12])
        var rng = SeededRandom(seed: 4)
        var counts: [Int: Int] = [:]
        for _ in 0..<5000 { counts[sampler.sample(using: &rng), default: 0] += 1 }
        XCTAssertEqual(Set(counts.keys), [1, 2, 4, 8, 12])
        for (k, n) in counts { XCTAssert((850...1150).contains(n), "k \(k): \(counts)") }
        XCTAssertEqual(LengthSampler(maxTokens: 256, uniformFraction: 0).nestedLengths, [1, 2, 4, 8, 16, 32, 64, 128, 256])
        XCTAssertEqual(LengthSampler(maxTokens: 1, uniformFraction: 0).nestedLengths, [1])
    }

    func testMixAndDeterminism() {
        let sampler = LengthSampler(maxTokens: 256, uniformFraction: 0.5)
        var a = SeededRandom(seed: 9), b = SeededRandom(seed: 9), c = SeededRandom(seed: 10)
        let first = (0..<500).map { _ in sampler.sample(using: &a) }
        XCTAssertEqual(first, (0..<500).map { _ in sampler.sample(using: &b) })
        XCTAssertNotEqual(first, (0..<500).map { _ in sampler.sample(using: &c) })
        // Half nested (9 values) plus half uniform: about 0.5 + 0.5 * 9/256 are powers of two.
        let powers = first.filter { $0 & ($0 - 1) == 0 }.count
        XCTAssert((220...300).contains(powers), "\(powers) powers of two in 500")
    }
}
