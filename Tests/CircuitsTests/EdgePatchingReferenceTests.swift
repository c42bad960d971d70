import Foundation
import Testing
import Tensor
import Transformer
@testable import Circuits

/// Patched logits against auto-circuit 1.0.1 (`patchable_model(tl, factorized=True, separate_qkv=True)` and
/// `patch_mode`) on the tiny GPT-2: every mask of `edge_patching.json`, under resample and zero ablation, at every
/// position, to 1e-4 (the reference README's tolerance for patched logits).
@Suite struct EdgePatchingReferenceTests {
    static let masks = ["none", "all", "single:embed->a1.2.k", "single:a0.3->m1", "single:m2->resid_post",
                        "random10", "random50", "random90"]

    @Test(arguments: [AblationKind.resample, .zero], masks)
    func patchedLogitsMatchAutoCircuit(ablation: AblationKind, mask: String) throws {
        var (executor, graph, tokens) = try ExecutorFixtures.referenceExecutor(ablation: ablation, readPositions: .all)
        let (entry, circuit, ablatedCount, expected) = try ExecutorFixtures.referenceMask(
            mask, graph: graph, ablation: ablation)
        #expect(circuit.ablatedCount == ablatedCount)
        let incremental = executor.logits(keeping: circuit)
        expectClose(incremental, expected, atol: 1e-4, "\(ablation) \(mask)")
        let full = executor.logits(keeping: circuit, recomputeEverything: true)
        expectClose(full, expected, atol: 1e-4, "\(ablation) \(mask), recomputing everything")
        let metric = ExecutorFixtures.logitDifference(
            executor.logits(keeping: circuit).reshapedLast(), tokens: tokens)
        let expectedMetric = try #require(entry["\(ablation.rawValue)_metric_logit_diff"] as? Double)
        #expect(abs(metric - expectedMetric) <= 1e-5 + 1e-5 * abs(expectedMetric), "\(mask): metric \(metric) vs \(expectedMetric)")
    }

    /// With logits read at the last position only, the last layer is computed at those rows only; the result must
    /// still match auto-circuit's logits there.
    @Test(arguments: [AblationKind.resample, .zero], ["random10", "random50", "random90", "all"])
    func lastPositionOnlyMatchesAutoCircuit(ablation: AblationKind, mask: String) throws {
        var (executor, graph, _) = try ExecutorFixtures.referenceExecutor(ablation: ablation, readPositions: .last)
        let reference = try ExecutorFixtures.referenceMask(mask, graph: graph, ablation: ablation)
        let (circuit, expected) = (reference.circuit, reference.logits.reshapedLast())
        expectClose(executor.logits(keeping: circuit), expected, atol: 1e-4, "\(ablation) \(mask), last position")
        expectClose(executor.logits(keeping: circuit, recomputeEverything: true), expected, atol: 1e-4,
                    "\(ablation) \(mask), last position, recomputing everything")
    }

    @Test func selfChecksPassOnTheReferenceModel() throws {
        let model = try ExecutorFixtures.tinyGPT2()
        let tokens = try ExecutorFixtures.tokens()
        var executor = try EdgePatchingExecutor(
            model: model, clean: tokens.clean_tokens, corrupted: tokens.corrupted_tokens, ablation: .resample)
        try executor.selfCheck()
    }

    @Test func runsInAnyOrderGiveTheSameLogits() throws {
        // The executor reuses stored rows between runs; a run must not depend on what ran before it.
        let model = try ExecutorFixtures.tinyGPT2()
        let tokens = try ExecutorFixtures.tokens()
        let graph = CircuitGraph(config: model.config)
        var executor = try EdgePatchingExecutor(
            model: model, graph: graph, clean: tokens.clean_tokens, corrupted: tokens.corrupted_tokens, ablation: .resample)
        var low = Circuit.full(graph)
        low.remove(try #require(graph.edge(sender: "embed", receiver: "a0.1.v")))
        var high = Circuit.full(graph)
        high.remove(try #require(graph.edge(sender: "a1.2", receiver: "a2.3.k")))
        let lowFirst = executor.logits(keeping: low)
        let highAfterLow = executor.logits(keeping: high)
        var fresh = try EdgePatchingExecutor(
            model: model, graph: graph, clean: tokens.clean_tokens, corrupted: tokens.corrupted_tokens, ablation: .resample)
        let highFresh = fresh.logits(keeping: high)
        let lowAfterHigh = fresh.logits(keeping: low)
        #expect(highAfterLow == highFresh)
        #expect(lowAfterHigh == lowFirst)
    }
}

extension Tensor {
    /// `[batch, positions, vocab]` → `[batch, 1, vocab]` holding the last position.
    func reshapedLast() -> Tensor {
        let b = shape[0], p = shape[1], v = shape[2]
        var out = Tensor(shape: [b, 1, v])
        for i in 0..<b { for j in 0..<v { out[i, 0, j] = self[i, p - 1, j] } }
        return out
    }
}
