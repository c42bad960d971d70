/// The attribution scores behind a circuit found from EAP or EAP-IG scores (`discover --method eap-ig-inputs`):
///
///       "edge_scores": [
///         {"sender": "embed", "receiver": "a0.0.q", "score": -0.0022833},
///         …
///       ]
///
/// every edge of the graph in graph order, scores written exactly (the shortest decimal that reads back to the
/// same double), so that `evaluate --scores` ranks the edges by them as it ranks an EAP-IG graph file. Additive:
/// `verify` and `compare` read only `edges`.
extension CircuitReport {
    func edgeScoresJSON(graph: CircuitGraph) -> String {
        guard let scores else { return "" }
        precondition(scores.count == graph.edgeCount, "CircuitReport: scores of another graph")
        var out = ",\n  \"edge_scores\": ["
        for (i, edge) in graph.edges.enumerated() {
            out += (i == 0 ? "\n" : ",\n") + "    {\"sender\": " + JSONValue.string(graph[edge.sender].name).text
            out += ", \"receiver\": " + JSONValue.string(graph[edge.receiver].name).text
            out += ", \"score\": " + (scores[i].isFinite ? PythonFloat.repr(scores[i]) : "null") + "}"
        }
        out += scores.isEmpty ? "]" : "\n  ]"
        return out
    }
}
