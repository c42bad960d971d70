import Transformer

/// Dense identifiers of a `CircuitGraph`'s nodes and edges.
///
/// Algorithms (edge patching, ACDC, path patching) index arrays with these ids; names exist only for display and
/// files. Ids are only meaningful together with the graph that issued them.

/// A node of a `CircuitGraph`: a sender (a component's output) or a receiver (a component's input).
///
/// Layout of the id space (see `CircuitGraph`): ids `0..<senderCount` are the senders in forward order
/// (`embed`, [`pos_embed`], then per layer its heads and its MLP); ids `senderCount..<nodeCount` are the receivers
/// in topological order (per layer each head's q, k, v inputs, then the MLP input; finally `resid_post`). A
/// component that both reads and writes the residual stream (a head, an MLP) therefore has distinct sender and
/// receiver ids; its display names may coincide (`m3` is both MLP 3's output and its input), the `role` tells them
/// apart.
public struct NodeID: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Position in `CircuitGraph.nodes`.
    public let rawValue: Int

    public init(_ rawValue: Int) {
        self.rawValue = rawValue
    }

    public static func < (lhs: NodeID, rhs: NodeID) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String { "node#\(rawValue)" }
}

/// An edge of a `CircuitGraph`: one sender's contribution to one receiver's input.
///
/// Edge ids are ordered by (receiver in topological order, sender in forward order), so a receiver's incoming edges
/// form one contiguous range (`CircuitGraph.incomingEdgeRange(of:)`), and sorting a set of edges by id gives the
/// stable order of the JSON form.
public struct EdgeID: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Position in `CircuitGraph.edges`.
    public let rawValue: Int

    public init(_ rawValue: Int) {
        self.rawValue = rawValue
    }

    public static func < (lhs: EdgeID, rhs: EdgeID) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String { "edge#\(rawValue)" }
}

/// Whether a node writes into the residual stream (sender) or reads from it (receiver).
public enum NodeRole: String, Hashable, Sendable, CaseIterable {
    case sender
    case receiver
}

/// What a node is. The first four cases are senders, the last three receivers.
public enum NodeKind: Hashable, Sendable {
    /// The input embedding (token + position, TL `blocks.0.hook_resid_pre`); with separate position embeddings
    /// only the token embedding (TL `hook_embed`).
    case embed
    /// The position embedding (TL `hook_pos_embed`); only in graphs with separate position embeddings.
    case posEmbed
    /// A head's output (TL `blocks.{layer}.attn.hook_result[:, :, head]`, without `b_O`).
    case head(layer: Int, head: Int)
    /// An MLP's output (TL `blocks.{layer}.hook_mlp_out`).
    case mlp(layer: Int)
    /// One input of a head (TL `blocks.{layer}.hook_{q,k,v}_input[:, :, head]`, before ln1).
    case headInput(layer: Int, head: Int, input: HeadInput)
    /// An MLP's input (TL `blocks.{layer}.hook_mlp_in`, before ln2).
    case mlpIn(layer: Int)
    /// The final residual stream (TL `blocks.{L-1}.hook_resid_post`, before ln_final).
    case residPost

    public var role: NodeRole {
        switch self {
        case .embed, .posEmbed, .head, .mlp: .sender
        case .headInput, .mlpIn, .residPost: .receiver
        }
    }

    /// The display name used in files and hypotheses: `embed`, `pos_embed`, `a{L}.{H}`, `m{L}`, `a{L}.{H}.q|k|v`,
    /// `m{L}` (the MLP input shares its output's name), `resid_post`.
    public var name: String {
        switch self {
        case .embed: "embed"
        case .posEmbed: "pos_embed"
        case .head(let layer, let head): "a\(layer).\(head)"
        case .mlp(let layer): "m\(layer)"
        case .headInput(let layer, let head, let input): "a\(layer).\(head).\(input.rawValue)"
        case .mlpIn(let layer): "m\(layer)"
        case .residPost: "resid_post"
        }
    }
}

/// One node of a `CircuitGraph`.
public struct GraphNode: Hashable, Sendable {
    public let id: NodeID
    public let kind: NodeKind
    /// The transformer block the node belongs to; `-1` for the embeddings and `nLayers` for `resid_post`, so that
    /// an edge always goes from a smaller-or-equal layer to a larger-or-equal one.
    public let layer: Int
    /// Display name (see `NodeKind.name`); unique within a role.
    public let name: String

    public var role: NodeRole { kind.role }
}

/// One edge of a `CircuitGraph`.
public struct GraphEdge: Hashable, Sendable {
    public let id: EdgeID
    public let sender: NodeID
    public let receiver: NodeID
}
