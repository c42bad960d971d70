import Transformer

extension EdgePatchingExecutor {
    /// The FLOPs the dense test of `circuit` (`logits(keeping:severedInputs:)`) issues, counted as
    /// `EdgeTestStatistics` counts them and following what the dense run does: from the lowest layer with an ablated
    /// edge or a severed input, every head and MLP whose input differs from the clean run; per layer one correction
    /// product of a 0/1 mask `[inputs with ablated edges, senders below]` with the stored sender rows; the fused
    /// projection of every head's q, k and v when at least `nHeads` inputs read the unpatched residual, and a narrow
    /// projection per other input; attention, head outputs and MLPs (in the last layer at the read rows); the logits.
    func denseTestFLOPs(circuit: Circuit, severedInputs: Set<NodeID>) -> Double {
        var severed = [Bool](repeating: false, count: graph.receiverCount)
        for r in severedInputs { severed[graph.receiverOrdinal(r)] = true }
        return denseTestFLOPs(circuit: circuit, severed: severed)
    }

    func denseTestFLOPs(circuit: Circuit, severed: [Bool]) -> Double {
        let cost = denseTestCost(circuit: circuit, severed: severed)
        return cost.products + cost.other
    }

    /// The dense test's FLOPs in its matrix products (what its `MatrixProductLog` records) and in the rest.
    func denseTestCost(circuit: Circuit, severed: [Bool]) -> (products: Double, other: Double) {
        let c = model.config
        let d = c.dModel, dh = c.dHead, n = batch.rows, w = senderWidth
        var ablated = [Int](repeating: 0, count: graph.receiverCount)
        var lowest: Int?
        for ordinal in 0..<graph.receiverCount {
            let r = NodeID(graph.senderCount + ordinal)
            let range = graph.incomingEdgeRange(of: r)
            let absent = range.count - circuit.count(in: range)
            ablated[ordinal] = severed[ordinal] ? 0 : absent
            if absent > 0 || severed[ordinal] { lowest = min(lowest ?? graph[r].layer, graph[r].layer) }
        }
        guard let lowest else { return (0, 0) }
        let projection = 2 * Double(n * d * dh)
        var flops = 0.0, other = 0.0
        var changed = false
        for layer in lowest..<graph.nLayers {
            let active = lastLayerRows(layer)
            let rows = active?.count ?? n
            let changedBefore = changed
            var corrections = 0, shared = 0, patched = 0, heads = 0
            for h in 0..<graph.nHeads {
                let inputs = HeadInput.allCases.map {
                    graph.receiverOrdinal(graph.headInputReceiver(layer: layer, head: h, input: $0))
                }
                guard changed || inputs.contains(where: { ablated[$0] > 0 || severed[$0] }) else { continue }
                heads += 1
                for i in inputs where !severed[i] {
                    if ablated[i] > 0 { corrections += 1; patched += 1 } else { shared += 1 }
                }
            }
            if heads > 0 {
                let senderLimit = graph.headSender(layer: layer, head: 0).rawValue
                flops += 2 * Double(corrections * senderLimit) * Double(w)
                let fused = shared >= graph.nHeads
                flops += fused ? 2 * Double(n * d * HeadInputLayout(config: c).weightWidth) : Double(shared) * projection
                flops += Double(patched) * projection
                flops += Double(heads) * 2 * Double(rows * dh * d)
                other += Double(heads) * (attentionFLOPs(queries: active == nil ? nil : activePositions, dHead: dh)
                    + Double(rows * d))
                changed = true
            }
            if let input = graph.mlpInputReceiver(layer: layer), let mlp = graph.mlpSender(layer: layer) {
                let a = ablated[graph.receiverOrdinal(input)]
                guard (c.parallelResidual ? changedBefore : changed) || a > 0 else { continue }
                if active != nil {
                    other += Double(a * rows * d)
                } else if a > 0 {
                    flops += 2 * Double(mlp.rawValue) * Double(w)
                }
                flops += mlpFLOPs(rows: rows)
                other += Double(rows * d)
                changed = true
            }
        }
        let reads = readRows.count
        other += Double(ablated[graph.receiverOrdinal(graph.residPost)] * reads * d)
        flops += 2 * Double(reads * d * c.dVocabOut)
        return (flops, other)
    }
}
