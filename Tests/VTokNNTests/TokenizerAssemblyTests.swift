import XCTest
@testable import VTokNN

/// A FlexTok-shaped autoencoder assembled from the public layers only, gradient-checked end to end.
final class TokenizerAssemblyTests: XCTestCase {
    func testRegisterAutoencoderGradients() {
        var rng = SeededRandom(seed: 5)
        let layout = PatchLayout(channels: 2, height: 4, width: 4, patchSize: 2)  // 4 patches of 8 values
        let width = 8, registers = 3
        let encoderBlock = TransformerBlock(name: "encoder.block0", width: width, heads: 2, mlpRatio: 2,
                                            mask: .causalWithin(layout.tokenCount..<layout.tokenCount + registers), rng: &rng)
        let dropTail = MaskEmbedding(name: "decoder.mask_token", width: width, rng: &rng)
        let decoderBlock = TransformerBlock(name: "decoder.block0", width: width, heads: 2, mlpRatio: 2, rng: &rng)
        let model = Sequential([
            Patchify(layout),
            Linear(name: "encoder.stem", inputs: layout.tokenWidth, outputs: width, rng: &rng),
            PositionEmbedding(name: "encoder.pos", length: layout.tokenCount, width: width, rng: &rng),
            LearnedTokens(name: "encoder.registers", count: registers, width: width, placement: .after, rng: &rng),
            encoderBlock,
            SequenceSlice(layout.tokenCount..<layout.tokenCount + registers),
            dropTail,
            LearnedTokens(name: "decoder.queries", count: layout.tokenCount, width: width, placement: .before, rng: &rng),
            decoderBlock,
            SequenceSlice(0..<layout.tokenCount),
            LayerNorm(name: "decoder.norm", width: width, kind: .rmsNorm),
            Linear(name: "decoder.head", inputs: width, outputs: layout.tokenWidth, rng: &rng),
            Unpatchify(layout),
        ])
        let names = model.parameters.map(\.name)
        XCTAssertEqual(Set(names).count, names.count)
        // Sample 0 keeps 2 of its 3 register tokens, sample 1 keeps 1; the decoder ignores the
        // dropped tokens as keys, except sample 1's second one, which it sees as a mask token.
        dropTail.keptLengths = [2, 1]
        decoderBlock.visibleKeys = [true, true, true, true, true, true, false] + [true, true, true, true, true, true, false]
        // Step 1e-3: learned tokens start at std 0.02, so the first layer norm divides their rows
        // by ≈0.02 and a step of 1e-2 would be half their scale, far outside the linear regime.
        // The loss here is O(10), so rounding stays ≈ 6e-8·10/1e-3 ≈ 6e-4, tiny against gradients O(100).
        GradientCheck(step: 1e-3).check(model, input: GradientCheck.random([2, 2, 4, 4], &rng))
    }
}
