import Transformer

/// The computational graph that circuits are subsets of: senders (embeddings, head outputs, MLP outputs) feeding
/// receivers (head q/k/v inputs, MLP inputs, the final residual stream) through the residual stream.
///
/// Follows ACDC (Conmy et al. 2023, "Towards Automated Circuit Discovery for Mechanistic Interpretability",
/// `acdc/TLACDCCorrespondence.py`) and auto-circuit (`patchable_model(..., separate_qkv=True)`): every sender has an
/// edge to every receiver that reads the residual stream after the sender wrote to it —
/// * q/k/v inputs of layer `L` read the embedding(s), every head and MLP of layers `< L`;
/// * the MLP input of layer `L` reads the embedding(s), every head of layers `≤ L` and MLPs of layers `< L` — with
///   GPT-NeoX's parallel residual (`x + attn(ln1(x)) + mlp(ln2(x))`, Pythia) only heads of layers `< L`, since
///   attention and MLP of a block read the same input;
/// * `resid_post` reads every sender.
///
/// With `E` embedding nodes (1, or 2 with `separatePositionEmbedding`, as ACDC does for tracr), `H` heads and MLPs:
/// q/k/v of layer `L` have `E + (H+1)·L` incoming edges, MLP `L` has `E + H·(L+1) + L` (parallel residual:
/// `E + (H+1)·L`), `resid_post` has `E + L_total·(H+1)`; attention-only models drop the MLP terms. GPT-2 small has
/// 32,491 edges. Grouped-query attention changes nothing: every query head has its own q, k and v receiver (the
/// ungrouped view of TransformerLens and EAP-IG).
///
/// Id layout (dense, see `NodeID`, `EdgeID`): senders first in forward order, then receivers in topological order;
/// edges ordered by (receiver, sender), so each receiver's incoming edges are contiguous.
///
/// Immutable after construction; a `final class` so that the many algorithms sharing one graph pass a reference.
public final class CircuitGraph: Sendable, CustomStringConvertible {
    /// Number of transformer blocks.
    public let nLayers: Int
    /// Heads per block.
    public let nHeads: Int
    /// Whether every block has an MLP (sender `m{L}` and receiver `m{L}`).
    public let hasMLP: Bool
    /// Whether the token and position embeddings are two senders (`embed`, `pos_embed`) instead of one (`embed`).
    public let separatePositionEmbedding: Bool
    /// Whether a block's MLP reads the block's input (GPT-NeoX's parallel residual) rather than its heads' output.
    public let parallelResidual: Bool

    /// All nodes, indexed by `NodeID.rawValue`.
    public let nodes: [GraphNode]
    /// All edges, indexed by `EdgeID.rawValue`, ordered by (receiver topological order, sender order).
    public let edges: [GraphEdge]
    /// Number of senders; sender ids are `0..<senderCount`.
    public let senderCount: Int
    /// Number of receivers; receiver ids are `senderCount..<nodeCount`.
    public let receiverCount: Int

    /// The token (or combined) embedding sender.
    public let embed: NodeID
    /// The position embedding sender, present only with `separatePositionEmbedding`.
    public let posEmbed: NodeID?
    /// The final residual stream receiver.
    public let residPost: NodeID

    /// `incomingStart[r]` … `incomingStart[r+1]` are the edge ids into the receiver with ordinal `r`.
    let incomingStart: [Int]
    /// Per sender (by id), its outgoing edge ids in increasing order.
    let outgoing: [[EdgeID]]
    /// `[receiverOrdinal · senderCount + senderID]` → edge id, or -1 when that pair has no edge.
    let edgeMatrix: [Int32]
    /// Canonical display name → id, one table per role (names are unique within a role).
    let senderNames: [String: NodeID]
    let receiverNames: [String: NodeID]

    /// The graph of a model; only `nLayers`, `nHeads`, `hasMLP`, `separatePositionEmbedding` and
    /// `parallelResidual` matter.
    public convenience init(config: ModelConfig) {
        self.init(
            nLayers: config.nLayers, nHeads: config.nHeads, hasMLP: config.hasMLP,
            separatePositionEmbedding: config.separatePositionEmbedding, parallelResidual: config.parallelResidual
        )
    }

    /// The graph of a model shape. Preconditions: `nLayers ≥ 1`, `nHeads ≥ 1` (a programmer error otherwise).
    public init(
        nLayers: Int, nHeads: Int, hasMLP: Bool, separatePositionEmbedding: Bool = false, parallelResidual: Bool = false
    ) {
        precondition(nLayers >= 1 && nHeads >= 1, "CircuitGraph needs at least one layer and one head")
        self.nLayers = nLayers
        self.nHeads = nHeads
        self.hasMLP = hasMLP
        self.separatePositionEmbedding = separatePositionEmbedding
        self.parallelResidual = parallelResidual

        var kinds: [NodeKind] = [.embed]
        if separatePositionEmbedding { kinds.append(.posEmbed) }
        for layer in 0..<nLayers {
            for head in 0..<nHeads { kinds.append(.head(layer: layer, head: head)) }
            if hasMLP { kinds.append(.mlp(layer: layer)) }
        }
        let senderCount = kinds.count
        for layer in 0..<nLayers {
            for head in 0..<nHeads {
                for input in HeadInput.allCases { kinds.append(.headInput(layer: layer, head: head, input: input)) }
            }
            if hasMLP { kinds.append(.mlpIn(layer: layer)) }
        }
        kinds.append(.residPost)
        let receiverCount = kinds.count - senderCount

        var nodes: [GraphNode] = []
        nodes.reserveCapacity(kinds.count)
        for (index, kind) in kinds.enumerated() {
            nodes.append(
                GraphNode(id: NodeID(index), kind: kind, layer: Self.layer(of: kind, nLayers: nLayers), name: kind.name)
            )
        }

        var edges: [GraphEdge] = []
        var incomingStart: [Int] = [0]
        var outgoing = [[EdgeID]](repeating: [], count: senderCount)
        var edgeMatrix = [Int32](repeating: -1, count: receiverCount * senderCount)
        for receiverOrdinal in 0..<receiverCount {
            let receiver = nodes[senderCount + receiverOrdinal]
            for sender in nodes[0..<senderCount]
            where Self.feeds(sender.kind, into: receiver.kind, parallelResidual: parallelResidual) {
                let id = EdgeID(edges.count)
                edges.append(GraphEdge(id: id, sender: sender.id, receiver: receiver.id))
                outgoing[sender.id.rawValue].append(id)
                edgeMatrix[receiverOrdinal * senderCount + sender.id.rawValue] = Int32(id.rawValue)
            }
            incomingStart.append(edges.count)
        }

        var senderNames: [String: NodeID] = [:]
        var receiverNames: [String: NodeID] = [:]
        for node in nodes {
            switch node.role {
            case .sender: senderNames[node.name] = node.id
            case .receiver: receiverNames[node.name] = node.id
            }
        }

        self.nodes = nodes
        self.edges = edges
        self.senderCount = senderCount
        self.receiverCount = receiverCount
        self.embed = NodeID(0)
        self.posEmbed = separatePositionEmbedding ? NodeID(1) : nil
        self.residPost = NodeID(kinds.count - 1)
        self.incomingStart = incomingStart
        self.outgoing = outgoing
        self.edgeMatrix = edgeMatrix
        self.senderNames = senderNames
        self.receiverNames = receiverNames
    }

    /// Whether a sender writes to the residual stream before a receiver reads it (ACDC's and auto-circuit's rule:
    /// heads of layer L feed MLP L, since the MLP reads `resid_mid`, unless the residual is parallel; nothing in
    /// layer L feeds layer L's heads).
    static func feeds(_ sender: NodeKind, into receiver: NodeKind, parallelResidual: Bool) -> Bool {
        switch (sender, receiver) {
        case (.embed, _), (.posEmbed, _), (_, .residPost): true
        case (.head(let from, _), .headInput(let to, _, _)): from < to
        case (.head(let from, _), .mlpIn(let to)): parallelResidual ? from < to : from <= to
        case (.mlp(let from), .headInput(let to, _, _)): from < to
        case (.mlp(let from), .mlpIn(let to)): from < to
        default: false
        }
    }

    static func layer(of kind: NodeKind, nLayers: Int) -> Int {
        switch kind {
        case .embed, .posEmbed: -1
        case .head(let layer, _), .mlp(let layer), .headInput(let layer, _, _), .mlpIn(let layer): layer
        case .residPost: nLayers
        }
    }

    /// A one-line summary: shape and sizes.
    public var description: String {
        let mlp = hasMLP ? "" : ", attention-only"
        let embeds = separatePositionEmbedding ? ", embed+pos_embed" : ""
        let parallel = parallelResidual ? ", parallel residual" : ""
        return "CircuitGraph(\(nLayers) layers, \(nHeads) heads\(mlp)\(embeds)\(parallel): \(nodeCount) nodes, \(edgeCount) edges)"
    }

    // MARK: Sizes and orders

    /// Number of nodes (senders and receivers).
    public var nodeCount: Int { nodes.count }
    /// Number of edges.
    public var edgeCount: Int { edges.count }
    /// Number of embedding senders (1 or 2).
    public var embedCount: Int { separatePositionEmbedding ? 2 : 1 }

    /// Sender ids in forward order: embed(s), then per layer heads 0..<H and the MLP.
    public var senders: [NodeID] { (0..<senderCount).map(NodeID.init) }
    /// Receiver ids in topological order: per layer each head's q, k, v, then the MLP input; `resid_post` last.
    public var receiversInTopologicalOrder: [NodeID] { (senderCount..<nodeCount).map(NodeID.init) }

    public subscript(node: NodeID) -> GraphNode { nodes[node.rawValue] }
    public subscript(edge: EdgeID) -> GraphEdge { edges[edge.rawValue] }

    /// Position of a receiver in the topological order (0 for the first q input, `receiverCount-1` for
    /// `resid_post`); a dense index for per-receiver arrays.
    public func receiverOrdinal(_ receiver: NodeID) -> Int {
        precondition(isReceiver(receiver), "\(receiver) is not a receiver")
        return receiver.rawValue - senderCount
    }

    public func isSender(_ node: NodeID) -> Bool { node.rawValue >= 0 && node.rawValue < senderCount }
    public func isReceiver(_ node: NodeID) -> Bool { node.rawValue >= senderCount && node.rawValue < nodeCount }

    // MARK: Adjacency

    /// The edge ids into a receiver, contiguous and ordered by sender (forward order).
    public func incomingEdgeRange(of receiver: NodeID) -> Range<Int> {
        let ordinal = receiverOrdinal(receiver)
        return incomingStart[ordinal]..<incomingStart[ordinal + 1]
    }

    /// The edges into a receiver, ordered by sender (forward order).
    public func incomingEdges(of receiver: NodeID) -> [EdgeID] {
        incomingEdgeRange(of: receiver).map(EdgeID.init)
    }

    /// The edges out of a sender, ordered by receiver (topological order).
    public func outgoingEdges(of sender: NodeID) -> [EdgeID] {
        precondition(isSender(sender), "\(sender) is not a sender")
        return outgoing[sender.rawValue]
    }

    /// The edge from `sender` to `receiver`, or nil when the graph has none (wrong roles, or the sender does not
    /// precede the receiver).
    public func edge(sender: NodeID, receiver: NodeID) -> EdgeID? {
        guard isSender(sender), isReceiver(receiver) else { return nil }
        let raw = edgeMatrix[(receiver.rawValue - senderCount) * senderCount + sender.rawValue]
        return raw < 0 ? nil : EdgeID(Int(raw))
    }
}
