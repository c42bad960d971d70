import Transformer
import Circuits

/// The IOI circuit of Wang et al. 2022 ("Interpretability in the Wild", arXiv 2211.00593) in GPT-2 small, as ACDC
/// encodes it for its ROC curves (`IOI_CIRCUIT` and `get_ioi_true_edges` in ArthurConmy/Automatic-Circuit-DisCovery
/// `acdc/ioi/utils.py`; the head lists are facts of the paper, the edge rules ACDC's).
///
/// 26 heads in seven classes. The edges:
/// 1. All MLPs stay, with every edge among the embedding, the MLPs, the circuit heads and `resid_post` that the
///    graph has — except the ones rule 2 removes. (ACDC builds the circuit by masking the q/k/v of every other
///    head, which leaves the MLPs fully connected.)
/// 2. Into a circuit head, neither the embedding nor any head feeds directly, and no circuit head writes to
///    `resid_post` directly — unless rule 3 adds the edge back.
/// 3. Class connections, each only from an earlier layer to a later one:
///    INPUT (embedding and every MLP) → previous token, duplicate token (q, k, v); → S-inhibition (q);
///    → negative, name mover, backup name mover (k, v). previous token → induction (k, v); induction and
///    duplicate token → S-inhibition (k, v); S-inhibition → negative, name mover, backup name mover (q).
///    negative, name mover and backup name mover → OUTPUT (`resid_post` and every later MLP).
public enum IOICanonicalCircuit {
    /// The classes with their heads as (layer, head), in ACDC's order.
    public static let classes: [(name: String, heads: [(layer: Int, head: Int)])] = [
        ("name-mover", [(9, 9), (10, 0), (9, 6)]),
        ("backup-name-mover", [(10, 10), (10, 6), (10, 2), (10, 1), (11, 2), (9, 7), (9, 0), (11, 9)]),
        ("negative-name-mover", [(10, 7), (11, 10)]),
        ("s-inhibition", [(7, 3), (7, 9), (8, 6), (8, 10)]),
        ("induction", [(5, 5), (5, 8), (5, 9), (6, 9)]),
        ("duplicate-token", [(0, 1), (0, 10), (3, 0)]),
        ("previous-token", [(2, 2), (4, 11)]),
    ]

    /// Class-to-class connections: from class (nil: INPUT), to class (nil: OUTPUT), through which head inputs.
    static let connections: [(from: String?, to: String?, inputs: [HeadInput])] = [
        (nil, "previous-token", [.q, .k, .v]),
        (nil, "duplicate-token", [.q, .k, .v]),
        (nil, "s-inhibition", [.q]),
        (nil, "negative-name-mover", [.k, .v]),
        (nil, "name-mover", [.k, .v]),
        (nil, "backup-name-mover", [.k, .v]),
        ("previous-token", "induction", [.k, .v]),
        ("induction", "s-inhibition", [.k, .v]),
        ("duplicate-token", "s-inhibition", [.k, .v]),
        ("s-inhibition", "negative-name-mover", [.q]),
        ("s-inhibition", "name-mover", [.q]),
        ("s-inhibition", "backup-name-mover", [.q]),
        ("negative-name-mover", nil, []),
        ("name-mover", nil, []),
        ("backup-name-mover", nil, []),
    ]

    /// Whether the circuit fits a graph: GPT-2 small's shape (12 layers of 12 heads with MLPs).
    public static func fits(_ graph: CircuitGraph) -> Bool {
        graph.nLayers == 12 && graph.nHeads == 12 && graph.hasMLP && !graph.separatePositionEmbedding
    }

    /// The canonical circuit as a hypothesis with its seven classes. Precondition: `fits(graph)`.
    public static func hypothesis(graph: CircuitGraph) -> Hypothesis {
        precondition(fits(graph), "the canonical IOI circuit is defined on GPT-2 small's graph")
        var heads: [String: [NodeID]] = [:]
        for group in classes {
            heads[group.name] = group.heads.map { graph.headSender(layer: $0.layer, head: $0.head) }
        }
        let circuitHeads = Set(heads.values.joined())
        let mlps = (0..<graph.nLayers).compactMap { graph.mlpSender(layer: $0) }
        let inputSenders = [graph.embed] + mlps

        var circuit = Circuit.empty(graph)
        // Rule 1 and 2: embedding, MLPs and circuit heads into MLPs and resid_post (not head -> resid_post), and
        // MLPs into circuit heads.
        let senders = Set(inputSenders).union(circuitHeads)
        for edge in graph.edges where senders.contains(edge.sender) {
            switch graph[edge.receiver].kind {
            case .mlpIn:
                circuit.insert(edge.id)
            case .residPost:
                if !circuitHeads.contains(edge.sender) { circuit.insert(edge.id) }
            case .headInput:
                if mlps.contains(edge.sender), circuitHeads.contains(graph.component(of: edge.receiver)) {
                    circuit.insert(edge.id)
                }
            default:
                break
            }
        }
        // Rule 3.
        for connection in connections {
            let from = connection.from.map { heads[$0] ?? [] } ?? inputSenders
            let receivers: [NodeID]
            if let to = connection.to {
                receivers = (heads[to] ?? []).flatMap { head -> [NodeID] in
                    guard case .head(let layer, let index) = graph[head].kind else { return [] }
                    return connection.inputs.map { graph.headInputReceiver(layer: layer, head: index, input: $0) }
                }
            } else {
                receivers = [graph.residPost] + (0..<graph.nLayers).compactMap { graph.mlpInputReceiver(layer: $0) }
            }
            for sender in from {
                for receiver in receivers where graph[receiver].layer > graph[sender].layer {
                    if let edge = graph.edge(sender: sender, receiver: receiver) { circuit.insert(edge) }
                }
            }
        }
        return Hypothesis(
            graph: graph, circuit: circuit, classes: classes.map { ($0.name, heads[$0.name] ?? []) })
    }
}
