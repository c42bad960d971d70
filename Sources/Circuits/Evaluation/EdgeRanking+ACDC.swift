/// A ranking from one ACDC run: each edge's score is the threshold at which that run would have let it go.
///
/// ACDC has no edge scores, only one circuit per threshold τ. auto-circuit ranks ACDC by running it at many
/// thresholds and scoring each edge with the smallest τ that removed it (`acdc_prune_scores`): many runs, and
/// heavy ties (every edge removed at the same τ shares a score). circuitry derives the ranking from one run's
/// measurements instead, which every completed `discover` report records (`tested_edges`, `whole_inputs`):
///
/// * a tested edge leaves when τ exceeds its measured effect (the metric change when its removal was tried);
/// * every edge into a head input that was tried as a whole leaves when τ exceeds that input's effect;
/// * every edge into a component leaves when the component no longer reaches the output, i.e. when τ exceeds the
///   largest leave threshold among its outgoing edges (`resid_post` always reaches it).
///
/// An edge's score is the smallest of these bounds. Holding the run's measurements fixed, the edges scoring at least
/// τ are then exactly the circuit ACDC would keep at τ — and at the run's own threshold exactly the circuit it kept
/// (checked by the tests). A run at another τ would have measured some effects in another state, so this is one
/// run's view of the ordering, not a sweep; it costs nothing beyond the run, gives almost no ties, and works for
/// runs that took hours. Scores are signed, as ACDC's comparison is (rank with `absolute: false`).
extension EdgeRanking {
    /// The ranking of a completed run with per-edge-id `effects` (nil: removed untested) and the effects of head
    /// inputs tried as a whole.
    ///
    /// - Throws: `CircuitsError.interchange(.acdcReport)` when an edge has no bound at all (an untested edge into
    ///   `resid_post`: the run did not complete).
    public static func acdc(
        name: String, graph: CircuitGraph, effects: [Double?], wholeInputEffects: [NodeID: Double]
    ) throws -> EdgeRanking {
        precondition(effects.count == graph.edgeCount, "effects of another graph")
        var leave = [Double](repeating: .infinity, count: graph.edgeCount)
        // Per component sender: the largest leave threshold among its outgoing edges seen so far.
        var reach = [Double](repeating: -.infinity, count: graph.senderCount)
        // Reverse topological order: a component's outgoing edges end at receivers visited before its inputs.
        for receiver in graph.receiversInTopologicalOrder.reversed() {
            var bound = receiver == graph.residPost ? Double.infinity : reach[graph.component(of: receiver).rawValue]
            if let whole = wholeInputEffects[receiver] { bound = min(bound, whole) }
            for raw in graph.incomingEdgeRange(of: receiver) {
                let value = min(bound, effects[raw] ?? .infinity)
                guard value.isFinite else {
                    throw CircuitsError.interchange(file: name, problem: .acdcReport(
                        reason: "edge \(graph.name(of: EdgeID(raw))) was neither tested nor removed with its receiver; "
                            + "the run did not complete"))
                }
                leave[raw] = value
                let sender = graph.edges[raw].sender.rawValue
                reach[sender] = max(reach[sender], value)
            }
        }
        return EdgeRanking(name: name, source: .acdc, scores: leave)
    }

    /// The ranking of an ACDC run's result (see `acdc(name:graph:effects:wholeInputEffects:)`).
    public static func acdc(name: String, graph: CircuitGraph, result: PruningResult) throws -> EdgeRanking {
        try acdc(name: name, graph: graph, effects: result.effects, wholeInputEffects: result.wholeInputEffects)
    }
}
