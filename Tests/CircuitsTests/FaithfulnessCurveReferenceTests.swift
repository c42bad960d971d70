import Foundation
import Testing
import Tensor
import Transformer
@testable import Circuits

/// MIB's faithfulness curve against `Fixtures/eap/mib_curve.json` (MIB's own `evaluate_area_under_curve` on EAP-IG's
/// scores, see `Fixtures/eap/SOURCE.md`): every point's kept edges exactly, m(C) and f to 1e-5, CPR and CMD to 1e-5,
/// for absolute and signed rankings; and the random circuits' m(C).
@Suite struct FaithfulnessCurveReferenceTests {
    static func setup() throws -> (EdgePatchingExecutor, Metric, CircuitGraph) {
        let (executor, metric, graph, _) = try setupWithPrompts()
        return (executor, metric, graph)
    }

    static func setupWithPrompts() throws -> (EdgePatchingExecutor, Metric, CircuitGraph, PromptSet) {
        let model = try ExecutorFixtures.tinyGPT2()
        let tokens = try ExecutorFixtures.tokens()
        let graph = CircuitGraph(config: model.config)
        let n = tokens.clean_tokens.count
        let prompts = try PromptSet(
            task: "tiny-gpt2", clean: tokens.clean_tokens, corrupted: tokens.corrupted_tokens,
            readPositions: Array(repeating: [tokens.clean_tokens[0].count - 1], count: n),
            correct: tokens.answer_tokens.map { [$0] }, incorrect: tokens.wrong_tokens.map { [$0] })
        let executor = try EdgePatchingExecutor(
            model: model, graph: graph, clean: prompts.clean, corrupted: prompts.corrupted, ablation: .resample,
            readPositions: .perPrompt(prompts.readPositions))
        let metric = try Metric(kind: .logitDiff, promptSet: prompts, fullLogits: executor.cleanLogits)
        return (executor, metric, graph, prompts)
    }

    static func fixture(_ name: String) throws -> [String: Any] {
        let data = try Data(contentsOf: ExecutorFixtures.url("eap/\(name)"))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    static func ranking(_ graph: CircuitGraph) throws -> EdgeRanking {
        let text = try String(contentsOf: ExecutorFixtures.url("eap/logit_diff.EAP-IG-inputs-5.eapig.json"), encoding: .utf8)
        return try EdgeRanking.read(text, graph: graph, file: "EAP-IG-inputs-5.eapig.json")
    }

    @Test(arguments: [true, false])
    func curveMatchesMIB(absolute: Bool) throws {
        var (executor, metric, graph, prompts) = try Self.setupWithPrompts()
        let reference = try #require((try Self.fixture("mib_curve.json")["curves"] as? [String: Any])?["absolute_\(absolute ? "True" : "False")"] as? [String: Any])
        let ranking = try Self.ranking(graph)
        let curve = try FaithfulnessCurve.measure(executor: &executor, metric: metric, ranking: ranking, absolute: absolute)
        let full = try #require(reference["m_full_clean_baseline"] as? Double)
        let empty = try #require(reference["m_empty_corrupted"] as? Double)
        #expect(abs(curve.fullMetric - full) <= 1e-5)
        #expect(abs(curve.emptyMetric - empty) <= 1e-5)
        let points = try #require(reference["points"] as? [[String: Any]])
        #expect(points.count == curve.points.count)
        for (expected, point) in zip(points, curve.points) {
            let k = try #require(expected["k"] as? Double)
            #expect(point.budget == k)
            #expect(point.requestedEdges == expected["n_requested"] as? Int, "k \(k)")
            #expect(point.keptEdges == expected["edges_kept_after_prune"] as? Int, "k \(k)")
            #expect(point.nodes == expected["nodes_kept"] as? Int, "k \(k)")
            let kept = try #require(expected["kept_edges"] as? [[String]])
            let expectedCircuit = try Circuit(graph: graph, namedEdges: kept.map { ($0[0], $0[1]) })
            #expect(point.circuit == expectedCircuit, "k \(k): kept edges differ")
            let m = try #require(expected["m_C_logit_diff"] as? Double)
            let f = try #require(expected["faithfulness"] as? Double)
            #expect(abs(point.metric - m) <= 1e-5, "k \(k): m(C) \(point.metric) vs \(m)")
            #expect(abs(point.faithfulness - f) <= 1e-5, "k \(k): f \(point.faithfulness) vs \(f)")
            // The same circuit under ACDC's KL (summed over the vocabulary, mean over prompts), as --metric kl.
            let kl = try Metric(kind: .kl, promptSet: prompts, fullLogits: executor.cleanLogits)
            let mKL = try kl.evaluate(executor.logits(keeping: point.circuit)).mean
            let expectedKL = try #require(expected["m_C_kl"] as? Double)
            #expect(abs(mKL - expectedKL) <= 1e-5, "k \(k): KL \(mKL) vs \(expectedKL)")
        }
        let cpr = try #require(reference["CPR_area_under"] as? Double)
        let cmd = try #require(reference["CMD_area_from_1"] as? Double)
        let average = try #require(reference["average_faithfulness"] as? Double)
        #expect(abs(curve.cpr - cpr) <= 1e-5, "CPR \(curve.cpr) vs \(cpr)")
        #expect(abs(curve.cmd - cmd) <= 1e-5, "CMD \(curve.cmd) vs \(cmd)")
        #expect(abs(curve.average - average) <= 1e-5)
    }

    /// MIB's own faithfulness values give MIB's CPR and CMD through `areas` to rounding.
    @Test func areasReproduceMIBFromItsOwnFaithfulness() throws {
        let curves = try #require(try Self.fixture("mib_curve.json")["curves"] as? [String: [String: Any]])
        for (_, curve) in curves {
            let f = try #require(curve["faithfulnesses"] as? [Double])
            let areas = FaithfulnessCurve.areas(budgets: FaithfulnessCurve.mibBudgets, faithfulness: f)
            #expect(abs(areas.cpr - (curve["CPR_area_under"] as? Double ?? .nan)) <= 1e-12)
            #expect(abs(areas.cmd - (curve["CMD_area_from_1"] as? Double ?? .nan)) <= 1e-12)
        }
    }

    @Test func randomCircuitsGiveTheRecordedMetric() throws {
        var (executor, metric, graph) = try Self.setup()
        let subsets = try #require(try Self.fixture("random_circuits.json")["subsets"] as? [[String: Any]])
        #expect(subsets.count == 3)
        for subset in subsets {
            let edges = try #require(subset["edges"] as? [[String]])
            let prunedEdges = try #require(subset["edges_after_eapig_prune"] as? [[String]])
            let circuit = try Circuit(graph: graph, namedEdges: edges.map { ($0[0], $0[1]) })
            let pruned = try Circuit(graph: graph, namedEdges: prunedEdges.map { ($0[0], $0[1]) })
            #expect(circuit.count == subset["n_edges"] as? Int)
            #expect(circuit.prunedAsEAPIG(in: graph) == pruned, "seed \(subset["seed"] ?? "?")")
            let expected = try #require(subset["m_C_logit_diff"] as? Double)
            for c in [circuit, pruned] {
                let m = try metric.evaluate(executor.logits(keeping: c)).mean
                #expect(abs(m - expected) <= 1e-5, "seed \(subset["seed"] ?? "?"): m(C) \(m) vs \(expected)")
            }
        }
    }

    /// The flat list of the same scores (circuitry names) ranks the same.
    @Test func flatListReadsAsTheSameRanking() throws {
        let (_, _, graph) = try Self.setup()
        let text = try String(contentsOf: ExecutorFixtures.url("eap/logit_diff.EAP-IG-inputs-5.flat.json"), encoding: .utf8)
        let flat = try EdgeRanking.read(text, graph: graph, file: "flat.json")
        #expect(flat.source == .flatList)
        #expect(flat.scores == (try Self.ranking(graph)).scores)
    }
}
