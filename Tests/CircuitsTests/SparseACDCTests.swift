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

    /// GPT-2 small's shape with random weights (the benchmarks' model), four prompts of 16 tokens, KL, τ = 0.01,
    /// 300 tests: the run tests `resid_post`, receivers of layer 8 and of layer 4, and prunes 27,162 edges of unused
    /// receivers untested. The dense run's result is recorded in `Fixtures/executor/gpt2-small-budget-acdc.json`
    /// (a dense run takes minutes in a debug build; `CIRCUITRY_WRITE_FIXTURES=1` runs it and rewrites the file);
    /// the sparse run must reproduce its circuit, severed inputs and counts exactly and its effects to 1e-5. The
    /// `SparseEdgeTests` benchmark compares a longer run of both live.
    @Test func gpt2SmallShapedBudgetRun() throws {
        let config = ModelConfig.gpt2Small
        let model = TransformerModel.random(config: config, seed: 42)
        var g = SeededGenerator(seed: 1)
        let clean = (0..<4).map { _ in (0..<16).map { _ in g.uniform(config.dVocab) } }
        let corrupted = (0..<4).map { _ in (0..<16).map { _ in g.uniform(config.dVocab) } }
        let prompts = try PromptSet(
            task: "budget", clean: clean, corrupted: corrupted, readPositions: Array(repeating: [15], count: 4))
        func run(_ mode: EdgeTestMode) throws -> PruningResult {
            var executor = try EdgePatchingExecutor(
                model: model, clean: clean, corrupted: corrupted, ablation: .resample,
                readPositions: .perPrompt(prompts.readPositions))
            executor.edgeTests = mode
            let metric = try Metric(kind: .kl, promptSet: prompts, fullLogits: executor.cleanLogits)
            return try ACDCPruner.prune(executor: &executor, objective: PruningObjective(metric: metric),
                                        configuration: ACDCConfiguration(threshold: 0.01, maximumTests: 300))
        }
        if ProcessInfo.processInfo.environment["CIRCUITRY_WRITE_FIXTURES"] == "1" {
            let dense = BudgetRunRecord(try run(.dense))
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
                .appendingPathComponent("Fixtures/executor/gpt2-small-budget-acdc.json")
            try encoder.encode(dense).write(to: url)
        }
        let recorded = try JSONDecoder().decode(
            BudgetRunRecord.self, from: Data(contentsOf: ExecutorFixtures.url("executor/gpt2-small-budget-acdc.json")))
        let result = try run(.sparse)
        let sparse = BudgetRunRecord(result)
        #expect(!result.completed && result.statistics.tests == 300)
        #expect(sparse.kept == recorded.kept && sparse.severed == recorded.severed)
        #expect(sparse.statistics == recorded.statistics && sparse.statistics.edgesRemovedUnused == 27162)
        #expect(sparse.tested == recorded.tested)
        for (a, b) in zip(sparse.effects, recorded.effects) { #expect(abs(a - b) <= 1e-5 + 1e-5 * abs(b)) }
        #expect(result.testing.work.skippedFLOPs > result.testing.work.flops)
    }
}

/// What a budgeted ACDC run decided: kept edges and severed inputs (ids), counts, tested edges and their effects.
struct BudgetRunRecord: Codable {
    var kept: [Int]
    var severed: [Int]
    var statistics: ACDCStatistics
    var tested: [Int]
    var effects: [Double]

    init(_ result: PruningResult) {
        kept = result.circuit.edges.map(\.rawValue)
        severed = result.severedInputs.map(\.rawValue).sorted()
        statistics = result.statistics
        tested = result.effects.indices.filter { result.effects[$0] != nil }
        effects = tested.map { result.effects[$0]! }
    }
}
