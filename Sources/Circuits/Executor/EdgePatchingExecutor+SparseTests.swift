import Tensor
import Transformer

/// Sparse edge tests (issue 17): the executor keeps a current state — a circuit with its severed head inputs and
/// the value of every node that differs from the clean run — and a test of a change (edges removed, inputs severed)
/// recomputes only what the change reaches through present edges: the receiver's head (only the changed q, k or v
/// projections) or MLP, then every node reading a recomputed sender through a present edge, down to the logits at
/// the read rows when `resid_post` is reached. An absent edge carries its sender's ablation value whatever the
/// sender now computes, so a change stops where the circuit has no edge. Accepting the change commits the
/// recomputed values as the new state.
///
/// Values are computed so that a node's value is a function of the circuit alone (`OrderedRowSums`, fixed shapes
/// for every product): a state reached by any sequence of tests and commits holds, bit for bit, what `setState`
/// computes from scratch for the same circuit. That is what lets a resumed ACDC run, or a worker that evaluates
/// speculative candidates and later re-synchronises, reproduce the sequential run exactly.
///
/// The logits equal the dense executor's (`logits(keeping:)`, a different order of the same additions) to rounding.
extension EdgePatchingExecutor {
    /// The current state's circuit and severed head inputs.
    public var stateCircuit: Circuit { sparse.circuit }
    public var stateSeveredInputs: Set<NodeID> {
        Set(sparse.severed.indices.filter { sparse.severed[$0] }.map { NodeID(graph.senderCount + $0) })
    }

    /// `[batch, readPositions, dVocabOut]`: the current state's logits.
    public var stateLogits: Tensor { sparse.logits }

    /// Makes `circuit` with `severedInputs` the current state. When it only removes edges or severs inputs relative
    /// to the current state this recomputes what those changes reach (and when it is the pending test's circuit,
    /// commits that test); otherwise it starts again from the clean run and recomputes every node the circuit's
    /// ablations reach. Either way the state is what a computation from scratch gives.
    public mutating func setState(circuit: Circuit, severedInputs: Set<NodeID> = []) {
        precondition(circuit.edgeCount == graph.edgeCount, "setState: a circuit of another graph")
        var severed = [Bool](repeating: false, count: graph.receiverCount)
        for r in severedInputs {
            guard case .headInput = graph[r].kind else { preconditionFailure("setState: \(graph[r].name) cannot be severed") }
            severed[graph.receiverOrdinal(r)] = true
        }
        if let test = pending, test.circuit == circuit, test.severed == severed {
            commitTest()
            return
        }
        discardTest()
        if circuit == sparse.circuit && severed == sparse.severed { return }
        let removesOnly = circuit.isSubset(of: sparse.circuit)
            && zip(sparse.severed, severed).allSatisfy { !$0 || $1 }
        if !removesOnly { resetToClean() }
        let change = StateChange(
            removedEdges: sparse.circuit.subtracting(circuit).edges,
            severedInputs: severed.indices.filter { severed[$0] && !sparse.severed[$0] }.map {
                NodeID(graph.senderCount + $0)
            })
        var test = propagate(change)
        testStatistics.flops += test.flops
        test.flops = 0
        pending = test
        commitTest()
    }

    /// `[batch, readPositions, dVocabOut]`: the logits of the current state with `change` applied, recomputing
    /// only what the change reaches. The recomputed values are held until `commitTest()` makes them the state, or
    /// the next test or `discardTest()` drops them.
    ///
    /// Preconditions: the removed edges are present in the state; the severed inputs are head inputs.
    public mutating func test(_ change: StateChange) -> Tensor {
        discardTest()
        let test = propagate(change)
        testStatistics.tests += 1
        testStatistics.flops += test.flops
        testStatistics.denseFLOPs += denseTestFLOPs(circuit: test.circuit, severed: test.severed)
        pending = test
        return test.logits ?? sparse.logits
    }

    /// Makes the last test's circuit and values the current state.
    public mutating func commitTest() {
        guard let test = pending else { return }
        pending = nil
        for s in test.senders {
            if let old = sparse.senderRow[s] { senderRows.give(old) }
            sparse.senderRow[s] = test.senderRow[s]
        }
        for r in test.inputs {
            if let old = sparse.inputRow[r] { inputRows.give(old) }
            sparse.inputRow[r] = test.inputRow[r]
        }
        // Severed inputs read the source; dead senders' values are never read again (edges are only removed).
        for r in 0..<graph.receiverCount where sparse.inputRow[r] != nil {
            let component = graph.component(of: NodeID(graph.senderCount + r)).rawValue
            if test.severed[r] || !test.alive[component], let old = sparse.inputRow[r] {
                inputRows.give(old)
                sparse.inputRow[r] = nil
            }
        }
        for s in 0..<graph.senderCount where !test.alive[s] {
            if let old = sparse.senderRow[s] {
                senderRows.give(old)
                sparse.senderRow[s] = nil
            }
        }
        sparse.circuit = test.circuit
        sparse.severed = test.severed
        if let logits = test.logits {
            if sparse.logits.count == logits.count { spareLogits = sparse.logits }
            sparse.logits = logits
        }
    }

    /// Drops the last test's values; the state is unchanged.
    public mutating func discardTest() {
        guard let test = pending else { return }
        pending = nil
        for s in test.senders { if let row = test.senderRow[s] { senderRows.give(row) } }
        for r in test.inputs { if let row = test.inputRow[r] { inputRows.give(row) } }
        if let logits = test.logits { spareLogits = logits }
    }

    /// Forgets every computed value: the state becomes the clean run's (every edge present).
    mutating func resetToClean() {
        discardTest()
        for s in sparse.senderRow.indices { if let row = sparse.senderRow[s] { senderRows.give(row) } }
        for r in sparse.inputRow.indices { if let row = sparse.inputRow[r] { inputRows.give(row) } }
        sparse = SparseState(graph: graph, cleanLogits: cleanLogits)
    }

    /// Applies `change` to the state's circuit and recomputes, layer by layer, every node it reaches: the
    /// receivers of the removed edges and the severed inputs, then the receivers of every present edge out of a
    /// recomputed sender. Nodes whose output no longer reaches `resid_post` are skipped.
    mutating func propagate(_ change: StateChange) -> SparseTest {
        var test = SparseTest(from: sparse)
        var dirty = [Bool](repeating: false, count: graph.receiverCount)
        var lowest = graph.nLayers
        for edge in change.removedEdges {
            precondition(test.circuit.contains(edge), "test: \(graph.name(of: edge)) is not in the state's circuit")
            test.circuit.remove(edge)
            let r = graph.edges[edge.rawValue].receiver
            dirty[graph.receiverOrdinal(r)] = true
            lowest = min(lowest, graph[r].layer)
        }
        for r in change.severedInputs {
            guard case .headInput(let layer, _, _) = graph[r].kind else {
                preconditionFailure("test: \(graph[r].name) cannot be severed")
            }
            let ordinal = graph.receiverOrdinal(r)
            if !test.severed[ordinal] {
                test.severed[ordinal] = true
                dirty[ordinal] = true
                lowest = min(lowest, layer)
            }
        }
        test.alive = liveSenders(circuit: test.circuit, severed: test.severed)

        func markReceivers(of s: Int) {
            for e in graph.outgoing[s] where test.circuit.contains(e) {
                dirty[graph.edges[e.rawValue].receiver.rawValue - graph.senderCount] = true
            }
        }
        for layer in lowest..<graph.nLayers {
            let block = model.blocks[layer]
            var inputs: [NodeID] = []
            var heads: [Int] = []
            for h in 0..<graph.nHeads where test.alive[graph.headSender(layer: layer, head: h).rawValue] {
                var touched = false
                for input in HeadInput.allCases {
                    let r = graph.headInputReceiver(layer: layer, head: h, input: input)
                    let ordinal = graph.receiverOrdinal(r)
                    guard dirty[ordinal] else { continue }
                    touched = true
                    if !test.severed[ordinal] { inputs.append(r) }
                }
                if touched { heads.append(h) }
            }
            computeHeadInputs(block, inputs, test: &test)
            for h in heads {
                recomputeHead(block, head: h, test: &test)
                markReceivers(of: graph.headSender(layer: layer, head: h).rawValue)
            }
            if let m = graph.mlpSender(layer: layer), let input = graph.mlpInputReceiver(layer: layer),
               dirty[graph.receiverOrdinal(input)], test.alive[m.rawValue] {
                recomputeMLP(block, test: &test)
                markReceivers(of: m.rawValue)
            }
        }
        if dirty[graph.receiverOrdinal(graph.residPost)] {
            test.logits = recomputeLogits(test: &test)
        }
        return test
    }

    /// By sender id: whether the sender's output reaches `resid_post` through present edges into receivers that are
    /// not severed and whose own component reaches it.
    func liveSenders(circuit: Circuit, severed: [Bool]) -> [Bool] {
        var alive = [Bool](repeating: false, count: graph.senderCount)
        let residPost = graph.residPost
        for s in stride(from: graph.senderCount - 1, through: 0, by: -1) {
            for e in graph.outgoing[s] where circuit.contains(e) {
                let r = graph.edges[e.rawValue].receiver
                if r == residPost {
                    alive[s] = true
                } else if !severed[r.rawValue - graph.senderCount] && alive[graph.component(of: r).rawValue] {
                    alive[s] = true
                }
                if alive[s] { break }
            }
        }
        return alive
    }
}
