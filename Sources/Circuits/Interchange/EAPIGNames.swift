import Transformer
/// EAP-IG's names and order for the graph's nodes and edges, so that circuits and edge scores can be exchanged with
/// the Python tools of Hanna et al. (EAP-IG, `hannamw/EAP-IG` `src/eap/graph.py`, `Graph.from_model`) and the MIB
/// benchmark's circuit track (`hannamw/MIB-circuit-track`, which reads and writes the same graph files).
///
/// Naming. EAP-IG's forward (sender) nodes are `input`, `a{L}.h{H}` and `m{L}`; its backward (receiver) nodes are
/// `a{L}.h{H}<q|k|v>`, `m{L}` and `logits`. An edge is `parent->child`, with the head input appended to heads:
/// `a0.h1->a7.h3<k>`, `input->m0`, `m2->logits`. In circuitry's names: `input` ↔ `embed`, `a{L}.h{H}` ↔ `a{L}.{H}`,
/// `m{L}` ↔ `m{L}`, `logits` ↔ `resid_post`, `a{L}.h{H}<q>` ↔ `a{L}.{H}.q`. The two edge sets are the same (for
/// `parallel_attn_mlp = false`: heads of layer L feed MLP L), a bijection.
///
/// Order. `Graph.from_model` inserts edges into a Python dict, and the JSON lists them in that order: per layer L,
/// for each sender already in the residual stream (input, then every earlier layer's heads and MLP), for each head
/// of layer L, its q, k and v edges; then for each sender including layer L's heads, the edge into m{L}; finally
/// every sender's edge into `logits`. Nodes: `input`, per layer its heads and its MLP, `logits` last.
///
/// EAP-IG's `input` is TransformerLens's `hook_embed` (token embedding only; the position embedding is added after
/// the hook), circuitry's `embed` is token + position embedding. Their differences between the clean and the
/// corrupted run are equal, so edge scores and resample (counterfactual) ablation agree; zero and mean ablation of
/// an `input` edge do not.
extension CircuitGraph {
    /// Why EAP-IG's graph cannot describe this graph, or nil when it can: EAP-IG has one input node (no separate
    /// position embedding) and an MLP in every layer.
    public var eapigIncompatibility: String? {
        if separatePositionEmbedding {
            return "the graph has separate embed and pos_embed nodes; EAP-IG's graph has one input node"
        }
        if !hasMLP { return "the model is attention-only; EAP-IG's graph has an MLP node in every layer" }
        return nil
    }

    /// EAP-IG's name of a sender: `input`, `a{L}.h{H}` or `m{L}`.
    public func eapigName(sender: NodeID) -> String {
        switch self[sender].kind {
        case .embed, .posEmbed: "input"
        case .head(let layer, let head): "a\(layer).h\(head)"
        case .mlp(let layer): "m\(layer)"
        case .headInput, .mlpIn, .residPost: preconditionFailure("\(self[sender].name) is not a sender")
        }
    }

    /// EAP-IG's name of an edge: `a0.h1->a7.h3<k>`, `input->m0`, `m2->logits`.
    public func eapigName(of edge: EdgeID) -> String {
        let e = self[edge]
        let child: String
        switch self[e.receiver].kind {
        case .headInput(let layer, let head, let input): child = "a\(layer).h\(head)<\(input.rawValue)>"
        case .mlpIn(let layer): child = "m\(layer)"
        case .residPost: child = "logits"
        case .embed, .posEmbed, .head, .mlp: preconditionFailure("\(self[e.receiver].name) is not a receiver")
        }
        return eapigName(sender: e.sender) + "->" + child
    }

    /// EAP-IG's forward nodes in its order (`input`, then per layer the heads and the MLP), as sender ids. The
    /// graph must be EAP-IG-compatible (`eapigIncompatibility == nil`).
    public var sendersInEAPIGOrder: [NodeID] { senders }

    /// Every edge in the order of EAP-IG's `Graph.from_model` (see the type notes). The graph must be
    /// EAP-IG-compatible.
    public var edgesInEAPIGOrder: [EdgeID] {
        var order: [EdgeID] = []
        order.reserveCapacity(edgeCount)
        var stream: [NodeID] = [embed]
        func append(_ sender: NodeID, _ receiver: NodeID) {
            guard let edge = edge(sender: sender, receiver: receiver) else {
                preconditionFailure("EAP-IG order names \(self[sender].name) -> \(self[receiver].name), not in the graph")
            }
            order.append(edge)
        }
        for layer in 0..<nLayers {
            let heads = (0..<nHeads).map { headSender(layer: layer, head: $0) }
            for sender in stream {
                for head in 0..<nHeads {
                    for input in HeadInput.allCases {
                        append(sender, headInputReceiver(layer: layer, head: head, input: input))
                    }
                }
            }
            stream += heads
            if let mlpIn = mlpInputReceiver(layer: layer), let mlp = mlpSender(layer: layer) {
                for sender in stream { append(sender, mlpIn) }
                stream.append(mlp)
            }
        }
        for sender in stream { append(sender, residPost) }
        return order
    }

    /// The sender named by EAP-IG (`input`, `a{L}.h{H}`, `m{L}`), or nil.
    public func sender(eapigName name: Substring) -> NodeID? {
        if name == "input" { return embed }
        if name.hasPrefix("m"), let layer = Self.eapigDecimal(name.dropFirst()), (0..<nLayers).contains(layer) {
            return mlpSender(layer: layer)
        }
        guard let (layer, head) = eapigHead(name) else { return nil }
        return headSender(layer: layer, head: head)
    }

    /// The receiver named by EAP-IG (`a{L}.h{H}<q|k|v>`, `m{L}`, `logits`), or nil.
    public func receiver(eapigName name: Substring) -> NodeID? {
        if name == "logits" { return residPost }
        if name.hasPrefix("m"), let layer = Self.eapigDecimal(name.dropFirst()), (0..<nLayers).contains(layer) {
            return mlpInputReceiver(layer: layer)
        }
        guard name.hasSuffix(">"), let open = name.lastIndex(of: "<") else { return nil }
        let letter = name[name.index(after: open)..<name.index(before: name.endIndex)]
        guard let input = HeadInput(rawValue: String(letter)), let (layer, head) = eapigHead(name[..<open]) else {
            return nil
        }
        return headInputReceiver(layer: layer, head: head, input: input)
    }

    /// The edge named by EAP-IG (`parent->child`), or nil when either side is unknown or the graph has no such edge.
    public func edge(eapigName name: String) -> EdgeID? {
        guard let arrow = name.range(of: "->") else { return nil }
        guard let sender = sender(eapigName: name[..<arrow.lowerBound]),
              let receiver = receiver(eapigName: name[arrow.upperBound...]) else { return nil }
        return edge(sender: sender, receiver: receiver)
    }

    /// `a{L}.h{H}` with L and H in range.
    private func eapigHead(_ name: Substring) -> (Int, Int)? {
        guard name.hasPrefix("a") else { return nil }
        let parts = name.dropFirst().split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[1].hasPrefix("h"), let layer = Self.eapigDecimal(parts[0]),
              let head = Self.eapigDecimal(parts[1].dropFirst()),
              (0..<nLayers).contains(layer), (0..<nHeads).contains(head) else { return nil }
        return (layer, head)
    }

    private static func eapigDecimal(_ text: Substring) -> Int? {
        guard !text.isEmpty, text.count <= 6, text.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int(text)
    }
}
