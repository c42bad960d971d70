/// One of a head's three inputs: the query, key or value it computes from the residual stream. In circuit graphs
/// each is a receiver (`a{L}.{H}.q|k|v`, TransformerLens's `hook_{q,k,v}_input`).
public enum HeadInput: String, Hashable, Sendable, CaseIterable, Comparable {
    case q
    case k
    case v

    /// Index within a head's inputs: q 0, k 1, v 2.
    public var index: Int {
        switch self {
        case .q: 0
        case .k: 1
        case .v: 2
        }
    }

    public static func < (lhs: HeadInput, rhs: HeadInput) -> Bool { lhs.index < rhs.index }
}

/// Where each head's q, k and v live: the one place that knows the column arithmetic of fused projections.
///
/// Two layouts exist:
/// * **Weights** (`BlockWeights.qkvWeight`, `[dModel, (nHeads + 2·nKVHeads)·dHead]`): queries of every query
///   head, then keys and values of every key/value head. Under grouped-query attention query head h reads
///   key/value head `h / (nHeads / nKVHeads)` (Hugging Face `repeat_kv`).
/// * **Activations** (`[rows, 3·nHeads·dHead]`, what the runner records and patches, and what the executor
///   computes): *ungrouped*, one q, k and v per query head — input j of head h at column `j·nHeads·dHead + h·dHead`
///   — as TransformerLens's `ungroup_grouped_query_attention` and EAP-IG see them, so that patching `a5.3.k`
///   changes the keys head 3 sees and no other head's. Without grouping this is GPT-2's `c_attn` output itself.
public struct HeadInputLayout: Sendable, Hashable {
    public let nHeads: Int
    public let nKVHeads: Int
    public let dHead: Int

    public init(nHeads: Int, nKVHeads: Int, dHead: Int) {
        precondition(nHeads > 0 && nKVHeads > 0 && nHeads % nKVHeads == 0,
                     "HeadInputLayout: \(nHeads) query heads cannot share \(nKVHeads) key/value heads")
        self.nHeads = nHeads
        self.nKVHeads = nKVHeads
        self.dHead = dHead
    }

    public init(config: ModelConfig) {
        self.init(nHeads: config.nHeads, nKVHeads: config.nKVHeads, dHead: config.dHead)
    }

    /// Whether query heads share key/value heads.
    public var isGrouped: Bool { nKVHeads != nHeads }

    /// The key/value head that query head `head` reads.
    public func kvHead(of head: Int) -> Int { head / (nHeads / nKVHeads) }

    // MARK: Activations (ungrouped)

    /// Row width of the ungrouped activations: `3·nHeads·dHead`.
    public var activationWidth: Int { 3 * nHeads * dHead }

    /// Width of one kind of input over all heads: `nHeads·dHead` (the layout of `hook_q`, `hook_z`).
    public var headsWidth: Int { nHeads * dHead }

    /// The first column of `input` of query head `head` in an ungrouped activation row.
    public func activationColumn(_ input: HeadInput, head: Int) -> Int {
        input.index * nHeads * dHead + head * dHead
    }

    // MARK: Weights (grouped)

    /// Columns of the fused projection: `(nHeads + 2·nKVHeads)·dHead`.
    public var weightWidth: Int { (nHeads + 2 * nKVHeads) * dHead }

    /// The first column of the weights (and bias) producing `input` of query head `head`.
    public func weightColumn(_ input: HeadInput, head: Int) -> Int {
        switch input {
        case .q: head * dHead
        case .k: (nHeads + kvHead(of: head)) * dHead
        case .v: (nHeads + nKVHeads + kvHead(of: head)) * dHead
        }
    }

    /// Where a whole kind starts in the fused projection's output: queries at 0, keys at `nHeads·dHead`, values at
    /// `(nHeads + nKVHeads)·dHead`; each kind's heads are consecutive.
    public func weightBlock(_ input: HeadInput) -> (column: Int, heads: Int) {
        switch input {
        case .q: (0, nHeads)
        case .k: (nHeads * dHead, nKVHeads)
        case .v: ((nHeads + nKVHeads) * dHead, nKVHeads)
        }
    }
}
