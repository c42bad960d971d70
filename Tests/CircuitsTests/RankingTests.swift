import Foundation
import Testing
import Transformer
@testable import Circuits

/// Rankings: ACDC's leave thresholds reproduce the run, EAP-IG's greedy selection and MIB's ROC on a worked example,
/// ordering and pruning invariants.
@Suite struct RankingTests {
    /// One layer, one head, an MLP: 8 edges.
    static let small = CircuitGraph(nLayers: 1, nHeads: 1, hasMLP: true)

    static func edge(_ s: String, _ r: String) -> EdgeID { small.edge(sender: s, receiver: r)! }

    /// Scores chosen so that greedy and top-n differ: e7 (embed → m0) is third by score but only becomes a
    /// candidate once m0 has joined through m0 → resid_post.
    static func smallRanking() -> EdgeRanking {
        var scores = [Double](repeating: 0, count: small.edgeCount)
        for (s, r, v) in [("embed", "resid_post", 0.5), ("a0.0", "resid_post", 0.9), ("m0", "resid_post", 0.1),
                          ("embed", "a0.0.q", 0.3), ("embed", "a0.0.k", 0.05), ("embed", "a0.0.v", 0.8),
                          ("embed", "m0", 0.7), ("a0.0", "m0", 0.2)] {
            scores[edge(s, r).rawValue] = v
        }
        return EdgeRanking(name: "small", source: .flatList, scores: scores)
    }

    @Test func greedyGrowsFromTheOutput() {
        let ranking = Self.smallRanking()
        let expected: [(String, String)] = [
            ("a0.0", "resid_post"), ("embed", "a0.0.v"), ("embed", "resid_post"), ("embed", "a0.0.q"),
            ("m0", "resid_post"), ("embed", "m0"), ("a0.0", "m0"), ("embed", "a0.0.k"),
        ]
        for n in 0...8 {
            let circuit = ranking.greedy(n, absolute: false, graph: Self.small)
            #expect(circuit == Circuit(graph: Self.small, edges: expected.prefix(n).map { Self.edge($0.0, $0.1) }), "n \(n)")
        }
        // Top-n by score takes embed → m0 third.
        #expect(ranking.top(3, absolute: false).contains(Self.edge("embed", "m0")))
    }

    @Test func rocFollowsMIBOnAWorkedExample() throws {
        let ranking = Self.smallRanking()
        let attention = Circuit(graph: Self.small, edges: [Self.edge("a0.0", "resid_post"), Self.edge("embed", "a0.0.v")])
        let roc = try RankingROC(ranking: ranking, reference: attention, graph: Self.small, absolute: false)
        #expect(roc.points.map(\.requestedEdges) == [1, 1, 1, 1, 1, 1, 1, 2, 4, 8])
        // n = 1 keeps a0.0 → resid_post alone, which no input reaches: pruned to nothing.
        #expect(roc.points.map(\.keptEdges) == [0, 0, 0, 0, 0, 0, 0, 2, 4, 8])
        #expect(roc.points.map(\.truePositiveRate) == [0, 0, 0, 0, 0, 0, 0, 1, 1, 1])
        #expect(roc.points.map(\.falsePositiveRate) == [0, 0, 0, 0, 0, 0, 0, 0, 2.0 / 6, 1])
        #expect(abs(roc.area - 1) < 1e-12)
        let mlp = Circuit(graph: Self.small, edges: [Self.edge("embed", "m0"), Self.edge("a0.0", "m0")])
        let other = try RankingROC(ranking: ranking, reference: mlp, graph: Self.small, absolute: false)
        #expect(other.points.map(\.truePositiveRate) == [0, 0, 0, 0, 0, 0, 0, 0, 0, 1])
        #expect(abs(other.area - 1.0 / 6) < 1e-12)
        #expect(abs(other.cornerArea - 1.0 / 6) < 1e-12)
        #expect(throws: CircuitsError.evaluation(.degenerateReference(edges: 0, total: 8))) {
            _ = try RankingROC(ranking: ranking, reference: .empty(Self.small), graph: Self.small, absolute: false)
        }
    }

    @Test func greedyTakesExactlyNEdgesOnTheReferenceScores() throws {
        let graph = CircuitGraph(nLayers: 3, nHeads: 4, hasMLP: true)
        let text = try String(contentsOf: ExecutorFixtures.url("eap/logit_diff.EAP-IG-inputs-5.eapig.json"), encoding: .utf8)
        let ranking = try EdgeRanking.read(text, graph: graph, file: "scores")
        var previous = Circuit.empty(graph)
        for n in stride(from: 0, through: 262, by: 7) + [262] {
            let circuit = ranking.greedy(n, absolute: true, graph: graph)
            #expect(circuit.count == n && previous.isSubset(of: circuit))
            previous = circuit
        }
        #expect(previous.isFull)
    }

    @Test func orderBreaksTiesByEdgeIDAndCountsFollowMIB() {
        let ranking = EdgeRanking(name: "t", source: .flatList, scores: [0.5, -2, 0.5, 1, 0, -0.5, 2, 0])
        #expect(ranking.order(absolute: false).map(\.rawValue) == [6, 3, 0, 2, 4, 7, 5, 1])
        #expect(ranking.order(absolute: true).map(\.rawValue) == [1, 6, 3, 0, 2, 5, 4, 7])
        #expect(FaithfulnessCurve.mibBudgets.map { EdgeRanking.mibCount(budget: $0, total: 262) }
            == [0, 0, 1, 2, 5, 13, 26, 52, 131, 262])
    }

    /// The edges scoring at least the run's threshold are exactly the circuit the run kept, and the report's
    /// `tested_edges` / `whole_inputs` read back to the same ranking.
    @Test(arguments: [(0.001, false, true), (0.003, true, true), (0.0005, false, false)])
    func acdcRankingReproducesTheRun(threshold: Double, absolute: Bool, wholeInputs: Bool) throws {
        let model = try ExecutorFixtures.tinyGPT2()
        let tokens = try ExecutorFixtures.tokens()
        let graph = CircuitGraph(config: model.config)
        let prompts = try PromptSet(
            task: "t", clean: tokens.clean_tokens, corrupted: tokens.corrupted_tokens,
            readPositions: Array(repeating: [11], count: 8))
        var executor = try EdgePatchingExecutor(
            model: model, graph: graph, clean: prompts.clean, corrupted: prompts.corrupted, ablation: .resample,
            readPositions: .perPrompt(prompts.readPositions))
        let metric = try Metric(kind: .kl, promptSet: prompts, fullLogits: executor.cleanLogits)
        let result = try ACDCPruner.prune(
            executor: &executor, objective: PruningObjective(metric: metric),
            configuration: ACDCConfiguration(threshold: threshold, absoluteDifference: absolute, testWholeInputs: wholeInputs))
        #expect(result.circuit.count > 0 && result.circuit.count < graph.edgeCount)
        let ranking = try EdgeRanking.acdc(name: "run", graph: graph, result: result)
        let atThreshold = Circuit(graph: graph, edges: graph.edges.map(\.id).filter { ranking.scores[$0.rawValue] >= threshold })
        #expect(atThreshold == result.circuit)

        var report = CircuitReport(
            tool: "t", model: "m", task: nil, settings: [("completed", .bool(true))], metricName: "kl",
            fullMetric: 0, circuitMetric: 0, emptyMetric: 1, statistics: [], circuit: result.circuit,
            severedInputs: result.severedInputs, effects: result.effects)
        report.wholeInputEffects = result.wholeInputEffects
        let text = report.json(graph: graph)
        let read = try EdgeRanking.read(text, graph: graph, file: "report.json")
        #expect(read.source == .acdc && read.scores == ranking.scores)
        #expect(try Hypothesis.read(text, graph: graph).circuit == result.circuit)
    }

    @Test func incompleteOrOldACDCReportsAreRefused() throws {
        let graph = Self.small
        let old = "{\"format\": \"circuitry-circuit\", \"settings\": {\"completed\": true}, \"edges\": []}"
        #expect(throws: CircuitsError.self) { _ = try EdgeRanking.read(old, graph: graph, file: "old.json") }
        let stopped = "{\"format\": \"circuitry-circuit\", \"settings\": {\"completed\": false}, \"edges\": [], \"tested_edges\": []}"
        #expect(throws: CircuitsError.self) { _ = try EdgeRanking.read(stopped, graph: graph, file: "stopped.json") }
        let untested = "{\"format\": \"circuitry-circuit\", \"edges\": [], \"tested_edges\": []}"
        do {
            _ = try EdgeRanking.read(untested, graph: graph, file: "u.json")
            Issue.record("an untested resid_post edge must be refused")
        } catch let error as CircuitsError {
            #expect(error.description.contains("u.json") && error.description.contains("did not complete"))
        }
        #expect(throws: CircuitsError.interchange(file: "x.json", problem: .unknownFormat)) {
            _ = try EdgeRanking.read("{\"a\": 1}", graph: graph, file: "x.json")
        }
    }

    @Test func pruneKeepsPathsFromInputToOutput() {
        let g = Self.small
        // a0.0 → m0 and m0 → resid_post, but nothing into a0.0: no path from the input.
        let dangling = Circuit(graph: g, edges: [Self.edge("a0.0", "m0"), Self.edge("m0", "resid_post")])
        #expect(dangling.prunedAsEAPIG(in: g).isEmpty)
        // Entering a0.0 through its key is enough.
        let path = dangling.union(Circuit(graph: g, edges: [Self.edge("embed", "a0.0.k")]))
        #expect(path.prunedAsEAPIG(in: g) == path)
        // embed → a0.0.q with a0.0 sending nowhere: dropped.
        let deadEnd = Circuit(graph: g, edges: [Self.edge("embed", "a0.0.q"), Self.edge("embed", "resid_post")])
        #expect(deadEnd.prunedAsEAPIG(in: g) == Circuit(graph: g, edges: [Self.edge("embed", "resid_post")]))
    }
}
