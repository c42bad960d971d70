/// The scores of every edge of a graph from one attribution run, by dense edge id.
public struct AttributionResult: Sendable {
    public let settings: AttributionSettings
    /// Per `EdgeID.rawValue`, the edge's score: positive when ablating the edge raises the loss (EAP-IG's sign).
    public let scores: [Double]
    /// Prompts attributed, and how many chunks they were processed in.
    public let prompts: Int
    public let chunks: Int
    /// Forward and backward passes run (exact: forward passes of the executor).
    public let forwardPasses: Int
    public let backwardPasses: Int
    /// The largest memory estimate of a chunk, bytes.
    public let estimatedBytes: Int

    /// The scores as a ranking (for `evaluate`'s faithfulness curve, or `discover`'s top edges).
    public func ranking(name: String) -> EdgeRanking {
        EdgeRanking(name: name, source: .eapigGraph, scores: scores)
    }

    /// Edges by |score|, best first, ties to the lower id (EAP-IG's `apply_topn(absolute=True)` order).
    public var order: [EdgeID] { ranking(name: "").order(absolute: true) }
}

/// Progress of an attribution: after every backward pass (or, for `exact`, every edge).
public struct AttributionProgress: Sendable {
    public var pass: Int
    public var passes: Int
    /// What the pass was, e.g. "chunk 1/1, step 3/5".
    public var what: String
}

extension AttributionResult {
    /// The scores as circuitry's flat score list, `[{"sender", "receiver", "score"}, …]`, one edge per line in graph
    /// order, scores written exactly (shortest round-trip decimal): what `evaluate --scores` reads for graphs that
    /// EAP-IG's format cannot describe (tracr's separate position embedding, attention-only models).
    public func flatJSON(graph: CircuitGraph) -> String {
        precondition(scores.count == graph.edgeCount, "AttributionResult: scores of another graph")
        var out = "[\n"
        for (i, edge) in graph.edges.enumerated() {
            out += "{\"sender\": " + JSONValue.string(graph[edge.sender].name).text
            out += ", \"receiver\": " + JSONValue.string(graph[edge.receiver].name).text
            out += ", \"score\": " + PythonFloat.repr(scores[i]) + "}" + (i + 1 < graph.edgeCount ? ",\n" : "\n")
        }
        return out + "]\n"
    }

    /// EAP-IG / MIB graph JSON of the scores (`Graph.to_json`'s bytes; every edge and node `in_graph: false`, as
    /// EAP-IG's `attribute` leaves them).
    ///
    /// - Throws: `CircuitsError.interchange(.incompatibleGraph)` for graphs EAP-IG cannot describe.
    public func eapigJSON(graph: CircuitGraph, dModel: Int) throws -> String {
        try EAPIGGraph(graph: graph, dModel: dModel, scores: scores, circuit: .empty(graph)).jsonString(graph: graph)
    }
}
