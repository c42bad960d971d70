/// How the edge tests of `ACDCPruner` (and of anyone using `EdgePatchingExecutor.test(_:)`) are computed.
public enum EdgeTestMode: String, Sendable, CaseIterable {
    /// From the executor's current state, recomputing only the nodes a change reaches through present edges
    /// (`EdgePatchingExecutor.test(_:)`).
    case sparse
    /// Every test a full patched run of the candidate circuit (`EdgePatchingExecutor.logits(keeping:)`), as
    /// circuitry did before sparse tests; kept for comparison and as a fallback.
    case dense
}

/// A change to test against the executor's current state: edges to remove and head inputs to sever (replace by
/// the ablation source's q, k or v as a whole, as when ACDC removes a `hook_q_input → hook_q` edge).
///
/// Several removals at once are allowed: speculative evaluation tests "the next candidates as cumulative removals"
/// as one change on the state the coordinator last accepted.
public struct StateChange: Sendable, Hashable {
    /// Edges present in the current state.
    public var removedEdges: [EdgeID]
    /// Head-input receivers (`a{L}.{H}.q|k|v`).
    public var severedInputs: [NodeID]

    public init(removedEdges: [EdgeID] = [], severedInputs: [NodeID] = []) {
        self.removedEdges = removedEdges
        self.severedInputs = severedInputs
    }

    public static func removing(_ edge: EdgeID) -> StateChange { StateChange(removedEdges: [edge]) }
    public static func severing(_ input: NodeID) -> StateChange { StateChange(severedInputs: [input]) }
}
