/// Reading a ranking from a scores file, whatever wrote it. The format is judged by content:
///
/// * EAP-IG / MIB graph JSON (`{"cfg", "nodes", "edges"}`, `EAPIGGraph`): the edges' `score`s. This is what EAP-IG's
///   `attribute` and MIB's `run_attribution.py` write, and what circuitry's `attribute` command will write.
/// * a flat list `[{"sender": "embed", "receiver": "a0.0.q", "score": -0.0023}, …]` in circuitry's names.
/// * a circuitry circuit report from `discover` (`"format": "circuitry-circuit"`): an ACDC run, ranked by the
///   threshold at which each edge would leave (`EdgeRanking.acdc`), from its `tested_edges` and `whole_inputs`;
///   a circuit found from attribution scores (`discover --method eap…`), ranked by its `edge_scores`.
///
/// Every edge of the graph must have a finite score.
extension EdgeRanking {
    /// - Throws: `CircuitsError.interchange` naming `file` and what is wrong.
    public static func read(_ text: String, graph: CircuitGraph, file: String) throws -> EdgeRanking {
        let root = try EAPIGGraph.parse(text, file: file)
        if EAPIGGraph.looksLikeGraph(root) {
            let scores = try EAPIGGraph(root: root, graph: graph, file: file).completeScores(graph: graph, file: file)
            return EdgeRanking(name: file, source: .eapigGraph, scores: scores)
        }
        if let items = root.arrayValue {
            return try flatList(items, graph: graph, file: file)
        }
        if root["format"]?.stringValue == "circuitry-circuit" {
            if let items = root["edge_scores"]?.arrayValue { return try flatList(items, graph: graph, file: file) }
            return try acdcReport(root, graph: graph, file: file)
        }
        throw CircuitsError.interchange(file: file, problem: .unknownFormat)
    }

    private static func flatList(_ items: [LineJSON], graph: CircuitGraph, file: String) throws -> EdgeRanking {
        var scores = [Double?](repeating: nil, count: graph.edgeCount)
        for (index, item) in items.enumerated() {
            let edge = try namedEdge(item, index: index, graph: graph, file: file)
            guard scores[edge.rawValue] == nil else {
                throw CircuitsError.interchange(file: file, problem: .duplicateEdge(name: graph.name(of: edge)))
            }
            scores[edge.rawValue] = try number(item, key: "score", edge: edge, graph: graph, file: file)
        }
        return EdgeRanking(name: file, source: .flatList, scores: try complete(scores, graph: graph, file: file))
    }

    private static func acdcReport(_ root: LineJSON, graph: CircuitGraph, file: String) throws -> EdgeRanking {
        func refuse(_ reason: String) -> CircuitsError {
            .interchange(file: file, problem: .acdcReport(reason: reason))
        }
        if let total = root["statistics"]?["edges_total"], case .number(let n) = total.value, Int(exactly: n) != graph.edgeCount {
            throw CircuitsError.interchange(file: file, problem: .shapeMismatch(
                file: "a graph of \(Int(n)) edges", model: "a graph of \(graph.edgeCount) edges"))
        }
        if case .bool(false)? = root["settings"]?["completed"]?.value {
            throw refuse("the run stopped before the end (settings.completed is false); resume it first")
        }
        guard let tested = root["tested_edges"]?.arrayValue else {
            throw refuse("it has no \"tested_edges\" (written by an older circuitry); run discover again")
        }
        var effects = [Double?](repeating: nil, count: graph.edgeCount)
        for (index, item) in tested.enumerated() {
            let edge = try namedEdge(item, index: index, graph: graph, file: file)
            effects[edge.rawValue] = try number(item, key: "effect", edge: edge, graph: graph, file: file)
        }
        var wholes: [NodeID: Double] = [:]
        for item in root["whole_inputs"]?.arrayValue ?? [] {
            guard let name = item["input"]?.stringValue, let input = graph.receiver(named: name),
                  case .headInput = graph[input].kind else {
                throw CircuitsError.interchange(file: file, problem: .malformed(
                    line: item.line, reason: "whole_inputs entries are {\"input\": \"a{L}.{H}.q|k|v\", \"effect\": number}"))
            }
            guard case .number(let value)? = item["effect"]?.value, value.isFinite else {
                throw CircuitsError.interchange(file: file, problem: .badScore(edge: name, found: item["effect"]?.typeName ?? "missing"))
            }
            wholes[input] = value
        }
        return try acdc(name: file, graph: graph, effects: effects, wholeInputEffects: wholes)
    }

    /// The edge of a `{"sender", "receiver", …}` object, in circuitry's names (aliases accepted).
    private static func namedEdge(_ item: LineJSON, index: Int, graph: CircuitGraph, file: String) throws -> EdgeID {
        guard let sender = item["sender"]?.stringValue, let receiver = item["receiver"]?.stringValue else {
            throw CircuitsError.interchange(file: file, problem: .malformed(
                line: item.line, reason: "entry \(index) needs \"sender\" and \"receiver\" names"))
        }
        guard let edge = graph.edge(sender: sender, receiver: receiver) else {
            let names = graph.edges.map { graph.name(of: $0.id) }
            let name = "\(sender)->\(receiver)"
            throw CircuitsError.interchange(file: file, problem: .unknownEdge(
                name: name, suggestions: EditDistance.nearest(to: name, among: names)))
        }
        return edge
    }

    private static func number(_ item: LineJSON, key: String, edge: EdgeID, graph: CircuitGraph, file: String) throws -> Double {
        guard case .number(let value)? = item[key]?.value, value.isFinite else {
            throw CircuitsError.interchange(
                file: file, problem: .badScore(edge: graph.name(of: edge), found: item[key]?.typeName ?? "missing"))
        }
        return value
    }

    private static func complete(_ scores: [Double?], graph: CircuitGraph, file: String) throws -> [Double] {
        let missing = scores.indices.filter { scores[$0] == nil }
        if let first = missing.first {
            throw CircuitsError.interchange(
                file: file, problem: .missingScores(count: missing.count, first: graph.name(of: EdgeID(first))))
        }
        return scores.map { $0 ?? 0 }
    }
}
