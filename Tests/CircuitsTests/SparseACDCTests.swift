import Foundation
import Testing
import Tensor
import Transformer
@testable import Circuits

/// ACDC with sparse tests (the default) decides exactly as with dense tests, the executor circuitry used before:
/// the same circuit, the same severed inputs, the same tested edges, on tracr, the tiny GPT-2 at the thresholds its
/// other tests use, and a budgeted run on the GPT-2-small shape. The two compute the same sums in different orders,
/// so the measured effects agree to float rounding (1e-5), not bit for bit.
@Suite struct SparseACDCTests {
    static func compare(
        _ make: () throws -> (EdgePatchingExecutor, PruningObjective), configuration: ACDCConfiguration,
        _ what: String
    ) throws -> PruningResult {
        var results: [PruningResult] = []
        for mode in [EdgeTestMode.sparse, .dense] {
            var (executor, objective) = try make()
            executor.edgeTests = mode
            results.append(try ACDCPruner.prune(executor: &executor, objective: objective, configuration: configuration))
        }
        let (sparse, dense) = (results[0], results[1])
        let graph = try make().0.graph
        let missing = dense.circuit.subtracting(sparse.circuit).edges.map { graph.name(of: $0) }
        let extra = sparse.circuit.subtracting(dense.circuit).edges.map { graph.name(of: $0) }
        #expect(missing.isEmpty && extra.isEmpty, "\(what): sparse lacks \(missing), adds \(extra)")
        #expect(sparse.severedInputs == dense.severedInputs, "\(what): severed inputs differ")
        #expect(sparse.statistics == dense.statistics, "\(what): \(sparse.statistics) vs \(dense.statistics)")
        for e in 0..<graph.edgeCount {
            switch (sparse.effects[e], dense.effects[e]) {
            case (nil, nil): break
            case let (a?, b?):
                #expect(abs(a - b) <= 1e-5 + 1e-5 * abs(b), "\(what): \(graph.name(of: EdgeID(e))) \(a) vs \(b)")
            default:
                Issue.record("\(what): \(graph.name(of: EdgeID(e))) tested in one mode only")
            }
        }
        #expect(sparse.testing.mode == .sparse && dense.testing.mode == .dense)
        #expect(sparse.testing.work.tests == sparse.statistics.tests && dense.testing.work.tests == dense.statistics.tests)
        return sparse
    }

    @Test(arguments: ["reverse", "proportion"], [1e-4, 1e-3, 1e-2])
    func tracrUnderZeroAblation(task: String, threshold: Double) throws {
        let sparse = try Self.compare({
            let (executor, objective, _) = try ACDCTracrTests.setup(task)
            return (executor, objective)
        }, configuration: ACDCConfiguration(threshold: threshold), "tracr-\(task) \(threshold)")
        #expect(sparse.testing.work.skippedFLOPs > 0)
    }

    @Test(arguments: [(0.001, false, true), (0.003, true, true), (0.0005, false, false), (0.01, false, true),
                      (0.05, false, true)])
    func tinyGPT2(threshold: Double, absolute: Bool, wholeInputs: Bool) throws {
        _ = try Self.compare({
            let (executor, objective, _) = try ACDCDeterminismTests.setup()
            return (executor, objective)
        }, configuration: ACDCConfiguration(threshold: threshold, absoluteDifference: absolute,
                                            testWholeInputs: wholeInputs),
        "tiny-gpt2 \(threshold)")
    }

    /// GPT-2 small's shape with random weights, as the benchmarks use it (four prompts here): within its budget
    /// the run tests receivers from `resid_post` down through the middle layers, most of them unused and pruned
    /// untested.
    @Test func gpt2SmallShapedBudgetRun() throws {
        let config = ModelConfig.gpt2Small
        let model = TransformerModel.random(config: config, seed: 42)
        var g = SeededGenerator(seed: 1)
        let clean = (0..<4).map { _ in (0..<16).map { _ in g.uniform(config.dVocab) } }
        let corrupted = (0..<4).map { _ in (0..<16).map { _ in g.uniform(config.dVocab) } }
        let prompts = try PromptSet(
            task: "budget", clean: clean, corrupted: corrupted, readPositions: Array(repeating: [15], count: 4))
        let sparse = try Self.compare({
            let executor = try EdgePatchingExecutor(
                model: model, clean: clean, corrupted: corrupted, ablation: .resample,
                readPositions: .perPrompt(prompts.readPositions))
            let metric = try Metric(kind: .kl, promptSet: prompts, fullLogits: executor.cleanLogits)
            return (executor, PruningObjective(metric: metric))
        }, configuration: ACDCConfiguration(threshold: 0.01, maximumTests: 300), "gpt2-small budget")
        print("BUDGET", sparse.completed, sparse.statistics, sparse.circuit.count, sparse.testing)
        #expect(!sparse.completed && sparse.statistics.tests == 300)
        #expect(sparse.testing.work.skippedFLOPs > sparse.testing.work.flops)
    }
}
