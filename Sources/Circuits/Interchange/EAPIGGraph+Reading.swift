extension EAPIGGraph {
    /// Reads an EAP-IG / MIB graph file against `graph`. `file` names it in errors.
    ///
    /// Checked: the JSON shape, `cfg` against the graph (layers, heads, `parallel_attn_mlp` false), every edge name
    /// (with the nearest valid names when one is unknown), no edge twice, scores finite, `in_graph` booleans, and no
    /// node keeping only part of its neurons. Edges may be missing (EAP-IG then keeps score 0 and `in_graph` false):
    /// `completeScores` refuses them for a ranking.
    ///
    /// - Throws: `CircuitsError.interchange`.
    public init(json text: String, graph: CircuitGraph, file: String) throws {
        try self.init(root: Self.parse(text, file: file), graph: graph, file: file)
    }

    /// Parses an interchange file's JSON; a syntax error becomes `CircuitsError.interchange` naming `file` and the
    /// line.
    static func parse(_ text: String, file: String) throws -> LineJSON {
        do {
            return try LineJSON.parse(text)
        } catch let syntax as LineJSON.SyntaxError {
            throw CircuitsError.interchange(
                file: file, problem: .malformed(line: syntax.line, reason: "\(syntax.reason) at '\(syntax.token)'"))
        }
    }

    /// Whether a parsed JSON value has the shape of an EAP-IG graph file: an object whose `cfg` and `edges` are
    /// objects.
    static func looksLikeGraph(_ root: LineJSON) -> Bool {
        guard case .object = root.value, case .object? = root["cfg"]?.value, case .object? = root["edges"]?.value else {
            return false
        }
        return true
    }

    init(root: LineJSON, graph: CircuitGraph, file: String) throws {
        func fail(_ line: Int, _ reason: String) -> CircuitsError {
            .interchange(file: file, problem: .malformed(line: line, reason: reason))
        }
        guard Self.looksLikeGraph(root), let cfg = root["cfg"], case .object(let edgeMembers)? = root["edges"]?.value else {
            throw fail(root.line, "an EAP-IG graph is an object with \"cfg\", \"nodes\" and \"edges\" objects")
        }
        if let reason = graph.eapigIncompatibility {
            throw CircuitsError.interchange(file: file, problem: .incompatibleGraph(reason: reason))
        }
        func integer(_ key: String) throws -> Int {
            guard let value = cfg[key] else { throw fail(cfg.line, "cfg has no \"\(key)\"") }
            guard case .number(let d) = value.value, let i = Int(exactly: d) else {
                throw fail(value.line, "cfg.\(key) must be an integer, found \(value.typeName)")
            }
            return i
        }
        let layers = try integer("n_layers"), heads = try integer("n_heads")
        let dModel = cfg["d_model"] == nil ? 0 : try integer("d_model")
        guard layers == graph.nLayers, heads == graph.nHeads else {
            throw CircuitsError.interchange(file: file, problem: .shapeMismatch(
                file: "\(layers) layers × \(heads) heads", model: "\(graph.nLayers) layers × \(graph.nHeads) heads"))
        }
        if let parallel = cfg["parallel_attn_mlp"] {
            guard case .bool(let flag) = parallel.value else {
                throw fail(parallel.line, "cfg.parallel_attn_mlp must be a boolean, found \(parallel.typeName)")
            }
            if flag { throw CircuitsError.interchange(file: file, problem: .parallelAttentionMLP) }
        }

        var scores = [Double?](repeating: nil, count: graph.edgeCount)
        var seen = [Bool](repeating: false, count: graph.edgeCount)
        var circuit = Circuit.empty(graph)
        for (name, entry) in edgeMembers {
            guard let edge = graph.edge(eapigName: name) else {
                let names = graph.edgesInEAPIGOrder.map(graph.eapigName(of:))
                throw CircuitsError.interchange(file: file, problem: .unknownEdge(
                    name: name, suggestions: EditDistance.nearest(to: name, among: names)))
            }
            guard !seen[edge.rawValue] else {
                throw CircuitsError.interchange(file: file, problem: .duplicateEdge(name: name))
            }
            seen[edge.rawValue] = true
            guard case .object = entry.value else {
                throw fail(entry.line, "edge '\(name)' must be an object {\"score\", \"in_graph\"}, found \(entry.typeName)")
            }
            if let score = entry["score"] {
                guard case .number(let value) = score.value, value.isFinite else {
                    throw CircuitsError.interchange(file: file, problem: .badScore(edge: name, found: score.typeName))
                }
                scores[edge.rawValue] = value
            }
            if let flag = entry["in_graph"] {
                guard case .bool(let inGraph) = flag.value else {
                    throw fail(flag.line, "in_graph of edge '\(name)' must be a boolean, found \(flag.typeName)")
                }
                if inGraph { circuit.insert(edge) }
            }
        }

        var nodesInGraph = [Bool](repeating: false, count: graph.senderCount)
        if case .object(let nodeMembers)? = root["nodes"]?.value {
            for (name, entry) in nodeMembers where name != "logits" {
                guard let sender = graph.sender(eapigName: Substring(name)) else {
                    let names = graph.senders.map(graph.eapigName(sender:))
                    throw CircuitsError.interchange(file: file, problem: .unknownEdge(
                        name: name, suggestions: EditDistance.nearest(to: name, among: names)))
                }
                guard case .bool(let inGraph)? = entry["in_graph"]?.value else {
                    throw fail(entry.line, "node '\(name)' needs a boolean \"in_graph\"")
                }
                nodesInGraph[sender.rawValue] = inGraph
                if inGraph, let neurons = entry["neurons"]?.arrayValue,
                   neurons.contains(where: { !Self.keepsNeuron($0) }) {
                    throw CircuitsError.interchange(file: file, problem: .neuronLevel(node: name))
                }
            }
        }
        self.init(nLayers: layers, nHeads: heads, dModel: dModel, nodesInGraph: nodesInGraph, scores: scores,
                  circuit: circuit)
    }

    /// A neuron mask entry that keeps the neuron (`true`, or 1 as `Graph.from_json` also accepts).
    private static func keepsNeuron(_ entry: LineJSON) -> Bool {
        switch entry.value {
        case .bool(let kept): kept
        case .number(let value): value == 1
        default: false
        }
    }
}
