import Tensor

/// Candidate tests on a given base state, for ACDC's decision loop and for speculative evaluation (issue 17): a
/// candidate is "the run's state `base` (a circuit with severed head inputs) with `change` applied", wherever this
/// executor's own state happens to be.
///
/// Sparse tests give the logits of the candidate circuit whatever state they start from (a node's value is a
/// function of the circuit alone, see `EdgePatchingExecutor+SparseTests`), so the route is a matter of cost only:
///
/// * when the executor's state is a superset of `base` and differs from it only in receivers the change touches
///   anyway (a worker that tested earlier candidates of the same receiver, or whose state is the base itself), the
///   candidate is tested directly from the state, as one change — the same receivers are recomputed as in a test
///   from the base;
/// * otherwise the state is first brought to `base` (`setState`, which commits a matching pending test for free
///   and otherwise recomputes what the base's new removals reach), then the change is tested.
extension EdgePatchingExecutor {
    /// `[batch, readPositions, dVocabOut]`: the logits of `base` with `severedInputs`, with `change` applied — a
    /// sparse test (`edgeTests == .sparse`, the result held as the pending test) or a dense run of the candidate.
    ///
    /// Preconditions: the change's edges are present in `base`; its severed inputs are head inputs.
    public mutating func candidateLogits(_ change: StateChange, base: Circuit, severedInputs: Set<NodeID>) -> Tensor {
        switch edgeTests {
        case .dense:
            var circuit = base
            for edge in change.removedEdges { circuit.remove(edge) }
            let severed = severedInputs.union(change.severedInputs)
            let flops = denseTestFLOPs(circuit: circuit, severedInputs: severed)
            testStatistics.tests += 1
            testStatistics.flops += flops
            testStatistics.denseFLOPs += flops
            return logits(keeping: circuit, severedInputs: severed)
        case .sparse:
            acceptCandidate(circuit: base, severedInputs: severedInputs)
            if let direct = directChange(change, base: base, severedInputs: severedInputs) {
                return test(direct)
            }
            setState(circuit: base, severedInputs: severedInputs)
            return test(change)
        }
    }

    /// The run accepted `circuit` with `severedInputs` as its state: when that is the pending test's circuit, the
    /// test becomes the executor's state at no cost (otherwise the next candidate brings the state up to date).
    public mutating func acceptCandidate(circuit: Circuit, severedInputs: Set<NodeID>) {
        guard edgeTests == .sparse, let test = pending, test.circuit == circuit else { return }
        var severed = [Bool](repeating: false, count: graph.receiverCount)
        for r in severedInputs { severed[graph.receiverOrdinal(r)] = true }
        if test.severed == severed { commitTest() }
    }

    /// The change from the current state to the candidate, when testing it directly costs no more than a test
    /// from the base (see the type's documentation); nil when the state must be brought to the base first.
    func directChange(_ change: StateChange, base: Circuit, severedInputs: Set<NodeID>) -> StateChange? {
        let state = sparse.circuit
        guard base.isSubset(of: state) else { return nil }
        var severedBase = [Bool](repeating: false, count: graph.receiverCount)
        for r in severedInputs { severedBase[graph.receiverOrdinal(r)] = true }
        var newlySevered: [NodeID] = []
        for (ordinal, severed) in sparse.severed.enumerated() {
            if severed && !severedBase[ordinal] { return nil }
            if !severed && severedBase[ordinal] { newlySevered.append(NodeID(graph.senderCount + ordinal)) }
        }
        let behind = state.subtracting(base).edges
        if behind.isEmpty && newlySevered.isEmpty { return change }
        // Receivers the change recomputes anyway, and those the state's lag adds.
        var touched = Set(change.removedEdges.map { graph.edges[$0.rawValue].receiver })
        touched.formUnion(change.severedInputs)
        guard let lowest = touched.map({ graph[$0].layer }).min() else { return nil }
        var extra = Set(behind.map { graph.edges[$0.rawValue].receiver }).union(newlySevered)
        extra.subtract(touched)
        // A few head inputs of the change's own layer (earlier whole-input candidates of a window) add a head each;
        // anything else would be recomputed by every test until the state catches up, so catch up once instead.
        let cheap = extra.count <= 4 && extra.allSatisfy { r in
            if case .headInput(let layer, _, _) = graph[r].kind { return layer == lowest }
            return false
        }
        guard cheap else { return nil }
        // The change's edges are present in the base, so never among those the state lags behind by.
        let removed = behind + change.removedEdges
        var severed = newlySevered
        for r in change.severedInputs where !severed.contains(r) { severed.append(r) }
        return StateChange(removedEdges: removed, severedInputs: severed)
    }
}
