import Transformer
import Foundation
import Transformer

/// A circuit hypothesis written by hand: which edges (and which components) are claimed to implement a behaviour,
/// e.g. the IOI circuit's classes of heads (Wang et al. 2022). Parsed from a small text format (see
/// `HypothesisParser` for the grammar) against a `CircuitGraph`.
///
/// * `circuit`: every hypothesised edge — the edges written explicitly (single edges and paths) plus the edges
///   induced by the listed nodes (see below).
/// * `nodes`: every component the text names — listed nodes, class members, and the components at both ends of
///   every explicit edge — as component ids (`CircuitGraph.component(of:)`: heads and MLPs as senders, `embed`,
///   `pos_embed`, `resid_post`), ascending.
/// * `classes`: the named classes (`name-mover: a9.9 a9.6 a10.0`) in the order written.
///
/// Node-induced edges. A node list claims that the listed components talk to each other, to the input and to the
/// output, without saying through which edges. The hypothesis therefore includes every graph edge `s → r` whose
/// sender's component is listed or is an embedding, and whose receiver's component is listed or is `resid_post`
/// (a head's component covers all of its q, k, v inputs; an MLP's covers its input). Edges the graph lacks (later
/// layer to earlier) are simply not there. When no node is listed, no edge is induced.
public struct Hypothesis: Sendable, Equatable {
    /// A named group of components, e.g. `name-mover`.
    public struct NamedClass: Sendable, Equatable {
        public let name: String
        /// Component ids in the order written (duplicates removed).
        public let nodes: [NodeID]
        /// 1-based line of the definition.
        public let line: Int
    }

    /// All hypothesised edges: `explicitEdges` ∪ the node-induced edges.
    public let circuit: Circuit
    /// The edges written as `a -> b` lines and paths.
    public let explicitEdges: Circuit
    /// Every named component (listed, in classes, or an endpoint of an explicit edge), ascending.
    public let nodes: [NodeID]
    /// Components from node lists and classes only (these induce edges), ascending.
    public let listedNodes: [NodeID]
    /// Named classes in order of definition.
    public let classes: [NamedClass]
    /// Head inputs (`a{L}.{H}.q|k|v` receivers) replaced as a whole by the ablation source, as ACDC does when it
    /// removes a `hook_q_input → hook_q` edge; read from a circuit report's `severed_inputs`, empty for the text
    /// format. Passed to `EdgePatchingExecutor.logits(keeping:severedInputs:)`.
    public var severedInputs: Set<NodeID> = []
    /// Whether the source said which inputs are severed (a report's `severed_inputs` key, even if empty). When it
    /// did, the verifier severs exactly those; otherwise it may infer them (`severEmptyHeadInputs`).
    public var severedInputsGiven = false

    /// The class with a name, or nil.
    public func namedClass(_ name: String) -> NamedClass? { classes.first { $0.name == name } }

    /// Parses hypothesis text. `file` names the source in errors.
    ///
    /// - Throws: `CircuitsError.hypothesis` for the first malformed line, with its number, the offending token and
    ///   up to three nearest valid node names.
    public static func parse(_ text: String, graph: CircuitGraph, file: String? = nil) throws -> Hypothesis {
        var parser = HypothesisParser(graph: graph, file: file)
        // Split on every newline character (a "\r\n" pair is one Character), so CRLF files work.
        for (offset, line) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            try parser.parseLine(line, number: offset + 1)
        }
        return parser.finish()
    }

    /// Reads a hypothesis file in any of the three formats (text, circuit report JSON, DOT; see `read`).
    ///
    /// - Throws: `CircuitsError.unreadableFile` when the file cannot be read as UTF-8, else as `read`.
    public static func load(contentsOf url: URL, graph: CircuitGraph) throws -> Hypothesis {
        let data: Data
        do {
            data = try TextFile.data(url)
        } catch let TransformerError.textUnreadable(_, reason) {
            throw CircuitsError.unreadableFile(path: url.path, reason: reason)
        }
        return try read(data: data, graph: graph, file: url.lastPathComponent)
    }

    /// A hypothesis made in code (built-in circuits): the edges, the named classes (component ids) and the severed
    /// head inputs. `nodes` are the components at the ends of the edges plus the class members.
    public init(
        graph: CircuitGraph, circuit: Circuit, classes: [(name: String, nodes: [NodeID])] = [],
        severedInputs: Set<NodeID> = []
    ) {
        var components = Set<NodeID>()
        circuit.forEachEdge { edge in
            components.insert(graph.component(of: graph[edge].sender))
            components.insert(graph.component(of: graph[edge].receiver))
        }
        let members = classes.flatMap(\.nodes).map(graph.component(of:))
        self.circuit = circuit
        self.explicitEdges = circuit
        self.nodes = components.union(members).sorted()
        self.listedNodes = Array(Set(members)).sorted()
        self.classes = classes.map { NamedClass(name: $0.name, nodes: $0.nodes.map(graph.component(of:)), line: 0) }
        self.severedInputs = severedInputs
    }

    init(
        circuit: Circuit, explicitEdges: Circuit, nodes: [NodeID], listedNodes: [NodeID], classes: [NamedClass],
        severedInputs: Set<NodeID> = []
    ) {
        self.circuit = circuit
        self.explicitEdges = explicitEdges
        self.nodes = nodes
        self.listedNodes = listedNodes
        self.classes = classes
        self.severedInputs = severedInputs
    }

    /// The edges induced by a set of listed components (see the type's notes).
    public static func inducedEdges(listing components: some Sequence<NodeID>, in graph: CircuitGraph) -> Circuit {
        var listed = [Bool](repeating: false, count: graph.nodeCount)
        var any = false
        for component in components {
            listed[graph.component(of: component).rawValue] = true
            any = true
        }
        var circuit = Circuit.empty(graph)
        guard any else { return circuit }
        listed[graph.embed.rawValue] = true
        if let posEmbed = graph.posEmbed { listed[posEmbed.rawValue] = true }
        listed[graph.residPost.rawValue] = true
        for edge in graph.edges
        where listed[graph.component(of: edge.sender).rawValue] && listed[graph.component(of: edge.receiver).rawValue] {
            circuit.insert(edge.id)
        }
        return circuit
    }
}
