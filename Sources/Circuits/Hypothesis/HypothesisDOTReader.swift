import Transformer

/// Reads circuitry's Graphviz output (`CircuitDOT.render`) back as a hypothesis.
///
/// `CircuitDOT` draws components, so an edge into a head carries the input in its label: `"a0.1" -> "a7.3"
/// [label="k"]` is the edge `a0.1 -> a7.3.k`. Without a label a head target means all three inputs (as in the text
/// format); MLP and `resid_post` targets take no label. A target may also be written as the input itself
/// (`"a7.3.k"`). Node statements contribute head classes through their `tooltip` (the class name `CircuitDOT`
/// writes there); the legend's `"legend: …"` nodes are skipped. Recognised lines, one statement each:
///
///     // comment                       # comment
///     digraph name {                   }
///     graph [...];  node [...];  edge [...];    key=value; ...;   (graph attributes)
///     subgraph name {                  { rank=same; "a" "b"; }
///     "a" [attrs];                     "a" -> "b" [attrs];
struct HypothesisDOTReader {
    let names: HypothesisNames

    init(graph: CircuitGraph, file: String?) {
        names = HypothesisNames(graph: graph, file: file)
    }

    var graph: CircuitGraph { names.graph }

    func read(_ text: String) throws -> Hypothesis {
        var circuit = Circuit.empty(graph)
        var classOrder: [String] = []
        var classMembers: [String: [NodeID]] = [:]
        var classLine: [String: Int] = [:]
        var sawDigraph = false
        var depth = 0
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        for (offset, raw) in lines.enumerated() {
            let number = offset + 1
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("//") || line.hasPrefix("#") { continue }
            if line.hasPrefix("digraph") || line.hasPrefix("strict digraph") {
                guard line.hasSuffix("{") else { throw malformed(number, line, "expected '{' at the end of the digraph line") }
                sawDigraph = true
                depth += 1
                continue
            }
            guard sawDigraph else { throw malformed(number, line, "expected 'digraph name {' first") }
            if line == "}" || line == "};" {
                depth -= 1
                if depth < 0 { throw malformed(number, line, "unbalanced '}'") }
                continue
            }
            if line.hasPrefix("subgraph") {
                guard line.hasSuffix("{") else { throw malformed(number, line, "expected '{' at the end of the subgraph line") }
                depth += 1
                continue
            }
            if line.hasPrefix("{") {
                guard line.hasSuffix("}") else { throw malformed(number, line, "an inline '{ ... }' group must close on its line") }
                continue
            }
            if line.hasPrefix("graph [") || line.hasPrefix("node [") || line.hasPrefix("edge [") { continue }
            if Self.isAttributeStatement(line) { continue }

            var scanner = DOTLineScanner(line: line, number: number, names: names)
            let first = try scanner.identifier()
            if scanner.consume("->") {
                let target = try scanner.identifier()
                let attributes = try scanner.attributes()
                try scanner.end()
                for edge in try edges(from: first, to: target, label: attributes["label"], line: number) {
                    circuit.insert(edge)
                }
            } else {
                let attributes = try scanner.attributes()
                try scanner.end()
                if first.hasPrefix("legend: ") { continue }
                let node = try component(first, line: number)
                if let name = attributes["tooltip"], !name.isEmpty {
                    if classMembers[name] == nil {
                        classOrder.append(name)
                        classLine[name] = number
                    }
                    classMembers[name, default: []].append(node)
                }
            }
        }
        guard sawDigraph else { throw malformed(max(lines.count, 1), "", "no 'digraph' statement") }
        guard depth == 0 else { throw malformed(max(lines.count, 1), "}", "missing closing '}'") }
        let classes = classOrder.map { name in
            Hypothesis.NamedClass(name: name, nodes: classMembers[name] ?? [], line: classLine[name] ?? 0)
        }
        return names.hypothesis(edges: circuit, classes: classes)
    }

    /// `key=value; key="value";` — graph attributes (e.g. a cluster's `label=`), which name no node.
    static func isAttributeStatement(_ line: String) -> Bool {
        let key = line.prefix { $0.isLetter || $0 == "_" }
        return !key.isEmpty && line.dropFirst(key.count).drop { $0 == " " }.first == "="
    }

    /// A node statement's component: a sender name (heads, MLPs, embeddings) or `resid_post`.
    private func component(_ name: String, line: Int) throws -> NodeID {
        if let sender = graph.sender(named: name) { return sender }
        if let receiver = graph.receiver(named: name) { return graph.component(of: receiver) }
        throw names.unknown(name, role: .sender, line: line)
    }

    private func edges(from senderName: String, to target: String, label: String?, line: Int) throws -> [EdgeID] {
        let sender = try names.sender(senderName, line: line)
        let token = "\(senderName) -> \(target)"
        var receivers: [NodeID]
        if let direct = graph.receiver(named: target), case .headInput = graph[direct].kind {
            guard label == nil || label == "" else {
                throw names.error(line, label ?? "", .malformedDOT(reason: "a q/k/v label on an edge into a head input"))
            }
            receivers = [direct]
        } else if let head = graph.sender(named: target), case .head(let layer, let index) = graph[head].kind {
            if let label, !label.isEmpty {
                guard let input = HeadInput(rawValue: label) else {
                    throw names.error(line, label, .badInputSuffix(suffix: label))
                }
                receivers = [graph.headInputReceiver(layer: layer, head: index, input: input)]
            } else {
                receivers = HeadInput.allCases.map { graph.headInputReceiver(layer: layer, head: index, input: $0) }
            }
        } else {
            // A target names a component, so suggest among every name (heads as well as inputs).
            guard let receiver = graph.receiver(named: target) else {
                throw names.error(line, target, .unknownNode,
                                  suggestions: HypothesisNames.suggestible(target) ? graph.suggestions(for: target) : [])
            }
            if let label, !label.isEmpty {
                throw names.error(
                    line, label, .malformedDOT(reason: "only edges into heads carry a q/k/v label, not into \(target)"))
            }
            receivers = [receiver]
        }
        return try receivers.map { try names.edge(sender, $0, token: token, line: line) }
    }

    private func malformed(_ line: Int, _ token: String, _ reason: String) -> CircuitsError {
        names.error(line, token, .malformedDOT(reason: reason))
    }
}

/// Tokens of one DOT statement: identifiers (quoted or bare), `->`, an attribute list `[k=v, ...]`, a final `;`.
private struct DOTLineScanner {
    let scalars: [Character]
    let line: String
    let number: Int
    let names: HypothesisNames
    var index = 0

    init(line: String, number: Int, names: HypothesisNames) {
        self.line = line
        self.scalars = Array(line)
        self.number = number
        self.names = names
    }

    mutating func skipSpaces() {
        while index < scalars.count, scalars[index] == " " || scalars[index] == "\t" { index += 1 }
    }

    func failure(_ reason: String) -> CircuitsError {
        let rest = index < scalars.count ? String(scalars[index...].prefix(20)) : "end of line"
        return names.error(number, rest, .malformedDOT(reason: reason))
    }

    mutating func consume(_ text: String) -> Bool {
        skipSpaces()
        let chars = Array(text)
        guard index + chars.count <= scalars.count, Array(scalars[index..<index + chars.count]) == chars else {
            return false
        }
        index += chars.count
        return true
    }

    mutating func identifier() throws -> String {
        skipSpaces()
        guard index < scalars.count else { throw failure("expected a node name") }
        if scalars[index] == "\"" {
            index += 1
            var out = ""
            while index < scalars.count, scalars[index] != "\"" {
                if scalars[index] == "\\", index + 1 < scalars.count { index += 1 }
                out.append(scalars[index])
                index += 1
            }
            guard index < scalars.count else { throw failure("unterminated quoted name") }
            index += 1
            return out
        }
        var out = ""
        while index < scalars.count, scalars[index].isLetter || scalars[index].isNumber || "._".contains(scalars[index]) {
            out.append(scalars[index])
            index += 1
        }
        guard !out.isEmpty else { throw failure("expected a node name") }
        return out
    }

    /// `[key="value", key=value]`, or nothing.
    mutating func attributes() throws -> [String: String] {
        guard consume("[") else { return [:] }
        var result: [String: String] = [:]
        while true {
            if consume("]") { return result }
            let key = try identifier()
            guard consume("=") else { throw failure("expected '=' after attribute '\(key)'") }
            result[key] = try identifier()
            _ = consume(",")
            skipSpaces()
            guard index < scalars.count else { throw failure("unterminated attribute list") }
        }
    }

    mutating func end() throws {
        _ = consume(";")
        skipSpaces()
        guard index == scalars.count else { throw failure("unexpected text") }
    }
}
