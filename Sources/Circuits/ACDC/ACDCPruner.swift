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
/// The tests may be evaluated several at a time, speculatively (`CandidateEvaluator`, issue 17); the decisions and
/// everything reported are the sequential run's either way.
///
/// Algorithms return results; progress and checkpoints go through closures, file I/O stays with the caller.
public enum ACDCPruner {
    /// Runs ACDC on `executor` (whose prompts and ablation define the task), minimising `objective.loss`, one test
    /// at a time in this process.
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
        var sequential = LocalCandidateEvaluator()
        return try prune(
            executor: &executor, evaluator: &sequential, objective: objective, configuration: configuration,
            settings: settings, resume: resume, progress: progress, checkpoint: checkpoint)
    }

    /// Runs ACDC with candidates evaluated by `evaluator`, `evaluator.window` at a time: within a receiver the
    /// next K present edges as cumulative removals, and runs of consecutive whole-input steps likewise. Decisions
    /// are taken in order up to and including the first kept edge or input; the window's later results are
    /// discarded (counted in `EdgeTestSummary.evaluated`). Effects, statistics, the current loss, progress and
    /// checkpoints are exactly the sequential run's, decision by decision, and a window never runs past the test
    /// budget.
    public static func prune<Evaluator: CandidateEvaluator>(
        executor: inout EdgePatchingExecutor, evaluator: inout Evaluator, objective: PruningObjective,
        configuration: ACDCConfiguration, settings: [ACDCState.Setting] = [], resume: ACDCState? = nil,
        progress: (ACDCProgress) -> Void = { _ in }, checkpoint: (ACDCState) throws -> Void = { _ in }
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
        let statisticsBefore = executor.testStatistics
        let clock = ContinuousClock()
        var testing = Duration.zero
        var evaluated = 0, used = 0
        func evaluate(_ changes: [StateChange]) throws -> [(value: Double, loss: Double)] {
            let start = clock.now
            defer { testing += clock.now - start }
            let results = try evaluator.evaluate(
                changes, base: run.circuit, severedInputs: run.severed, executor: &executor, objective: objective)
            precondition(results.count == changes.count, "an evaluator returns one result per change")
            evaluated += changes.count
            return results
        }
        /// The decisions taken: a kept change becomes the executor's state too (free when it was the last test).
        func settle() {
            executor.acceptCandidate(circuit: run.circuit, severedInputs: run.severed)
        }
        func report(_ node: NodeID, step: Int) throws {
            progress(ACDCProgress(
                node: graph[node].name, layer: graph[node].layer, layerCount: graph.nLayers, step: step, steps: total,
                statistics: run.statistics, currentMetric: run.currentValue, edgesPresent: run.circuit.count,
                edgeCount: graph.edgeCount))
            try checkpoint(run.state(signature: signature, configuration: configuration, settings: settings))
        }
        /// How many tests the next window may hold (0: the budget is spent).
        func windowSize() -> Int {
            guard let limit = configuration.maximumTests else { return evaluator.window }
            return max(0, min(evaluator.window, limit - run.statistics.tests))
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
                        let size = windowSize()
                        guard size > 0 else { stoppedEarly = true; break stepLoop }
                        let window = run.wholeInputWindow(schedule: schedule, graph: graph, size: size)
                        let results = try evaluate(window.changes)
                        for entry in window.entries {
                            var after: (value: Double, loss: Double)?
                            if case .tested(_, let index) = entry { after = results[index] }
                            let severed = run.decideWholeInput(entry, after: after, configuration: configuration)
                            guard case .tested(let tested, _) = entry else { continue }
                            used += 1
                            settle()
                            try report(tested, step: run.step)
                            if !severed { break }
                        }
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
                        guard run.circuit.contains(ordered[run.edgeCursor]) else { run.edgeCursor += 1; continue }
                        let size = windowSize()
                        guard size > 0 else { stoppedEarly = true; break stepLoop }
                        let window = run.edgeWindow(ordered: ordered, size: size)
                        let results = try evaluate(window.changes)
                        for (j, candidate) in window.candidates.enumerated() {
                            let removed = run.decideEdge(
                                candidate.edge, position: candidate.position, after: results[j],
                                configuration: configuration)
                            used += 1
                            settle()
                            try report(receiver, step: run.step)
                            if !removed { break }
                        }
                    }
                }
            }
            run.edgeCursor = 0
            run.step += 1
        }

        let remote = try evaluator.finish()
        let empty = try objective.evaluate(executor.logits(keeping: .empty(graph)))
        let local = executor.testStatistics.since(statisticsBefore)
        return PruningResult(
            configuration: configuration, circuit: run.circuit, severedInputs: run.severed, effects: run.effects,
            wholeInputEffects: run.wholeEffects, metricName: objective.name, fullMetric: run.fullValue,
            circuitMetric: run.currentValue, emptyMetric: empty.value, statistics: run.statistics,
            testing: EdgeTestSummary(
                mode: executor.edgeTests,
                seconds: Double(testing.components.seconds) + Double(testing.components.attoseconds) * 1e-18,
                work: EdgeTestStatistics(
                    tests: local.tests + remote.tests, flops: local.flops + remote.flops,
                    denseFLOPs: local.denseFLOPs + remote.denseFLOPs),
                used: used, evaluated: evaluated, window: evaluator.window, processes: evaluator.processes),
            completed: !stoppedEarly,
            stoppedState: stoppedEarly
                ? run.state(signature: signature, configuration: configuration, settings: settings) : nil)
    }
}
