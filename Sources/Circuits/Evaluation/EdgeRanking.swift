/// A score for every edge of a graph, higher = more important: what an attribution method (EAP, EAP-IG) writes,
/// or what an ACDC run implies (`EdgeRanking.acdc`). MIB's circuit-localisation track judges a method by circuits
/// made of the top-scoring edges of its ranking (Mueller et al. 2025, arXiv 2504.13151).
public struct EdgeRanking: Sendable, Equatable {
    /// Where the scores come from; decides the default ordering (`prefersAbsolute`).
    public enum Source: String, Sendable, Equatable {
        /// EAP-IG / MIB graph JSON (`EAPIGGraph`).
        case eapigGraph = "eap-ig-graph"
        /// circuitry's flat list `[{"sender", "receiver", "score"}]`.
        case flatList = "flat-list"
        /// An ACDC run's report: the threshold at which each edge would leave (`EdgeRanking.acdc`).
        case acdc = "acdc"

        /// Attribution scores are ranked by magnitude by default (MIB's `evaluate_area_under_curve` default,
        /// `absolute=True`: a strongly negative edge matters too); ACDC leave thresholds are signed (a removal that
        /// improves the metric has a negative threshold: the edge is the first to go).
        public var prefersAbsolute: Bool { self != .acdc }
    }

    /// A label for tables and plot legends (usually the file name).
    public var name: String
    public var source: Source
    /// Per edge id, its score; finite.
    public let scores: [Double]

    /// - Precondition: every score is finite (readers check this and throw on bad files).
    public init(name: String, source: Source, scores: [Double]) {
        precondition(scores.allSatisfy(\.isFinite), "edge scores must be finite")
        self.name = name
        self.source = source
        self.scores = scores
    }

    /// The edges best first: by |score| with `absolute`, else by signed score (most positive first), as EAP-IG's
    /// `Graph.apply_topn` sorts (`torch.argsort(descending=True)` of the score matrix). Ties, which torch leaves in an
    /// unspecified order, go to the lower edge id (graph order), so the order is deterministic.
    public func order(absolute: Bool) -> [EdgeID] {
        let keys = absolute ? scores.map(\.magnitude) : scores
        return keys.indices.sorted { a, b in keys[a] != keys[b] ? keys[a] > keys[b] : a < b }.map(EdgeID.init)
    }

    /// The circuit of the first `n` edges of `order(absolute:)` (before pruning).
    public func top(_ n: Int, absolute: Bool) -> Circuit {
        var circuit = Circuit(edgeCount: scores.count)
        for edge in order(absolute: absolute).prefix(max(0, n)) { circuit.insert(edge) }
        return circuit
    }

    /// The edge count MIB keeps at budget `k` of `total` edges: `int(k · total)` in double precision (so, e.g.,
    /// 0.1 · 262 = 26.200000000000003 keeps 26).
    public static func mibCount(budget k: Double, total: Int) -> Int {
        Int((k * Double(total)).rounded(.towardZero))
    }
}

extension Circuit {
    /// EAP-IG's `Graph.prune` (hannamw/EAP-IG `src/eap/graph.py`): repeatedly drop nodes without an in-graph incoming
    /// edge (the input exempt) or outgoing edge (the logits exempt), and the edges of dropped nodes, to a fixpoint.
    /// In a DAG that fixpoint keeps exactly the edges on some input → `resid_post` path made of circuit edges, with a
    /// head counting as one node whatever input (q, k, v) a path enters it by. Computed here in two sweeps: which
    /// components the input reaches (forward, in topological order) and which reach `resid_post` (backward); an
    /// edge stays when its sender is reached from the input and its receiver is `resid_post` or a component that
    /// reaches it. The embeddings (one, or `embed` and `pos_embed`) all count as inputs.
    public func prunedAsEAPIG(in graph: CircuitGraph) -> Circuit {
        precondition(edgeCount == graph.edgeCount, "circuit of another graph")
        var fromInput = [Bool](repeating: false, count: graph.senderCount)
        fromInput[graph.embed.rawValue] = true
        if let pos = graph.posEmbed { fromInput[pos.rawValue] = true }
        // Receivers in topological order: a component's inputs come before its outgoing edges are needed.
        for receiver in graph.receiversInTopologicalOrder where receiver != graph.residPost {
            let component = graph.component(of: receiver)
            guard !fromInput[component.rawValue] else { continue }
            for raw in graph.incomingEdgeRange(of: receiver) where contains(EdgeID(raw)) {
                if fromInput[graph.edges[raw].sender.rawValue] {
                    fromInput[component.rawValue] = true
                    break
                }
            }
        }
        var toOutput = [Bool](repeating: false, count: graph.senderCount)
        var pruned = Circuit(edgeCount: edgeCount)
        for receiver in graph.receiversInTopologicalOrder.reversed() {
            let reaches = receiver == graph.residPost || toOutput[graph.component(of: receiver).rawValue]
            guard reaches else { continue }
            for raw in graph.incomingEdgeRange(of: receiver) where contains(EdgeID(raw)) {
                let sender = graph.edges[raw].sender
                guard fromInput[sender.rawValue] else { continue }
                pruned.insert(EdgeID(raw))
                toOutput[sender.rawValue] = true
            }
        }
        return pruned
    }

    /// The senders of the circuit's edges: after `prunedAsEAPIG`, EAP-IG's in-graph forward nodes (input, heads,
    /// MLPs), the `nodes_kept` of MIB's records.
    public func sendingNodes(in graph: CircuitGraph) -> [NodeID] {
        var seen = [Bool](repeating: false, count: graph.senderCount)
        forEachEdge { seen[graph[$0].sender.rawValue] = true }
        return seen.indices.filter { seen[$0] }.map(NodeID.init)
    }
}
