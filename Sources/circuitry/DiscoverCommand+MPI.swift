import ArgumentParser
import Circuits
import Cluster
import Foundation

/// `discover --parallel mpi`: every rank loads the model and prompts and builds its executor; rank 0 runs ACDC,
/// writes every output, the state and the progress, and deals each window of candidates over the ranks
/// (`MPICandidateEvaluator`); the other ranks test what they are sent (`SpeculationWorker`) and print nothing but
/// errors. An error on any rank is printed with its rank and ends the whole job (`MPI_Abort`), so no rank waits
/// forever.
enum DiscoverRole {
    /// One process, no MPI.
    case alone
    /// Rank 0 of an MPI job.
    case coordinator(MPIWorld, window: Int)
    /// Any other rank.
    case worker(MPIWorld)

    /// Whether this process writes outputs, state and progress.
    var writes: Bool {
        if case .worker = self { return false }
        return true
    }

    /// Runs `body` in the role `options` ask for: alone without MPI, or on every rank of the job (MPI initialised
    /// once, finalised at the end; errors end the job).
    static func run(_ options: DiscoverParallelOptions, _ body: (DiscoverRole) throws -> Void) throws {
        guard options.parallel == .mpi else {
            try MPIJob.checkAlone(command: "discover")
            return try body(.alone)
        }
        try MPIJob.run { world in
            try body(world.rank == 0 ? .coordinator(world, window: options.window(ranks: world.size)) : .worker(world))
        }
    }

    /// The rank's log: rank 0's goes to stderr, the others are silent.
    var log: (String) -> Void {
        writes ? { ProgressDisplay.write($0 + "\n") } : { _ in }
    }

    /// Before loading: workers wait until rank 0 has loaded (and, if needed, downloaded) the model, so that only one
    /// process fetches it. After loading on rank 0: releases them.
    func loadingTurn(before: Bool) throws {
        switch self {
        case .alone: return
        case .coordinator(let world, _): if !before { try world.barrier() }
        case .worker(let world): if before { try world.barrier() }
        }
    }

    /// On a worker: serves rank 0 until it stops the run, and returns true (the worker is done). Elsewhere false.
    func serve(executor: inout EdgePatchingExecutor, objective: PruningObjective) throws -> Bool {
        guard case .worker(let world) = self else { return false }
        // SIGINT/SIGTERM (mpirun passes them on to every rank) stop the run through rank 0, which saves the state
        // and then ends the workers.
        InterruptSignal.install()
        var worker = SpeculationWorker(world: world, graph: executor.graph)
        try worker.serve(executor: &executor, objective: objective)
        return true
    }

    /// The evaluator rank 0 (or the lone process) runs ACDC with.
    func evaluator(graph: CircuitGraph) -> DiscoverEvaluator {
        switch self {
        case .alone, .worker: .local(LocalCandidateEvaluator())
        case .coordinator(let world, let window): .mpi(MPICandidateEvaluator(world: world, window: window, graph: graph))
        }
    }

    /// A line for the log when the run starts.
    var description: String? {
        guard case .coordinator(let world, let window) = self else { return nil }
        return "discover: \(world.size) MPI ranks, \(window) candidates per window"
    }
}

/// The lone process's evaluator or rank 0's MPI one.
enum DiscoverEvaluator: CandidateEvaluator {
    case local(LocalCandidateEvaluator)
    case mpi(MPICandidateEvaluator)

    var window: Int {
        switch self {
        case .local(let e): e.window
        case .mpi(let e): e.window
        }
    }

    var processes: Int {
        switch self {
        case .local: 1
        case .mpi(let e): e.processes
        }
    }

    mutating func evaluate(
        _ changes: [StateChange], base: Circuit, severedInputs: Set<NodeID>, executor: inout EdgePatchingExecutor,
        objective: PruningObjective
    ) throws -> [(value: Double, loss: Double)] {
        switch self {
        case .local(var e):
            return try e.evaluate(changes, base: base, severedInputs: severedInputs, executor: &executor, objective: objective)
        case .mpi(var e):
            defer { self = .mpi(e) }
            return try e.evaluate(changes, base: base, severedInputs: severedInputs, executor: &executor, objective: objective)
        }
    }

    mutating func finish() throws -> EdgeTestStatistics {
        guard case .mpi(var e) = self else { return EdgeTestStatistics() }
        defer { self = .mpi(e) }
        return try e.finish()
    }
}

extension DiscoverCommand {
    /// The summary's line on speculation, for runs over several processes.
    static func speculationLine(_ t: EdgeTestSummary) -> String? {
        guard t.processes > 1 || t.window > 1 else { return nil }
        return String(format: "speculation: %d of %d tests used (%.0f%% yield), %d candidates per window over %d processes",
                      t.used, t.evaluated, 100 * t.speculationYield, t.window, t.processes)
    }
}
