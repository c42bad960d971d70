import Transformer
import Foundation

/// The hypothesis text format, one statement per line:
///
///     # IOI (Wang et al. 2022), a few of its claims
///     a0.1 -> a7.3.k                      # one edge: sender -> receiver
///     a0.1 -> a7.3 -> a9.9 -> resid_post  # a path: every consecutive pair is an edge
///     a9.9 a9.6 a10.0                     # a node list (induces edges, see `Hypothesis`)
///     name-mover: a9.9 a9.6 a10.0         # a named class (also a node list)
///
/// * `#` starts a comment; blank lines are ignored.
/// * Heads are `a{L}.{H}` or `{L}.{H}`; MLPs `m{L}` or `mlp{L}`; also `embed`, `pos_embed` (graphs with separate
///   position embeddings), `resid_post`.
/// * In an edge or path, a step into a head means all three of its inputs unless `.q`, `.k` or `.v` is given; a
///   step into an MLP means its input; a step out of a head or MLP means its output. `resid_post` can only end a
///   path, embeddings only start one; a `.q/.k/.v` suffix cannot start a path (an input does not send), but in the
///   middle of a path it selects the input the previous step goes into.
/// * A class name is letters, digits, `-`, `_`, `.`; each name is defined once. Lists name whole components.
struct HypothesisParser {
    let graph: CircuitGraph
    let file: String?

    private var explicitEdges: Circuit
    private var listed: [NodeID] = []
    private var mentioned: [NodeID] = []
    private var classes: [Hypothesis.NamedClass] = []
    private var classLines: [String: Int] = [:]

    init(graph: CircuitGraph, file: String?) {
        self.graph = graph
        self.file = file
        self.explicitEdges = Circuit.empty(graph)
    }

    /// A resolved token: a component, plus the head input selected by a `.q/.k/.v` suffix.
    private struct Endpoint {
        let token: String
        let syntax: NodeNameSyntax
        let component: NodeID
        let input: HeadInput?
    }

    mutating func parseLine(_ raw: Substring, number: Int) throws {
        let content = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        let line = content.trimmingCharacters(in: .whitespaces)
        if line.isEmpty { return }
        if let colon = line.firstIndex(of: ":") {
            try parseClass(name: String(line[..<colon]), members: line[line.index(after: colon)...], line: number)
        } else if line.contains("->") {
            try parsePath(line, line: number)
        } else {
            let nodes = try parseNodeList(line, line: number)
            listed += nodes
        }
    }

    func finish() -> Hypothesis {
        let listedSorted = Array(Set(listed)).sorted()
        let nodes = Array(Set(listed + mentioned)).sorted()
        let circuit = explicitEdges.union(Hypothesis.inducedEdges(listing: listedSorted, in: graph))
        return Hypothesis(
            circuit: circuit, explicitEdges: explicitEdges, nodes: nodes, listedNodes: listedSorted, classes: classes)
    }

    // MARK: Statements

    private mutating func parseClass(name rawName: String, members: Substring, line: Int) throws {
        let name = rawName.trimmingCharacters(in: .whitespaces)
        let allowed = name.unicodeScalars.allSatisfy { scalar in
            scalar.isASCII
                && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar)
                    || "-_.".unicodeScalars.contains(scalar))
        }
        guard !name.isEmpty, allowed else { throw error(line, name + ":", .badClassName, suggest: false) }
        if let first = classLines[name] {
            throw error(line, name, .duplicateClass(name: name, firstLine: first), suggest: false)
        }
        let nodes = try parseNodeList(String(members), line: line)
        guard !nodes.isEmpty else { throw error(line, name, .emptyClass(name: name), suggest: false) }
        var seen = Set<NodeID>()
        classes.append(Hypothesis.NamedClass(name: name, nodes: nodes.filter { seen.insert($0).inserted }, line: line))
        classLines[name] = line
        listed += nodes
    }

    private mutating func parseNodeList(_ text: String, line: Int) throws -> [NodeID] {
        var nodes: [NodeID] = []
        for token in text.split(whereSeparator: { $0 == " " || $0 == "\t" }) {
            let endpoint = try resolve(String(token), line: line)
            if endpoint.input != nil { throw error(line, endpoint.token, .inputSuffixInNodeList, suggest: false) }
            nodes.append(endpoint.component)
        }
        return nodes
    }

    private mutating func parsePath(_ text: String, line: Int) throws {
        let parts = text.components(separatedBy: "->").map { $0.trimmingCharacters(in: .whitespaces) }
        if parts.contains(where: \.isEmpty) { throw error(line, text, .missingPathSide, suggest: false) }
        let endpoints = try parts.map { try resolve($0, line: line) }
        if endpoints[0].input != nil { throw error(line, endpoints[0].token, .inputSuffixOnSender, suggest: false) }
        for (from, to) in zip(endpoints, endpoints.dropFirst()) {
            if from.component == graph.residPost { throw error(line, from.token, .receiverAsSender, suggest: false) }
            let receivers = try receivers(of: to, line: line)
            for receiver in receivers {
                guard let edge = graph.edge(sender: from.component, receiver: receiver) else {
                    let problem = HypothesisProblem.edgeNotInGraph(
                        sender: graph[from.component].name, receiver: graph[receiver].name)
                    throw error(line, "\(from.token) -> \(to.token)", problem, suggest: false)
                }
                explicitEdges.insert(edge)
            }
            mentioned += [from.component, to.component]
        }
    }

    /// The receivers a path step into `endpoint` reaches.
    private func receivers(of endpoint: Endpoint, line: Int) throws -> [NodeID] {
        switch graph[endpoint.component].kind {
        case .embed, .posEmbed:
            throw error(line, endpoint.token, .senderAsReceiver, suggest: false)
        case .residPost:
            return [graph.residPost]
        case .head(let layer, let head):
            let inputs = endpoint.input.map { [$0] } ?? HeadInput.allCases
            return inputs.map { graph.headInputReceiver(layer: layer, head: head, input: $0) }
        case .mlp:
            return graph.inputReceivers(of: endpoint.component)
        case .headInput, .mlpIn:
            preconditionFailure("endpoints are components")
        }
    }

    // MARK: Tokens

    /// Resolves a token to a component, checking it against the graph's shape.
    private func resolve(_ token: String, line: Int) throws -> Endpoint {
        let syntax = NodeNameSyntax(parsing: token)
        switch syntax {
        case .embed:
            return Endpoint(token: token, syntax: syntax, component: graph.embed, input: nil)
        case .posEmbed:
            guard let posEmbed = graph.posEmbed else { throw error(line, token, .noPositionEmbedding) }
            return Endpoint(token: token, syntax: syntax, component: posEmbed, input: nil)
        case .residPost:
            return Endpoint(token: token, syntax: syntax, component: graph.residPost, input: nil)
        case .head(let layer, let head, let input):
            try checkHead(layer: layer, head: head, token: token, line: line)
            return Endpoint(
                token: token, syntax: syntax, component: graph.headSender(layer: layer, head: head), input: input)
        case .mlp(let layer):
            guard graph.hasMLP else { throw error(line, token, .noMLPs) }
            guard (0..<graph.nLayers).contains(layer), let mlp = graph.mlpSender(layer: layer) else {
                throw error(line, token, .layerOutOfRange(layer: layer, nLayers: graph.nLayers))
            }
            return Endpoint(token: token, syntax: syntax, component: mlp, input: nil)
        case .badInputSuffix(let layer, let head, let suffix):
            try checkHead(layer: layer, head: head, token: token, line: line)
            throw error(line, token, .badInputSuffix(suffix: suffix))
        case .unrecognized:
            throw error(line, token, .unknownNode)
        }
    }

    private func checkHead(layer: Int, head: Int, token: String, line: Int) throws {
        guard (0..<graph.nLayers).contains(layer), (0..<graph.nHeads).contains(head) else {
            throw error(
                line, token, .headOutOfRange(layer: layer, head: head, nLayers: graph.nLayers, nHeads: graph.nHeads))
        }
    }

    private func error(_ line: Int, _ token: String, _ problem: HypothesisProblem, suggest: Bool = true)
        -> CircuitsError
    {
        let suggestions = suggest && HypothesisNames.suggestible(token)
            ? EditDistance.nearest(to: token, among: graph.names()) : []
        return CircuitsError.hypothesis(
            file: file, line: line, token: HypothesisNames.shown(token), problem: problem, suggestions: suggestions)
    }
}
