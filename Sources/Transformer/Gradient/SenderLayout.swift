import Tensor

/// Where each component's output sits in a `[senders, rows·dModel]` store: the embedding (or the token embedding
/// and the position embedding apart), then per layer its heads' outputs z_h·W_O[h] and its MLP's output. This is
/// the sender order of the circuit graph (`CircuitGraph`'s ids), so a store filled by `GradientRunner.forward` is
/// indexed by sender id.
public struct SenderLayout: Sendable, Equatable {
    public let nLayers: Int
    public let nHeads: Int
    public let hasMLP: Bool
    /// Whether the token and position embeddings are two senders.
    public let separatePositionEmbedding: Bool

    public init(config: ModelConfig) {
        nLayers = config.nLayers
        nHeads = config.nHeads
        hasMLP = config.hasMLP
        separatePositionEmbedding = config.separatePositionEmbedding
    }

    /// Embedding senders: 1, or 2 with a separate position embedding (row 1).
    public var embedCount: Int { separatePositionEmbedding ? 2 : 1 }
    var perLayer: Int { nHeads + (hasMLP ? 1 : 0) }
    /// Number of senders.
    public var count: Int { embedCount + nLayers * perLayer }
    /// The row of head `head` of layer `layer`.
    public func head(layer: Int, head: Int) -> Int { embedCount + layer * perLayer + head }
    /// The row of MLP `layer`, nil without MLPs.
    public func mlp(layer: Int) -> Int? { hasMLP ? embedCount + layer * perLayer + nHeads : nil }
}

/// A component's output replaced by constants during a forward pass (EAP-IG-activations interpolates one
/// component group's output between its clean and corrupted values, Hanna et al. 2024): the replaced component
/// is not computed and no gradient reaches its inputs; everything downstream is recomputed.
public enum OutputReplacement: Sendable {
    /// Every head of `layer` outputs `values[h]`: `[nHeads, rows·dModel]`, head h's z_h·W_O[h] (b_O is added).
    case heads(layer: Int, values: Tensor)
    /// MLP `layer` outputs `values`, `[rows, dModel]` (its whole output, b_out included).
    case mlp(layer: Int, values: Tensor)

    /// The layer the pass starts at: everything below it is the unreplaced run.
    public var layer: Int {
        switch self {
        case .heads(let layer, _), .mlp(let layer, _): layer
        }
    }
}

/// How a forward pass writes its senders' outputs into a store.
public enum SenderRecording: Sendable {
    /// store[s] = output(s).
    case assign
    /// store[s] = output(s) − store[s]: with the clean outputs in the store, a corrupted pass leaves
    /// corrupted − clean, EAP's Δ, without a second store.
    case differenceFrom
    /// store[s] = store[s] − output(s): with the patch values in the store, a clean pass leaves patch − clean.
    case subtract
    /// `.assign` for the embedding and the MLPs (and the last layer's heads); every other head's output is not
    /// formed: the runner keeps the layer's z instead, and the next `.differenceFrom` or `.subtract` pass writes
    /// those heads' rows as (z − kept z)·W_O[h] or (kept z − z)·W_O[h]. That is one product per head for a
    /// difference instead of one per pass and head (z_h·W_O[h] differs from the heads' sum only in how it is
    /// split; the sum is formed in one product either way). Until that pass the heads' rows hold whatever they held.
    case assignKeepingZ
}
