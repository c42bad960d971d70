import Foundation
import Testing
import Tensor
import Transformer
@testable import Circuits

/// The executor's self-check must not pass a model that computes NaN: comparing NaN with anything is false, so a
/// `difference > tolerance` check lets it through. (Issue 15, item 3; the executor belongs to issue 13's rework.)
@Suite struct ExecutorNonFiniteTests {
    @Test
    func selfCheckRejectsNaNLogits() throws {
        let model = try ExecutorFixtures.tinyGPT2()
        var weights = model.weights
        weights.blocks[1].outBias[flat: 0] = .nan
        let broken = TransformerModel(config: model.config, weights: weights, source: "nan")
        let tokens = try ExecutorFixtures.tokens()
        var executor = try EdgePatchingExecutor(
            model: broken, clean: tokens.clean_tokens, corrupted: tokens.corrupted_tokens, ablation: .resample,
            readPositions: .last)
        #expect(throws: (any Error).self) { try executor.selfCheck() }
    }
}
