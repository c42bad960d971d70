import Transformer

/// An EAP-IG / MIB graph file: the edge scores of an attribution run and the circuit marked by `in_graph`, as
/// `Graph.to_json` writes it and `Graph.from_json` reads it (hannamw/EAP-IG, `src/eap/graph.py`; MIB's circuit
/// track submits circuits in this form):
///
///     {"cfg": {"n_layers": 3, "n_heads": 4, "parallel_attn_mlp": false, "d_model": 64},
///      "nodes": {"input": {"in_graph": false}, "a0.h0": {"in_graph": false}, …, "logits": {"in_graph": true}},
///      "edges": {"input->a0.h0<q>": {"score": -0.00228, "in_graph": false}, …}}
///
/// Names and order are EAP-IG's (`CircuitGraph.eapigName`, `edgesInEAPIGOrder`). The whole file is one line.
/// Node scores and neuron masks are EAP-IG's node- and neuron-level extensions; edge-level circuits need neither, so
/// they are not kept (a node that keeps only some of its neurons is refused).
public struct EAPIGGraph: Sendable, Equatable {
    /// `cfg`: the model shape. `dModel` is only carried along (EAP-IG uses it for neuron-level graphs).
    public var nLayers: Int
    public var nHeads: Int
    public var dModel: Int
    /// Per sender id (EAP-IG's forward nodes, same order), its `in_graph` flag. `logits` is always in the graph.
    public var nodesInGraph: [Bool]
    /// Per edge id, its score (nil when the file has none for it).
    public var scores: [Double?]
    /// The edges whose `in_graph` is true.
    public var circuit: Circuit

    public init(nLayers: Int, nHeads: Int, dModel: Int, nodesInGraph: [Bool], scores: [Double?], circuit: Circuit) {
        self.nLayers = nLayers
        self.nHeads = nHeads
        self.dModel = dModel
        self.nodesInGraph = nodesInGraph
        self.scores = scores
        self.circuit = circuit
    }

    /// A graph file for `circuit` and `scores` (per edge id) over `graph`. A node is marked `in_graph` when it sends
    /// along a circuit edge and is either the input or receives along one (EAP-IG's node rule in `prune`); for a
    /// circuit already pruned (`Circuit.prunedAsEAPIG`) these are exactly the nodes EAP-IG keeps. An attribution
    /// run's file has the empty circuit: every node and edge `in_graph: false`, as EAP-IG's `attribute` leaves them.
    ///
    /// - Throws: `CircuitsError.interchange` when the graph has no EAP-IG form.
    public init(graph: CircuitGraph, dModel: Int, scores: [Double?], circuit: Circuit) throws {
        if let reason = graph.eapigIncompatibility {
            throw CircuitsError.interchange(file: "EAP-IG graph", problem: .incompatibleGraph(reason: reason))
        }
        precondition(scores.count == graph.edgeCount && circuit.edgeCount == graph.edgeCount, "scores or circuit of another graph")
        var sends = [Bool](repeating: false, count: graph.senderCount)
        var receives = [Bool](repeating: false, count: graph.senderCount)
        receives[graph.embed.rawValue] = true
        circuit.forEachEdge { edge in
            let e = graph[edge]
            sends[e.sender.rawValue] = true
            let component = graph.component(of: e.receiver)
            if graph.isSender(component) { receives[component.rawValue] = true }
        }
        self.init(
            nLayers: graph.nLayers, nHeads: graph.nHeads, dModel: dModel,
            nodesInGraph: zip(sends, receives).map { $0 && $1 }, scores: scores, circuit: circuit)
    }

    /// Every edge's score, per edge id, for a ranking.
    ///
    /// - Throws: `CircuitsError.interchange(.missingScores)` naming the first unscored edge.
    public func completeScores(graph: CircuitGraph, file: String) throws -> [Double] {
        let missing = graph.edgesInEAPIGOrder.filter { scores[$0.rawValue] == nil }
        if let first = missing.first {
            throw CircuitsError.interchange(
                file: file, problem: .missingScores(count: missing.count, first: graph.eapigName(of: first)))
        }
        return scores.map { $0 ?? 0 }
    }

    // MARK: Writing

    /// The file's text, byte for byte as EAP-IG's `Graph.to_json` writes it (Python's `json.dump` with its default
    /// separators; scores as Python's `repr` of the float, i.e. the shortest digits that read back to the same
    /// double). Ends without a newline, as `json.dump` does.
    public func jsonString(graph: CircuitGraph) -> String {
        precondition(graph.nLayers == nLayers && graph.nHeads == nHeads && scores.count == graph.edgeCount,
                     "EAP-IG graph of another shape")
        var out = "{\"cfg\": {\"n_layers\": \(nLayers), \"n_heads\": \(nHeads), \"parallel_attn_mlp\": false, "
        out += "\"d_model\": \(dModel)}, \"nodes\": {"
        for sender in graph.sendersInEAPIGOrder {
            out += JSONText.quoted(graph.eapigName(sender: sender)) + ": {\"in_graph\": "
            out += (nodesInGraph[sender.rawValue] ? "true" : "false") + "}, "
        }
        out += "\"logits\": {\"in_graph\": true}}, \"edges\": {"
        for (index, edge) in graph.edgesInEAPIGOrder.enumerated() {
            if index > 0 { out += ", " }
            out += JSONText.quoted(graph.eapigName(of: edge)) + ": {\"score\": "
            out += PythonFloat.repr(scores[edge.rawValue] ?? 0)
            out += ", \"in_graph\": " + (circuit.contains(edge) ? "true" : "false") + "}"
        }
        out += "}}"
        return out
    }
}

/// Python's `repr` of a float (what `json.dump` writes): the shortest decimal digits that read back to the same
/// double, in positional notation when the decimal exponent is in −4 … 15 (`0.0001`, `12.5`, `1.0`), otherwise in
/// scientific notation with a signed exponent of at least two digits (`1e-05`, `1.6087142284959555e-05`, `1e+16`).
enum PythonFloat {
    static func repr(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value < 0 ? "-Infinity" : "Infinity" }
        // Swift's description also prints the shortest round-trip digits; take them apart and lay them out again.
        var text = value.magnitude.description
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exponent = Int(text[text.index(after: e)...]) ?? 0
            text = String(text[..<e])
        }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        let whole = String(parts[0]), fraction = parts.count > 1 ? String(parts[1]) : ""
        var digits = whole + fraction
        // value = 0.digits × 10^point
        var point = whole.count + exponent
        while digits.hasPrefix("0") && digits.count > 1 {
            digits.removeFirst()
            point -= 1
        }
        while digits.hasSuffix("0") && digits.count > 1 { digits.removeLast() }
        let sign = value.sign == .minus ? "-" : ""
        if digits == "0" { return sign + "0.0" }
        let decimalExponent = point - 1
        if decimalExponent < -4 || decimalExponent >= 16 {
            let mantissa = digits.count == 1 ? digits : String(digits.first!) + "." + digits.dropFirst()
            let magnitude = String(abs(decimalExponent))
            let padded = magnitude.count < 2 ? "0" + magnitude : magnitude
            return sign + mantissa + "e" + (decimalExponent < 0 ? "-" : "+") + padded
        }
        if point <= 0 { return sign + "0." + String(repeating: "0", count: -point) + digits }
        if point >= digits.count { return sign + digits + String(repeating: "0", count: point - digits.count) + ".0" }
        return sign + digits.prefix(point) + "." + digits.dropFirst(point)
    }
}
