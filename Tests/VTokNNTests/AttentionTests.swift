import XCTest
@testable import VTokNN

final class AttentionTests: XCTestCase {
    var rng = SeededRandom(seed: 3)

    /// (B=2, T=6, 3·C) with C = 2 heads × 3: small enough for debug, two heads to catch offsets.
    func qkv() -> Tensor { GradientCheck.random([2, 6, 18], &rng) }

    func testGradientsUnderEveryMask() {
        let masks: [AttentionMask] = [.full, .causal, .causalWithin(4..<6), .causalWithin(1..<4)]
        for mask in masks {
            let core = AttentionCore(heads: 2, mask: mask)
            GradientCheck().check(core, input: qkv())
            core.visibleKeys = AttentionCore.visibleKeys(lengths: [6, 3], sequenceLength: 6)
            GradientCheck().check(core, input: qkv())
        }
    }

    func testGradientsWithScatteredKeyMaskAndFullyMaskedQueries() {
        // Sample 1 hides every key outside the register range 4..<6, so its patch queries see nothing.
        let core = AttentionCore(heads: 2, mask: .causalWithin(4..<6))
        core.visibleKeys = [true, false, true, true, false, true] + [false, false, false, false, true, true]
        let x = qkv()
        let y = core.forward(x)
        for t in 0..<4 { XCTAssertEqual(Array(y.values[(6 + t) * 6..<(7 + t) * 6]), [Float](repeating: 0, count: 6)) }
        GradientCheck().check(core, input: x)
    }

    func testMultiHeadAttention() {
        let attention = MultiHeadAttention(name: "attn", width: 6, heads: 2, mask: .causalWithin(3..<5), rng: &rng)
        XCTAssertEqual(attention.parameters.map(\.name), ["attn.qkv.weight", "attn.qkv.bias", "attn.proj.weight", "attn.proj.bias"])
        GradientCheck().check(attention, input: GradientCheck.random([2, 5, 6], &rng))
    }

    func testMaskSemantics() {
        let registers = AttentionMask.causalWithin(4..<7)
        XCTAssertTrue(registers.allows(query: 0, key: 3))
        XCTAssertFalse(registers.allows(query: 0, key: 4), "patches never see registers")
        XCTAssertTrue(registers.allows(query: 5, key: 2))
        XCTAssertTrue(registers.allows(query: 5, key: 4))
        XCTAssertTrue(registers.allows(query: 5, key: 5))
        XCTAssertFalse(registers.allows(query: 5, key: 6))
        XCTAssertTrue(AttentionMask.causal.allows(query: 2, key: 2))
        XCTAssertFalse(AttentionMask.causal.allows(query: 2, key: 3))
    }

    /// Through a stack of blocks, register i must not depend on any later register, even via the
    /// patches; and a hidden key must not influence anything.
    func testNoInformationFlowsFromLaterRegistersOrHiddenKeys() {
        let blocks = Sequential((0..<2).map { i in
            TransformerBlock(name: "b\(i)", width: 8, heads: 2, mlpRatio: 2, mask: .causalWithin(3..<6), rng: &rng) as Layer
        })
        let x = GradientCheck.random([1, 6, 8], &rng)
        let before = blocks.forward(x).values
        for i in 0..<8 { x[5 * 8 + i] += 1 }  // perturb the last register
        let after = blocks.forward(x).values
        XCTAssertEqual(Array(before[0..<40]), Array(after[0..<40]), "patches and registers 0-1 unchanged")
        XCTAssertNotEqual(Array(before[40..<48]), Array(after[40..<48]))

        for case let block as TransformerBlock in blocks.layers {
            block.visibleKeys = [true, true, false, true, true, true]
        }
        let hiddenBefore = blocks.forward(x).values
        for i in 0..<8 { x[2 * 8 + i] -= 3 }  // perturb the hidden key's token
        let hiddenAfter = blocks.forward(x).values
        for t in [0, 1, 3, 4, 5] {
            for i in 0..<8 { XCTAssertEqual(hiddenBefore[t * 8 + i], hiddenAfter[t * 8 + i], accuracy: 1e-6) }
        }
    }
}
