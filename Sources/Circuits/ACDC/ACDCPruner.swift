import Tensor

/// ACDC's greedy edge pruning (Conmy et al. 2023, arXiv 2304.14997, Algorithm 1), with the semantics of the
/// reference implementation (`acdc/TLACDCExperiment.py`):
///
/// * receivers in reverse topological order (`ACDCStep`, `CircuitGraph.acdcSchedule`);
/// * a receiver that no longer reaches the output (its head's or MLP's output has no surviving edge; for a head
///   input, the input was severed as a whole) loses all incoming edges without a test;
/// * otherwise each incoming edge is removed in turn, in the sender order of `incomingEdgesInACDCOrder`; the
///   removal is kept when loss(after) − loss(current) < τ (or |…| < τ), and then loss(after) becomes current;
/// * with `testWholeInputs`, each head input is first tried as a whole (ACDC's `hook_q_input → hook_q` edge).
///
/// Algorithms return results; progress and checkpoints go through closures, file I/O stays with the caller.
public enum ACDCPruner {
    /// Runs ACDC on `executor` (whose prompts and ablation define the task), minimising `objective.loss`.
    ///
    /// - Parameters:
    ///   - settings: the run's fingerprint (model files, prompts, metric, …), stored in every state and required to
    ///     match when resuming.
    ///   - resume: a state from an earlier `checkpoint` call of a run with the same graph, configuration and
    ///     settings (checked with `ACDCState.check`).
    ///   - progress: called after every test.
    ///   - checkpoint: called after every test with the state needed to resume; the caller decides how often to
    ///     save it, and may throw to stop the run (an interrupt), which `prune` then rethrows.
    public static func prune(
        executor: inout EdgePatchingExecutor, objective: PruningObjective, configuration: ACDCConfiguration,
        settings: [ACDCState.Setting] = [], resume: ACDCState? = nil, progress: (ACDCProgress) -> Void = { _ in },
        checkpoint: (ACDCState) throws -> Void = { _ in }
    ) throws -> PruningResult {
        let graph = executor.graph
        let schedule = graph.acdcSchedule(testWholeInputs: configuration.testWholeInputs)
        var run = try ACDCRun(graph: graph, configuration: configuration, settings: settings, resume: resume) {
            try objective.evaluate(executor.logits(keeping: .full(graph)))
        }
        let signature = ACDCState.signature(of: graph)
        let total = schedule.count

        // Tests run through the executor's sparse state (brought up to the run's circuit first, which applies the
        // untested removals since the last test), or as dense runs of the candidate circuit.
        let mode = executor.edgeTests
        let statisticsBefore = executor.testStatistics
        var dense = EdgeTestStatistics()
        let clock = ContinuousClock()
        var testing = Duration.zero
        func evaluate(_ change: StateChange) throws -> (value: Double, loss: Double) {
            let start = clock.now
            defer { testing += clock.now - start }
            switch mode {
            case .sparse:
                executor.setState(circuit: run.circuit, severedInputs: run.severed)
                return try objective.evaluate(executor.test(change))
            case .dense:
                var circuit = run.circuit
                for edge in change.removedEdges { circuit.remove(edge) }
                let severed = run.severed.union(change.severedInputs)
                let flops = executor.denseTestFLOPs(circuit: circuit, severedInputs: severed)
                dense.tests += 1
                dense.flops += flops
                dense.denseFLOPs += flops
                return try objective.evaluate(executor.logits(keeping: circuit, severedInputs: severed))
            }
        }
        /// The tested change is kept: it becomes the executor's state too.
        func commit() {
            if mode == .sparse { executor.commitTest() }
        }
        func report(_ node: NodeID, step: Int) throws {
            progress(ACDCProgress(
                node: graph[node].name, layer: graph[node].layer, layerCount: graph.nLayers, step: step, steps: total,
                statistics: run.statistics, currentMetric: run.currentValue, edgesPresent: run.circuit.count,
                edgeCount: graph.edgeCount))
            try checkpoint(run.state(signature: signature, configuration: configuration, settings: settings))
        }
        func budgetLeft() -> Bool {
            guard let limit = configuration.maximumTests else { return true }
            return run.statistics.tests < limit
        }

        var stoppedEarly = false
        stepLoop: while run.step < schedule.count {
            switch schedule[run.step] {
            case .wholeInput(let input):
                if !run.severed.contains(input) {
                    if !run.headIsUsed(graph.component(of: input), graph: graph) {
                        run.severed.insert(input)
                        run.statistics.wholeInputsSeveredUnused += 1
                    } else {
                        guard budgetLeft() else { stoppedEarly = true; break stepLoop }
                        let after = try evaluate(.severing(input))
                        run.statistics.wholeInputTests += 1
                        let change = run.change(to: after.loss, configuration: configuration)
                        run.wholeEffects[input] = change
                        if change < configuration.threshold {
                            run.severed.insert(input)
                            commit()
                            run.accept(after)
                            run.statistics.wholeInputsSevered += 1
                        }
                        run.edgeCursor = 0
                        run.step += 1
                        try report(input, step: run.step)
                        continue
                    }
                }
            case .receiver(let receiver):
                let ordered = graph.incomingEdgesInACDCOrder(receiver, indexOrder: configuration.indexOrder)
                if !run.receiverIsUsed(receiver, graph: graph) {
                    for edge in ordered where run.circuit.contains(edge) {
                        run.circuit.remove(edge)
                        run.statistics.edgesRemovedUnused += 1
                    }
                } else {
                    while run.edgeCursor < ordered.count {
                        let edge = ordered[run.edgeCursor]
                        guard run.circuit.contains(edge) else { run.edgeCursor += 1; continue }
                        guard budgetLeft() else { stoppedEarly = true; break stepLoop }
                        let after = try evaluate(.removing(edge))
                        run.statistics.edgeTests += 1
                        let change = run.change(to: after.loss, configuration: configuration)
                        run.effects[edge.rawValue] = change
                        if change < configuration.threshold {
                            run.circuit.remove(edge)
                            commit()
                            run.accept(after)
                            run.statistics.edgesRemoved += 1
                        }
                        run.edgeCursor += 1
                        try report(receiver, step: run.step)
                    }
                }
            }
            run.edgeCursor = 0
            run.step += 1
        }

        let empty = try objective.evaluate(executor.logits(keeping: .empty(graph)))
        return PruningResult(
            configuration: configuration, circuit: run.circuit, severedInputs: run.severed, effects: run.effects,
            wholeInputEffects: run.wholeEffects, metricName: objective.name, fullMetric: run.fullValue,
            circuitMetric: run.currentValue, emptyMetric: empty.value, statistics: run.statistics,
            testing: EdgeTestSummary(
                mode: mode, seconds: Double(testing.components.seconds) + Double(testing.components.attoseconds) * 1e-18,
                work: mode == .sparse ? executor.testStatistics.since(statisticsBefore) : dense),
            completed: !stoppedEarly,
            stoppedState: stoppedEarly
                ? run.state(signature: signature, configuration: configuration, settings: settings) : nil)
    }
}
