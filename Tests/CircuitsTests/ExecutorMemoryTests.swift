import Testing
import Transformer
@testable import Circuits

/// The executor's memory is reported and bounded: GPT-2 small with 100 prompts × 15 tokens fits in 4 GiB, and the
/// estimate equals what a built executor reports.
@Suite struct ExecutorMemoryTests {
    @Test func gpt2SmallWithAHundredPromptsFitsInFourGiB() {
        let bytes = EdgePatchingExecutor.estimatedBytes(config: .gpt2Small, rows: 100 * 15, readRows: 100)
        #expect(bytes < 4 * 1024 * 1024 * 1024 - 600 * 1024 * 1024, "\(bytes) bytes, leaving too little for the model")
        #expect(bytes > 2_000_000_000)
    }

    /// Sparse tests add rows on demand, never more than `sparseRowBytes`: after a whole ACDC run the executor holds
    /// at most the estimate plus that bound, and the rows are reused from test to test.
    @Test func sparseTestsStayWithinTheirStatedBound() throws {
        var (executor, objective, graph) = try ACDCDeterminismTests.setup()
        _ = try ACDCPruner.prune(executor: &executor, objective: objective,
                                 configuration: ACDCConfiguration(threshold: 0.001))
        let c = executor.model.config
        let rows = executor.batch.rows
        #expect(executor.storedBytes > EdgePatchingExecutor.estimatedBytes(config: c, rows: rows, readRows: 8))
        #expect(executor.storedBytes <= EdgePatchingExecutor.estimatedBytes(config: c, rows: rows, readRows: 8)
                + EdgePatchingExecutor.sparseRowBytes(config: c, rows: rows))
        #expect(executor.senderRows.rows.count <= 2 * graph.senderCount)
        #expect(executor.testStatistics.tests > executor.senderRows.rows.count)
    }

    @Test func theEstimateIsWhatAnExecutorHolds() throws {
        let model = try ExecutorFixtures.tinyGPT2()
        let tokens = try ExecutorFixtures.tokens()
        let executor = try EdgePatchingExecutor(
            model: model, clean: tokens.clean_tokens, corrupted: tokens.corrupted_tokens, ablation: .resample)
        #expect(executor.storedBytes == EdgePatchingExecutor.estimatedBytes(config: model.config, rows: 96, readRows: 8))
    }
}
