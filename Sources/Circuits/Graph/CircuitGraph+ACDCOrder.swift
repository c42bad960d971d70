import Transformer

/// The orders in which ACDC visits receivers and tries their incoming edges.
///
/// Source: ArthurConmy/Automatic-Circuit-Discovery (commit bc99ace8), `acdc/TLACDCCorrespondence.py`
/// (`setup_from_model`) and `acdc/TLACDCExperiment.py` (`reverse_topologically_sort_corr`, `step`,
/// `find_next_node`).
///
/// Sender order for one receiver. `setup_from_model` walks the layers from last to first; in each layer it first
/// adds the MLP output as a parent of every receiver collected so far (later layers' receivers and `resid_post`),
/// then the MLP input (`hook_resid_mid`) joins that collection, then the heads from `n_heads-1` down to 0 become
/// parents of the collection (so same-layer heads feed the MLP input), then the layer's q/k/v inputs join it.
/// Finally the embedding(s) — `hook_embed` then `hook_pos_embed` with `use_pos_embed` (tracr), otherwise
/// `blocks.0.hook_resid_pre` — become parents of every receiver. Parents are stored in a nested insertion-ordered
/// dictionary `edges[child][child_index][parent_name][parent_index]`. `step` iterates parent *names* in insertion
/// order (`names_mode="normal"`, the default everywhere) and, within a name, parent *indices* in insertion order
/// (`indices_mode="normal"`, the default of `acdc/main.py`'s `--indices-mode`, which the paper's sweep
/// `experiments/launch_spreadsheet.py` does not override) or reversed
/// (`indices_mode="reverse"`, the default of the `TLACDCExperiment` constructor and used in ACDC's tests). All heads
/// of a layer share one name (`blocks.{L}.attn.hook_result`), so the index mode only reverses the heads within a
/// layer. The resulting order for a receiver is:
///
///     [heads of the receiver's own layer — MLP inputs only]
///     for L from the last layer before the receiver down to 0: m{L}, then a{L}.{H-1} … a{L}.0  (normal)
///                                                                     or a{L}.0 … a{L}.{H-1}  (reverse)
///     embed, pos_embed          (or the single embed)
///
/// Receiver visiting order. `reverse_topologically_sort_corr` orders the node names by the reverse of
/// TransformerLens' hook firing order, and `find_next_node` walks names in that order and, within a name, indices in
/// insertion order (heads `n_heads-1` … 0). For our receivers this is: `resid_post`; then for each layer from last
/// to first: the MLP input (`hook_resid_mid`), every head's v input (heads H-1 … 0), every k input, every q input.
/// ACDC also visits the senders' own nodes (`hook_mlp_out`, `hook_q/k/v`, whose single incoming edge is a
/// `DIRECT_COMPUTATION` link inside the component); those are not edges of this graph.
public enum ACDCIndexOrder: String, Sendable, Hashable, CaseIterable {
    /// `indices_mode="normal"`: heads of a layer tried from the highest index down (`acdc/main.py` default).
    case normal
    /// `indices_mode="reverse"`: heads of a layer tried from head 0 up (`TLACDCExperiment` constructor default).
    case reverse
}

extension CircuitGraph {
    /// The incoming edges of a receiver in the order ACDC's `step` tries removing them (see the type-level notes
    /// above `ACDCIndexOrder` for the derivation from ACDC's source).
    public func incomingEdgesInACDCOrder(_ receiver: NodeID, indexOrder: ACDCIndexOrder = .normal) -> [EdgeID] {
        let receiverLayer: Int
        var sameLayerHeads = false
        switch self[receiver].kind {
        case .headInput(let layer, _, _):
            receiverLayer = layer
        case .mlpIn(let layer):
            receiverLayer = layer
            sameLayerHeads = !parallelResidual
        case .residPost:
            receiverLayer = nLayers
        case .embed, .posEmbed, .head, .mlp:
            preconditionFailure("\(receiver) is not a receiver")
        }

        var senders: [NodeID] = []
        if sameLayerHeads { senders += headsInACDCOrder(layer: receiverLayer, indexOrder: indexOrder) }
        for layer in stride(from: receiverLayer - 1, through: 0, by: -1) {
            if let mlp = mlpSender(layer: layer) { senders.append(mlp) }
            senders += headsInACDCOrder(layer: layer, indexOrder: indexOrder)
        }
        senders.append(embed)
        if let posEmbed { senders.append(posEmbed) }

        return senders.map { sender in
            guard let edge = edge(sender: sender, receiver: receiver) else {
                preconditionFailure("ACDC order names \(self[sender].name) -> \(self[receiver].name), not in the graph")
            }
            return edge
        }
    }

    /// Receivers in the order ACDC visits them: `resid_post`, then per layer from last to first the MLP input and
    /// the v, k, q inputs of heads H-1 … 0 (see the notes above `ACDCIndexOrder`).
    public var receiversInACDCOrder: [NodeID] {
        var order: [NodeID] = [residPost]
        for layer in stride(from: nLayers - 1, through: 0, by: -1) {
            if let mlpIn = mlpInputReceiver(layer: layer) { order.append(mlpIn) }
            for input in [HeadInput.v, .k, .q] {
                for head in stride(from: nHeads - 1, through: 0, by: -1) {
                    order.append(headInputReceiver(layer: layer, head: head, input: input))
                }
            }
        }
        return order
    }

    private func headsInACDCOrder(layer: Int, indexOrder: ACDCIndexOrder) -> [NodeID] {
        let heads = (0..<nHeads).map { headSender(layer: layer, head: $0) }
        return indexOrder == .normal ? heads.reversed() : heads
    }
}
