/// Windows of candidates for speculative evaluation (see `CandidateEvaluator`), and the decisions that take their
/// results in order exactly as the sequential loop takes one test at a time.
extension ACDCRun {
    /// The next at most `size` present edges of a receiver from the cursor on, each with its position in
    /// `ordered`; candidate j's change removes candidates 1…j (the run's circuit with the earlier ones gone).
    func edgeWindow(ordered: [EdgeID], size: Int) -> (candidates: [(edge: EdgeID, position: Int)], changes: [StateChange]) {
        var candidates: [(edge: EdgeID, position: Int)] = []
        var position = edgeCursor
        while candidates.count < size && position < ordered.count {
            if circuit.contains(ordered[position]) { candidates.append((ordered[position], position)) }
            position += 1
        }
        let changes = candidates.indices.map { j in StateChange(removedEdges: candidates[...j].map(\.edge)) }
        return (candidates, changes)
    }

    /// Applies the result of testing `edge`'s removal (at `position` of the receiver's order); returns whether the
    /// edge was removed. Exactly one iteration of the sequential loop.
    mutating func decideEdge(
        _ edge: EdgeID, position: Int, after: (value: Double, loss: Double), configuration: ACDCConfiguration
    ) -> Bool {
        statistics.edgeTests += 1
        let change = change(to: after.loss, configuration: configuration)
        effects[edge.rawValue] = change
        let removed = change < configuration.threshold
        if removed {
            circuit.remove(edge)
            accept(after)
            statistics.edgesRemoved += 1
        }
        edgeCursor = position + 1
        return removed
    }

    /// One whole-input step of a window: skipped (already severed), severed untested (its head no longer reaches
    /// the output), or tested (candidate `index` of the window's changes).
    enum WholeInputEntry {
        case alreadySevered
        case unused(NodeID)
        case tested(NodeID, index: Int)
    }

    /// Consecutive whole-input steps from the current one (which must be tested) up to the `size`-th tested one or
    /// the first receiver step. Whether a later step is tested does not depend on the window's decisions: severing
    /// changes no edge, so which heads reach the output stays as it is, and each input has one step. Candidate j
    /// severs every input the window severs before it, tested or not, and its own.
    func wholeInputWindow(schedule: [ACDCStep], graph: CircuitGraph, size: Int)
        -> (entries: [WholeInputEntry], changes: [StateChange])
    {
        var entries: [WholeInputEntry] = []
        var changes: [StateChange] = []
        var cumulative: [NodeID] = []
        var s = step
        while s < schedule.count, changes.count < size, case .wholeInput(let input) = schedule[s] {
            if severed.contains(input) {
                entries.append(.alreadySevered)
            } else if !headIsUsed(graph.component(of: input), graph: graph) {
                entries.append(.unused(input))
                cumulative.append(input)
            } else {
                cumulative.append(input)
                entries.append(.tested(input, index: changes.count))
                changes.append(StateChange(severedInputs: cumulative))
            }
            s += 1
        }
        // Steps after the last tested one are left to the main loop (the budget may end the run before them).
        if let lastTested = entries.lastIndex(where: { if case .tested = $0 { true } else { false } }) {
            entries.removeSubrange((lastTested + 1)...)
        }
        return (entries, changes)
    }

    /// Applies a non-tested whole-input step, or the result of a tested one; returns false when a tested input was
    /// kept (the window's later results assumed it severed). Exactly one iteration of the sequential loop.
    mutating func decideWholeInput(
        _ entry: WholeInputEntry, after: (value: Double, loss: Double)?, configuration: ACDCConfiguration
    ) -> Bool {
        defer {
            edgeCursor = 0
            step += 1
        }
        switch entry {
        case .alreadySevered:
            return true
        case .unused(let input):
            severed.insert(input)
            statistics.wholeInputsSeveredUnused += 1
            return true
        case .tested(let input, _):
            guard let after else { preconditionFailure("a tested whole input needs its result") }
            statistics.wholeInputTests += 1
            let change = change(to: after.loss, configuration: configuration)
            wholeEffects[input] = change
            guard change < configuration.threshold else { return false }
            severed.insert(input)
            accept(after)
            statistics.wholeInputsSevered += 1
            return true
        }
    }
}
