import Transformer

/// Reads circuitry's circuit report (`CircuitReport.json`) — or the bare `{"edges": [...]}` of
/// `Circuit.jsonString` — as a hypothesis; an EAP-IG / MIB graph file (`EAPIGGraph`) gives its `in_graph` edges.
///
/// Used keys: `edges` (required; objects with `sender` and `receiver` names, other keys such as `effect` ignored)
/// and `severed_inputs` (optional; head input names). Every other key (`metric`, `settings`, `nodes`, …) is
/// ignored: the nodes of a report are derived from its edges. Errors name the line of the offending value.
struct HypothesisJSONReader {
    let names: HypothesisNames

    init(graph: CircuitGraph, file: String?) {
        names = HypothesisNames(graph: graph, file: file)
    }

    var graph: CircuitGraph { names.graph }

    func read(_ text: String) throws -> Hypothesis {
        let root: LineJSON
        do {
            root = try LineJSON.parse(text)
        } catch let syntax as LineJSON.SyntaxError {
            throw names.error(syntax.line, syntax.token, .malformedJSON(reason: syntax.reason))
        }
        guard case .object = root.value else {
            throw names.error(root.line, "{", .malformedJSON(reason: "the top level must be an object, found \(root.typeName)"))
        }
        if EAPIGGraph.looksLikeGraph(root) {
            // EAP-IG / MIB graph JSON: its `in_graph` edges are the hypothesis.
            let file = try EAPIGGraph(root: root, graph: graph, file: names.file ?? "EAP-IG graph")
            return names.hypothesis(edges: file.circuit)
        }
        guard let edgesValue = root["edges"] else {
            throw names.error(root.line, "{", .malformedJSON(reason: "missing key \"edges\""))
        }
        guard let entries = edgesValue.arrayValue else {
            throw names.error(
                edgesValue.line, "edges", .malformedJSON(reason: "\"edges\" must be an array, found \(edgesValue.typeName)"))
        }
        var circuit = Circuit.empty(graph)
        for (index, entry) in entries.enumerated() {
            guard case .object = entry.value else {
                throw names.error(
                    entry.line, "edges[\(index)]",
                    .malformedJSON(reason: "each edge must be an object {\"sender\", \"receiver\"}, found \(entry.typeName)"))
            }
            let senderName = try string(entry, key: "sender", index: index)
            let receiverName = try string(entry, key: "receiver", index: index)
            let sender = try names.sender(senderName.text, line: senderName.line)
            let receiver = try names.receiver(receiverName.text, line: receiverName.line)
            circuit.insert(
                try names.edge(sender, receiver, token: "\(senderName.text) -> \(receiverName.text)", line: entry.line))
        }
        var severed: Set<NodeID>?
        if let severedValue = root["severed_inputs"] {
            severed = []
            guard let items = severedValue.arrayValue else {
                throw names.error(
                    severedValue.line, "severed_inputs",
                    .malformedJSON(reason: "\"severed_inputs\" must be an array, found \(severedValue.typeName)"))
            }
            for item in items {
                guard let name = item.stringValue else {
                    throw names.error(
                        item.line, "severed_inputs",
                        .malformedJSON(reason: "severed inputs must be strings, found \(item.typeName)"))
                }
                guard let id = graph.receiver(named: name), case .headInput = graph[id].kind else {
                    let heads = graph.names(role: .receiver).filter { $0.hasSuffix(".q") || $0.hasSuffix(".k") || $0.hasSuffix(".v") }
                    throw names.error(
                        item.line, name, .notAHeadInput,
                        suggestions: HypothesisNames.suggestible(name) ? EditDistance.nearest(to: name, among: heads) : [])
                }
                severed?.insert(id)
            }
        }
        return names.hypothesis(edges: circuit, severedInputs: severed)
    }

    private func string(_ entry: LineJSON, key: String, index: Int) throws -> (text: String, line: Int) {
        guard let value = entry[key] else {
            throw names.error(entry.line, "edges[\(index)]", .malformedJSON(reason: "edge \(index) has no \"\(key)\""))
        }
        guard let text = value.stringValue else {
            throw names.error(
                value.line, "edges[\(index)].\(key)",
                .malformedJSON(reason: "\"\(key)\" must be a node name string, found \(value.typeName)"))
        }
        return (text, value.line)
    }
}
