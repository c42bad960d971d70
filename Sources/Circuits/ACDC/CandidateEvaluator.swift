/// Where ACDC's candidate tests run: in this process one at a time (the sequential run), or K at a time
/// speculatively, here or on other processes (`circuitry discover --parallel mpi`, issue 17).
///
/// ACDC's decisions are sequential, but within a receiver the next K candidate edges e1…eK are known in advance:
/// candidate j is evaluated on the run's state with e1…e(j−1) removed, as if every earlier candidate goes. The
/// pruner then takes the decisions in order up to and including the first edge that is kept, exactly as the
/// sequential loop would, and discards the rest. Because a candidate's logits are a function of its circuit alone
/// (`EdgePatchingExecutor+Candidates`), every accepted result is, bit for bit, the sequential run's.
public protocol CandidateEvaluator {
    /// K: how many candidates the pruner offers at once (1: the sequential run).
    var window: Int { get }

    /// `result[j]`: the objective on the run's state — `base` with `severedInputs` — with `changes[j]` applied.
    ///
    /// `executor` is this process's executor on the run's prompts (the evaluator may use it for some or all of the
    /// changes).
    mutating func evaluate(
        _ changes: [StateChange], base: Circuit, severedInputs: Set<NodeID>, executor: inout EdgePatchingExecutor,
        objective: PruningObjective
    ) throws -> [(value: Double, loss: Double)]

    /// Called once after the last decision: the test work done outside `executor` (on other processes), for the
    /// run's summary.
    mutating func finish() throws -> EdgeTestStatistics

    /// Processes taking part in the tests.
    var processes: Int { get }
}

extension CandidateEvaluator {
    public mutating func finish() throws -> EdgeTestStatistics { EdgeTestStatistics() }
    public var processes: Int { 1 }
}

/// Every candidate evaluated in this process, in order: with a window of 1 this is the sequential ACDC run; a
/// larger window exercises speculation's acceptance logic without other processes (its tests use it).
public struct LocalCandidateEvaluator: CandidateEvaluator {
    public let window: Int

    public init(window: Int = 1) {
        precondition(window >= 1, "a window holds at least one candidate")
        self.window = window
    }

    public mutating func evaluate(
        _ changes: [StateChange], base: Circuit, severedInputs: Set<NodeID>, executor: inout EdgePatchingExecutor,
        objective: PruningObjective
    ) throws -> [(value: Double, loss: Double)] {
        try changes.map { change in
            try objective.evaluate(executor.candidateLogits(change, base: base, severedInputs: severedInputs))
        }
    }
}
