import ArgumentParser

/// How a command spreads its work over processes.
enum ParallelMode: String, ExpressibleByArgument, CaseIterable {
    /// This process alone.
    case none
    /// The processes `mpirun` or Slurm's `srun` started (Open MPI): rank 0 coordinates and writes every output.
    case mpi
}

/// `--parallel`: shared by the commands that can run under MPI (`compare --sweep`).
struct ParallelOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "none, or mpi: share the work among the processes mpirun or srun started (rank 0 writes every output).",
        valueName: "mode"))
    var parallel: ParallelMode = .none
}

/// `--parallel` and `--speculate`: `discover`'s speculative ACDC over MPI ranks.
struct DiscoverParallelOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "none, or mpi: the processes mpirun or srun started test ACDC's next candidates speculatively; rank 0 decides and writes every output (the same bytes as one process).",
        valueName: "mode"))
    var parallel: ParallelMode = .none

    @Option(name: .long, help: ArgumentHelp(
        "Under --parallel mpi, how many candidates are tested at once (default: the number of ranks).",
        valueName: "k"))
    var speculate: Int?

    func validate() throws {
        if let speculate {
            guard parallel == .mpi else { throw ValidationError("--speculate needs --parallel mpi.") }
            guard speculate >= 1 else { throw ValidationError("--speculate must be at least 1.") }
        }
    }

    /// The window for `ranks` processes.
    func window(ranks: Int) -> Int { speculate ?? max(1, ranks) }
}
