import Foundation
import Testing
@testable import Circuits

/// EAP-IG / MIB graph JSON: names, order, byte-exact writing, reading with clear errors, and import as a hypothesis.
/// Fixtures are EAP-IG's own `Graph.to_json` output on the tiny GPT-2 (`Fixtures/eap/SOURCE.md`).
@Suite struct EAPIGGraphTests {
    static let graph = CircuitGraph(nLayers: 3, nHeads: 4, hasMLP: true)
    static let files = ["logit_diff.EAP-IG-inputs-5.eapig.json", "logit_diff.exact.eapig.json", "kl.EAP.eapig.json"]

    static func text(_ name: String) throws -> String {
        try String(contentsOf: ExecutorFixtures.url("eap/\(name)"), encoding: .utf8)
    }

    @Test func namesAndOrderAreEAPIGs() throws {
        let graph = Self.graph
        let order = graph.edgesInEAPIGOrder
        #expect(order.count == 262 && Set(order).count == 262)
        // The EAP-IG file lists its edges in dict order; the flat file lists the same edges, same order, in circuitry's
        // names. Pairing them checks both the order and the name mapping.
        let root = try LineJSON.parse(try Self.text("logit_diff.EAP-IG-inputs-5.eapig.json"))
        guard case .object(let members)? = root["edges"]?.value else { Issue.record("no edges"); return }
        #expect(members.map(\.key) == order.map(graph.eapigName(of:)))
        let flat = try #require(try JSONSerialization.jsonObject(
            with: Data(Self.text("logit_diff.EAP-IG-inputs-5.flat.json").utf8)) as? [[String: Any]])
        #expect(flat.map { "\($0["sender"]!)->\($0["receiver"]!)" } == order.map(graph.name(of:)))
        #expect(graph.eapigName(of: try #require(graph.edge(sender: "a0.1", receiver: "a2.3.k"))) == "a0.h1->a2.h3<k>")
        #expect(graph.edge(eapigName: "input->m0") == graph.edge(sender: "embed", receiver: "m0"))
        #expect(graph.edge(eapigName: "m2->logits") == graph.edge(sender: "m2", receiver: "resid_post"))
        #expect(graph.edge(eapigName: "a2.h0->a1.h0<q>") == nil)
        #expect(graph.edge(eapigName: "a0.h4->m0") == nil)
        #expect(graph.edge(eapigName: "a0.h1->a2.h3<x>") == nil)
    }

    @Test(arguments: files)
    func readingAndWritingGivesEAPIGsBytes(file: String) throws {
        let text = try Self.text(file)
        let parsed = try EAPIGGraph(json: text, graph: Self.graph, file: file)
        #expect(parsed.dModel == 64)
        #expect(parsed.jsonString(graph: Self.graph) == text)
    }

    @Test func exactScoresFileKeepsItsCircuitAndNodes() throws {
        let parsed = try EAPIGGraph(json: try Self.text("logit_diff.exact.eapig.json"), graph: Self.graph, file: "exact")
        #expect(parsed.circuit.count == 247)
        let m2 = try #require(Self.graph.mlpInputReceiver(layer: 2))
        #expect(parsed.circuit.incomingEdges(of: m2, in: Self.graph).isEmpty)
        // The writer derives node flags from the circuit: the same as EAP-IG wrote (m2 sends but receives nothing).
        let derived = try EAPIGGraph(graph: Self.graph, dModel: 64, scores: parsed.scores, circuit: parsed.circuit)
        #expect(derived == parsed)
    }

    @Test func pythonFloatRepr() {
        let cases: [(Double, String)] = [
            (0, "0.0"), (-0.0, "-0.0"), (1, "1.0"), (12.5, "12.5"), (0.0001, "0.0001"), (0.00001, "1e-05"),
            (-0.002280783373862505, "-0.002280783373862505"), (1.6087142284959555e-05, "1.6087142284959555e-05"),
            (1e16, "1e+16"), (1234567890123456.0, "1234567890123456.0"), (1.5e-300, "1.5e-300"), (100, "100.0"),
            (Double(Float(0.1)), "0.10000000149011612"),
        ]
        for (value, expected) in cases { #expect(PythonFloat.repr(value) == expected, "\(value)") }
    }

    @Test func badFilesNameTheProblem() throws {
        let graph = Self.graph
        func problem(_ text: String) -> InterchangeProblem? {
            do {
                _ = try EAPIGGraph(json: text, graph: graph, file: "g.json")
                return nil
            } catch CircuitsError.interchange(let file, let problem) {
                #expect(file == "g.json")
                return problem
            } catch {
                return nil
            }
        }
        let cfg = "\"cfg\": {\"n_layers\": 3, \"n_heads\": 4, \"parallel_attn_mlp\": false, \"d_model\": 64}"
        #expect(problem("{\"cfg\": {\"n_layers\": 12, \"n_heads\": 12}, \"nodes\": {}, \"edges\": {}}")
            == .shapeMismatch(file: "12 layers × 12 heads", model: "3 layers × 4 heads"))
        #expect(problem("{\"cfg\": {\"n_layers\": 3, \"n_heads\": 4, \"parallel_attn_mlp\": true}, \"edges\": {}}")
            == .parallelAttentionMLP)
        guard case .unknownEdge(let name, let suggestions)? = problem("{\(cfg), \"edges\": {\"a0.h1->a2.h3<kk>\": {\"score\": 1, \"in_graph\": true}}}") else {
            Issue.record("unknown edge not reported"); return
        }
        #expect(name == "a0.h1->a2.h3<kk>" && suggestions.first == "a0.h1->a2.h3<k>")
        #expect(problem("{\(cfg), \"edges\": {\"input->m0\": {\"score\": \"x\", \"in_graph\": true}}}")
            == .badScore(edge: "input->m0", found: "a string"))
        #expect(problem("{\(cfg), \"edges\": {\"input->m0\": {\"score\": 1, \"in_graph\": true}, \"input->m0\": {\"score\": 1, \"in_graph\": true}}}")
            == .duplicateEdge(name: "input->m0"))
        #expect(problem("{\(cfg), \"nodes\": {\"m0\": {\"in_graph\": true, \"neurons\": [true, false]}}, \"edges\": {}}")
            == .neuronLevel(node: "m0"))
        guard case .malformed(let line, _)? = problem("{\(cfg), \"edges\": {\"input->m0\": {\"score\": NaN}}}") else {
            Issue.record("NaN not reported"); return
        }
        #expect(line == 1)
        let partial = try EAPIGGraph(json: "{\(cfg), \"edges\": {\"input->m0\": {\"score\": 1, \"in_graph\": true}}}",
                                     graph: graph, file: "g.json")
        #expect(throws: CircuitsError.interchange(file: "g.json", problem: .missingScores(count: 261, first: "input->a0.h0<q>"))) {
            _ = try partial.completeScores(graph: graph, file: "g.json")
        }
        let tracr = CircuitGraph(nLayers: 2, nHeads: 1, hasMLP: true, separatePositionEmbedding: true)
        #expect(throws: CircuitsError.self) { _ = try EAPIGGraph(json: "{\(cfg), \"edges\": {}}", graph: tracr, file: "g") }
    }

    /// verify and compare read EAP-IG graph JSON through the hypothesis readers: its in_graph edges.
    @Test func graphFileIsAHypothesis() throws {
        let hypothesis = try Hypothesis.read(try Self.text("logit_diff.exact.eapig.json"), graph: Self.graph, file: "exact.json")
        #expect(hypothesis.circuit.count == 247)
        let attribution = try Hypothesis.read(try Self.text("kl.EAP.eapig.json"), graph: Self.graph, file: "eap.json")
        #expect(attribution.circuit.isEmpty)
    }
}
