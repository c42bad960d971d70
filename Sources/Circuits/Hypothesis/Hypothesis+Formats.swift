import Foundation
import Transformer

/// The three forms a hypothesis can be written in, and reading any of them by content.
///
/// * `text`: the hand-written format of `HypothesisParser` (edges, paths, node lists, classes).
/// * `json`: circuitry's circuit report (`CircuitReport.json`, also the bare `{"edges": [...]}` form of
///   `Circuit.jsonString`): the edges, and the head inputs ACDC severed as a whole (`severed_inputs`).
/// * `dot`: circuitry's Graphviz output (`CircuitDOT.render`): edges `"a0.1" -> "a7.3" [label="k"]`, head classes
///   from the nodes' `tooltip`.
public enum HypothesisFormat: String, Sendable, CaseIterable {
    case text
    case json
    case dot

    /// The format of `text`, judged by its first statement: `{` starts JSON, `digraph` (or `strict digraph`) starts
    /// DOT, anything else is the text format. Leading blank lines, `#` comments and `//` comments are skipped (the
    /// DOT writer starts with `//` comment lines; the text format has `#` comments).
    public static func detect(_ text: String) -> HypothesisFormat {
        for rawLine in text.split(whereSeparator: \.isNewline) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix("//") { continue }
            if line.hasPrefix("{") || line.hasPrefix("[") { return .json }
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "{" })
            if words.first == "digraph" || (words.first == "strict" && words.dropFirst().first == "digraph") {
                return .dot
            }
            return .text
        }
        return .text
    }
}

extension Hypothesis {
    /// Reads a hypothesis from a file's bytes: UTF-8 (a byte that is not is reported with its line), any format.
    ///
    /// - Throws: `CircuitsError.unreadableFile` for bytes that are not UTF-8, else as `read`.
    public static func read(data: Data, graph: CircuitGraph, file: String) throws -> Hypothesis {
        let text: String
        do {
            text = try TextFile.decode(data, file: file)
        } catch let TransformerError.textUnreadable(_, reason) {
            throw CircuitsError.unreadableFile(path: file, reason: reason)
        }
        return try read(text, graph: graph, file: file)
    }

    /// Reads a hypothesis in whichever format `text` is in (`HypothesisFormat.detect`), or in `format` when given.
    ///
    /// - Throws: `CircuitsError.hypothesis` naming the line, the offending token and nearby valid names.
    public static func read(
        _ text: String, graph: CircuitGraph, file: String? = nil, format: HypothesisFormat? = nil
    ) throws -> Hypothesis {
        var text = text
        // A byte-order mark (Windows editors write one) is not part of the first statement.
        if text.unicodeScalars.first == "\u{FEFF}" { text.unicodeScalars.removeFirst() }
        return switch format ?? HypothesisFormat.detect(text) {
        case .text: try parse(text, graph: graph, file: file)
        case .json: try HypothesisJSONReader(graph: graph, file: file).read(text)
        case .dot: try HypothesisDOTReader(graph: graph, file: file).read(text)
        }
    }
}

/// Name resolution shared by the JSON and DOT readers: a name in a role, or an error with nearby names of that role.
struct HypothesisNames {
    let graph: CircuitGraph
    let file: String?

    func sender(_ name: String, line: Int) throws -> NodeID {
        guard let id = graph.sender(named: name) else { throw unknown(name, role: .sender, line: line) }
        return id
    }

    func receiver(_ name: String, line: Int) throws -> NodeID {
        guard let id = graph.receiver(named: name) else { throw unknown(name, role: .receiver, line: line) }
        return id
    }

    func edge(_ sender: NodeID, _ receiver: NodeID, token: String, line: Int) throws -> EdgeID {
        guard let edge = graph.edge(sender: sender, receiver: receiver) else {
            throw error(
                line, token, .edgeNotInGraph(sender: graph[sender].name, receiver: graph[receiver].name))
        }
        return edge
    }

    func unknown(_ name: String, role: NodeRole, line: Int) -> CircuitsError {
        error(line, name, .unknownNode,
              suggestions: Self.suggestible(name) ? graph.suggestions(for: name, role: role) : [])
    }

    func error(_ line: Int, _ token: String, _ problem: HypothesisProblem, suggestions: [String] = []) -> CircuitsError {
        .hypothesis(file: file, line: line, token: Self.shown(token), problem: problem, suggestions: suggestions)
    }

    /// Nearby names are looked for only for tokens of a node name's length: the edit distance to every name of a
    /// 64 KB garbage token would take long and suggest nothing useful.
    static func suggestible(_ token: String) -> Bool { token.utf8.count <= 40 }

    /// A token as a message shows it: at most 60 characters.
    static func shown(_ token: String) -> String {
        token.count <= 60 ? token : String(token.prefix(57)) + "…"
    }

    /// The hypothesis of a set of edges: nodes are the edges' endpoint components plus class members.
    func hypothesis(
        edges: Circuit, classes: [Hypothesis.NamedClass] = [], severedInputs: Set<NodeID>? = nil
    ) -> Hypothesis {
        var components = Set<NodeID>()
        edges.forEachEdge { edge in
            components.insert(graph.component(of: graph[edge].sender))
            components.insert(graph.component(of: graph[edge].receiver))
        }
        let members = Set(classes.flatMap(\.nodes))
        var hypothesis = Hypothesis(
            circuit: edges, explicitEdges: edges, nodes: components.union(members).sorted(),
            listedNodes: members.sorted(), classes: classes, severedInputs: severedInputs ?? [])
        hypothesis.severedInputsGiven = severedInputs != nil
        return hypothesis
    }
}
