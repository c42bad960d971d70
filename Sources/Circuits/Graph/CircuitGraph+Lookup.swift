import Transformer

/// Lookups by structure and by name, and the correspondence between a component's sender and receiver forms.
extension CircuitGraph {
    // MARK: Ids by structure

    /// The sender of head `head` in layer `layer`. Precondition: both in range.
    public func headSender(layer: Int, head: Int) -> NodeID {
        precondition((0..<nLayers).contains(layer) && (0..<nHeads).contains(head), "head \(layer).\(head) out of range")
        return NodeID(embedCount + layer * sendersPerLayer + head)
    }

    /// The sender of MLP `layer`, nil in attention-only graphs. Precondition: layer in range.
    public func mlpSender(layer: Int) -> NodeID? {
        precondition((0..<nLayers).contains(layer), "layer \(layer) out of range")
        return hasMLP ? NodeID(embedCount + layer * sendersPerLayer + nHeads) : nil
    }

    /// The receiver of one input of a head. Precondition: layer and head in range.
    public func headInputReceiver(layer: Int, head: Int, input: HeadInput) -> NodeID {
        precondition((0..<nLayers).contains(layer) && (0..<nHeads).contains(head), "head \(layer).\(head) out of range")
        return NodeID(senderCount + layer * receiversPerLayer + 3 * head + input.index)
    }

    /// The input receiver of MLP `layer`, nil in attention-only graphs. Precondition: layer in range.
    public func mlpInputReceiver(layer: Int) -> NodeID? {
        precondition((0..<nLayers).contains(layer), "layer \(layer) out of range")
        return hasMLP ? NodeID(senderCount + layer * receiversPerLayer + 3 * nHeads) : nil
    }

    var sendersPerLayer: Int { nHeads + (hasMLP ? 1 : 0) }
    var receiversPerLayer: Int { 3 * nHeads + (hasMLP ? 1 : 0) }

    // MARK: Components

    /// The component a node belongs to, written as its sender: a head input → the head, an MLP input → the MLP;
    /// senders and `resid_post` map to themselves. Used to treat "a head" as one unit (node views, hypotheses).
    public func component(of node: NodeID) -> NodeID {
        switch self[node].kind {
        case .embed, .posEmbed, .head, .mlp, .residPost: node
        case .headInput(let layer, let head, _): headSender(layer: layer, head: head)
        case .mlpIn(let layer): mlpSender(layer: layer) ?? node
        }
    }

    /// The receivers through which a sender reads the residual stream: a head's q, k, v inputs, an MLP's input;
    /// none for the embeddings.
    public func inputReceivers(of sender: NodeID) -> [NodeID] {
        switch self[sender].kind {
        case .head(let layer, let head):
            HeadInput.allCases.map { headInputReceiver(layer: layer, head: head, input: $0) }
        case .mlp(let layer):
            mlpInputReceiver(layer: layer).map { [$0] } ?? []
        case .embed, .posEmbed, .headInput, .mlpIn, .residPost:
            []
        }
    }

    // MARK: Names

    /// The node of a role with a name, or nil. Accepts the canonical names and the aliases of `NodeNameSyntax`
    /// (`9.9` for `a9.9`, `mlp3` for `m3`). `m3` names MLP 3's output as a sender and its input as a receiver.
    public func node(named name: String, role: NodeRole) -> NodeID? {
        switch role {
        case .sender: if let id = senderNames[name] { return id }
        case .receiver: if let id = receiverNames[name] { return id }
        }
        return node(syntax: NodeNameSyntax(parsing: name), role: role)
    }

    /// The sender with a name (`embed`, `pos_embed`, `a9.9`, `m3`), or nil.
    public func sender(named name: String) -> NodeID? { node(named: name, role: .sender) }

    /// The receiver with a name (`a9.9.q`, `m3`, `resid_post`), or nil.
    public func receiver(named name: String) -> NodeID? { node(named: name, role: .receiver) }

    /// The edge between two named nodes, or nil if either name is unknown in its role or the graph has no such edge.
    public func edge(sender senderName: String, receiver receiverName: String) -> EdgeID? {
        guard let sender = sender(named: senderName), let receiver = receiver(named: receiverName) else { return nil }
        return edge(sender: sender, receiver: receiver)
    }

    /// Display name of an edge, `sender->receiver`.
    public func name(of edge: EdgeID) -> String {
        let edge = self[edge]
        return "\(self[edge.sender].name)->\(self[edge.receiver].name)"
    }

    /// Distinct node names of a role (nil: both roles), in id order; the candidates for suggestions.
    public func names(role: NodeRole? = nil) -> [String] {
        var seen = Set<String>()
        var names: [String] = []
        for node in nodes where role == nil || node.role == role {
            if seen.insert(node.name).inserted { names.append(node.name) }
        }
        return names
    }

    /// Up to `limit` valid names closest (edit distance) to a misspelt one, nearest first.
    public func suggestions(for token: String, role: NodeRole? = nil, limit: Int = 3) -> [String] {
        EditDistance.nearest(to: token, among: names(role: role), limit: limit)
    }

    func node(syntax: NodeNameSyntax, role: NodeRole) -> NodeID? {
        switch (syntax, role) {
        case (.embed, .sender):
            return embed
        case (.posEmbed, .sender):
            return posEmbed
        case (.residPost, .receiver):
            return residPost
        case (.head(let layer, let head, nil), .sender):
            guard (0..<nLayers).contains(layer), (0..<nHeads).contains(head) else { return nil }
            return headSender(layer: layer, head: head)
        case (.head(let layer, let head, let input?), .receiver):
            guard (0..<nLayers).contains(layer), (0..<nHeads).contains(head) else { return nil }
            return headInputReceiver(layer: layer, head: head, input: input)
        case (.mlp(let layer), .sender):
            guard (0..<nLayers).contains(layer) else { return nil }
            return mlpSender(layer: layer)
        case (.mlp(let layer), .receiver):
            guard (0..<nLayers).contains(layer) else { return nil }
            return mlpInputReceiver(layer: layer)
        default:
            return nil
        }
    }
}
