import Transformer

/// What is wrong with one line of a hypothesis file (carried by `CircuitsError.hypothesis`).
public enum HypothesisProblem: Sendable, Equatable, CustomStringConvertible {
    /// The token is not a node name of any form.
    case unknownNode
    /// A head outside the model (`a12.0` in a 12-layer model).
    case headOutOfRange(layer: Int, head: Int, nLayers: Int, nHeads: Int)
    /// An MLP outside the model.
    case layerOutOfRange(layer: Int, nLayers: Int)
    /// An MLP named in an attention-only model.
    case noMLPs
    /// `pos_embed` named in a graph whose embedding is one node.
    case noPositionEmbedding
    /// A head input suffix other than `.q`, `.k`, `.v`.
    case badInputSuffix(suffix: String)
    /// `->` with nothing (or only whitespace) on one side.
    case missingPathSide
    /// A node that only reads the residual stream (`resid_post`) used as the sending side of an edge.
    case receiverAsSender
    /// A node that only writes to the residual stream (`embed`, `pos_embed`) used as the receiving side.
    case senderAsReceiver
    /// A head input (`a7.3.k`) at the start of a path, where only the head's output could be meant.
    case inputSuffixOnSender
    /// Two valid nodes the graph does not connect: the sender's layer is not before the receiver's (heads and
    /// MLPs of layer L feed layers > L; heads of layer L also feed MLP L).
    case edgeNotInGraph(sender: String, receiver: String)
    /// A head input (`a7.3.k`) in a node list or class; lists name whole components.
    case inputSuffixInNodeList
    /// A class name used twice; `firstLine` is where it was defined.
    case duplicateClass(name: String, firstLine: Int)
    /// `name:` with no nodes after it.
    case emptyClass(name: String)
    /// A class name with characters other than letters, digits, `-`, `_`, `.`.
    case badClassName
    /// A circuit report (JSON) that is not valid JSON or not of the report's shape.
    case malformedJSON(reason: String)
    /// A DOT line that is not one of the statements `CircuitDOT` writes (node, edge, attribute, brace).
    case malformedDOT(reason: String)
    /// A name used where a head input (`a{L}.{H}.q|k|v`) is required (a report's `severed_inputs`).
    case notAHeadInput
    /// A `--circuit` built-in name that is not available here (e.g. `canonical` for a task without one).
    case unknownBuiltIn(available: [String])

    public var description: String {
        switch self {
        case .unknownNode:
            "not a node name (embed, pos_embed, a{L}.{H}, a{L}.{H}.q|k|v, m{L}, resid_post)"
        case .headOutOfRange(let layer, let head, let nLayers, let nHeads):
            "head \(layer).\(head) is outside the model (layers 0..<\(nLayers), heads 0..<\(nHeads))"
        case .layerOutOfRange(let layer, let nLayers):
            "layer \(layer) is outside the model (layers 0..<\(nLayers))"
        case .noMLPs:
            "the model is attention-only: it has no MLPs"
        case .noPositionEmbedding:
            "this graph has a single embedding node 'embed' (token + position)"
        case .badInputSuffix(let suffix):
            "'\(suffix)' is not a head input; use .q, .k or .v"
        case .missingPathSide:
            "'->' needs a node on both sides"
        case .receiverAsSender:
            "resid_post only receives; it cannot send along an edge"
        case .senderAsReceiver:
            "embeddings only send; they cannot receive along an edge"
        case .inputSuffixOnSender:
            "a head input cannot send; write the head (without .q/.k/.v) at the start of a path"
        case .edgeNotInGraph(let sender, let receiver):
            "the graph has no edge \(sender) -> \(receiver): senders must be in an earlier layer "
                + "(heads of layer L also feed MLP L)"
        case .inputSuffixInNodeList:
            "node lists name whole heads; q/k/v inputs can only be named in edges"
        case .duplicateClass(let name, let firstLine):
            "class '\(name)' is already defined on line \(firstLine)"
        case .emptyClass(let name):
            "class '\(name)' lists no nodes"
        case .badClassName:
            "a class name may contain only letters, digits, '-', '_' and '.'"
        case .malformedJSON(let reason):
            "malformed circuit JSON: \(reason)"
        case .malformedDOT(let reason):
            "malformed circuit DOT: \(reason)"
        case .notAHeadInput:
            "not a head input (a{L}.{H}.q|k|v)"
        case .unknownBuiltIn(let available):
            available.isEmpty
                ? "no built-in circuit here; give a file"
                : "not a built-in circuit here; choose " + available.joined(separator: ", ") + " or give a file"
        }
    }
}
