import Foundation
import Testing
import Tensor
import Transformer
@testable import Circuits

/// Speculation's acceptance logic, in one process (`LocalCandidateEvaluator` with windows of K > 1): every
/// decision, every checkpointed state (bit patterns of every effect and loss included), every progress report and
/// the result equal the sequential run's, on tracr and the tiny GPT-2 at several thresholds, with and without
/// whole-input steps, dense tests too, and with test budgets that end in the middle of a window — whose stopped
/// state then resumes, with another window, to the sequential run's end.
@Suite struct SpeculativeACDCTests {
    /// What a run reported and returned, in a comparable form.
    struct Trace: Equatable {
        var states: [ACDCState] = []
        var progress: [String] = []
        var circuit: [Int] = []
        var severed: [Int] = []
        var effects: [UInt64?] = []
        var wholeEffects: [Int: UInt64] = [:]
        var statistics = ACDCStatistics()
        var metrics: [UInt64] = []
        var completed = false
        var stopped: ACDCState?
    }

    static func run(
        _ make: () throws -> (EdgePatchingExecutor, PruningObjective), window: Int, mode: EdgeTestMode = .sparse,
        configuration: ACDCConfiguration, resume: ACDCState? = nil
    ) throws -> (trace: Trace, result: PruningResult) {
        var (executor, objective) = try make()
        executor.edgeTests = mode
        var evaluator = LocalCandidateEvaluator(window: window)
        var trace = Trace()
        let result = try ACDCPruner.prune(
            executor: &executor, evaluator: &evaluator, objective: objective, configuration: configuration,
            resume: resume,
            progress: { p in
                trace.progress.append("\(p.node) \(p.step) \(p.statistics.tests) \(p.currentMetric.bitPattern) \(p.edgesPresent)")
            },
            checkpoint: { trace.states.append($0) })
        trace.circuit = result.circuit.edges.map(\.rawValue)
        trace.severed = result.severedInputs.map(\.rawValue).sorted()
        trace.effects = result.effects.map { $0?.bitPattern }
        trace.wholeEffects = Dictionary(uniqueKeysWithValues: result.wholeInputEffects.map { ($0.key.rawValue, $0.value.bitPattern) })
        trace.statistics = result.statistics
        trace.metrics = [result.fullMetric, result.circuitMetric, result.emptyMetric].map(\.bitPattern)
        trace.completed = result.completed
        trace.stopped = result.stoppedState
        return (trace, result)
    }

    /// Runs sequentially and with each window, checks the traces are equal and the accounting adds up.
    static func check(
        _ make: () throws -> (EdgePatchingExecutor, PruningObjective), configuration: ACDCConfiguration,
        windows: [Int] = [2, 3, 5], mode: EdgeTestMode = .sparse, _ what: String
    ) throws {
        let sequential = try run(make, window: 1, mode: mode, configuration: configuration)
        #expect(sequential.result.testing.evaluated == sequential.result.statistics.tests)
        #expect(sequential.result.testing.speculationYield == 1)
        for window in windows {
            let speculative = try run(make, window: window, mode: mode, configuration: configuration)
            #expect(speculative.trace == sequential.trace, "\(what), window \(window): differs from the sequential run")
            let t = speculative.result.testing
            #expect(t.used == speculative.result.statistics.tests, "\(what), window \(window)")
            #expect(t.evaluated >= t.used && t.work.tests == t.evaluated, "\(what), window \(window)")
            #expect(t.window == window)
        }
    }

    static func tracr(_ task: String) -> () throws -> (EdgePatchingExecutor, PruningObjective) {
        {
            let (executor, objective, _) = try ACDCTracrTests.setup(task)
            return (executor, objective)
        }
    }

    static func tinyGPT2() throws -> (EdgePatchingExecutor, PruningObjective) {
        let (executor, objective, _) = try ACDCDeterminismTests.setup()
        return (executor, objective)
    }

    @Test(arguments: ["reverse", "proportion"], [1e-4, 1e-2])
    func tracrWindowsEqualTheSequentialRun(task: String, threshold: Double) throws {
        try Self.check(Self.tracr(task), configuration: ACDCConfiguration(threshold: threshold), "tracr-\(task) \(threshold)")
    }

    @Test(arguments: [(0.001, false, true), (0.003, true, true), (0.0005, false, false), (0.01, false, true),
                      (0.05, false, true)])
    func tinyGPT2WindowsEqualTheSequentialRun(threshold: Double, absolute: Bool, wholeInputs: Bool) throws {
        try Self.check(Self.tinyGPT2, configuration: ACDCConfiguration(
            threshold: threshold, absoluteDifference: absolute, testWholeInputs: wholeInputs), "tiny-gpt2 \(threshold)")
    }

    @Test func denseTestsInWindowsEqualTheSequentialRun() throws {
        try Self.check(Self.tracr("reverse"), configuration: ACDCConfiguration(threshold: 1e-3), windows: [3],
                       mode: .dense, "tracr-reverse dense")
        try Self.check(Self.tinyGPT2, configuration: ACDCConfiguration(threshold: 0.01), windows: [4], mode: .dense,
                       "tiny-gpt2 dense")
    }

    /// Budgets that end inside a window (the window shrinks to what is left), in edge and whole-input steps; the
    /// stopped state resumed with another window finishes as the sequential run does.
    @Test(arguments: [1, 2, 7, 13, 22, 40])
    func budgetsEndingMidWindowStopAndResumeExactly(budget: Int) throws {
        let threshold = 0.003
        let bounded = ACDCConfiguration(threshold: threshold, maximumTests: budget)
        let sequential = try Self.run(Self.tinyGPT2, window: 1, configuration: bounded)
        let whole = try Self.run(Self.tinyGPT2, window: 1, configuration: ACDCConfiguration(threshold: threshold))
        for window in [3, 4] {
            let speculative = try Self.run(Self.tinyGPT2, window: window, configuration: bounded)
            #expect(speculative.trace == sequential.trace, "budget \(budget), window \(window)")
            #expect(speculative.result.statistics.tests == min(budget, whole.result.statistics.tests))
            guard let stopped = speculative.trace.stopped else { continue }
            let resumed = try Self.run(
                Self.tinyGPT2, window: 7 - window, configuration: ACDCConfiguration(threshold: threshold),
                resume: stopped)
            #expect(resumed.trace.circuit == whole.trace.circuit && resumed.trace.effects == whole.trace.effects)
            #expect(resumed.trace.severed == whole.trace.severed && resumed.trace.statistics == whole.trace.statistics)
            #expect(resumed.trace.states.last == whole.trace.states.last, "budget \(budget): resumed end state")
        }
    }

    /// Some speculation is wasted at a low threshold (edges are kept), none is used past a kept edge.
    @Test func keptEdgesDiscardTheRestOfTheirWindow() throws {
        let result = try Self.run(Self.tinyGPT2, window: 4, configuration: ACDCConfiguration(threshold: 0.0005)).result
        #expect(result.testing.evaluated > result.testing.used)
        #expect(result.testing.speculationYield < 1 && result.testing.speculationYield > 0)
    }
}
