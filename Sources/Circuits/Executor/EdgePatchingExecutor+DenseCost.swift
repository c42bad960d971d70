import Transformer

extension EdgePatchingExecutor {
    /// The FLOPs of the dense test of `circuit` (`logits(keeping:severedInputs:)`), counted as
    /// `EdgeTestStatistics` counts them: from the lowest layer with an ablated edge or a severed input, the heads
    /// of that layer with one, every head and MLP above (each head with its three projections), every receiver's
    /// input corrected by one addition per element and ablated edge, and the logits at the read rows. In the last
    /// layer queries, head outputs and the MLP are computed at the read rows only, as the dense run does.
    func denseTestFLOPs(circuit: Circuit, severedInputs: Set<NodeID>) -> Double {
        var severed = [Bool](repeating: false, count: graph.receiverCount)
        for r in severedInputs { severed[graph.receiverOrdinal(r)] = true }
        return denseTestFLOPs(circuit: circuit, severed: severed)
    }

    func denseTestFLOPs(circuit: Circuit, severed: [Bool]) -> Double {
        let c = model.config
        let d = c.dModel, dh = c.dHead, n = batch.rows
        var ablated = [Int](repeating: 0, count: graph.receiverCount)
        var lowest: Int?
        for ordinal in 0..<graph.receiverCount {
            let r = NodeID(graph.senderCount + ordinal)
            let range = graph.incomingEdgeRange(of: r)
            let absent = range.count - circuit.count(in: range)
            ablated[ordinal] = severed[ordinal] ? 0 : absent
            if absent > 0 || severed[ordinal] { lowest = min(lowest ?? graph[r].layer, graph[r].layer) }
        }
        guard let lowest else { return 0 }
        var flops = 0.0
        for layer in lowest..<graph.nLayers {
            let active = lastLayerRows(layer)
            let rows = active?.count ?? n
            for h in 0..<graph.nHeads {
                let inputs = HeadInput.allCases.map {
                    graph.receiverOrdinal(graph.headInputReceiver(layer: layer, head: h, input: $0))
                }
                if layer == lowest && inputs.allSatisfy({ ablated[$0] == 0 && !severed[$0] }) { continue }
                flops += Double(inputs.reduce(0) { $0 + ablated[$1] } * n * d)
                flops += 3 * 2 * Double(n * d * dh)
                flops += attentionFLOPs(queries: active == nil ? nil : activePositions, dHead: dh)
                flops += 2 * Double(rows * dh * d) + Double(rows * d)
            }
            if let input = graph.mlpInputReceiver(layer: layer) {
                flops += Double(ablated[graph.receiverOrdinal(input)] * rows * d) + mlpFLOPs(rows: rows)
                    + Double(rows * d)
            }
        }
        let reads = readRows.count
        flops += Double(ablated[graph.receiverOrdinal(graph.residPost)] * reads * d)
        flops += 2 * Double(reads * d * c.dVocabOut)
        return flops
    }
}
