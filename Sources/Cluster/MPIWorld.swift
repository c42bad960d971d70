import COpenMPI

/// Errors of the Cluster module: an MPI call that failed (with its name and MPI's own message), or a message that
/// did not follow the protocol.
public enum ClusterError: Error, Equatable, CustomStringConvertible {
    case mpi(call: String, code: Int32, message: String)
    case malformedMessage(String)

    public var description: String {
        switch self {
        case let .mpi(call, code, message): "MPI: \(call) failed (error \(code): \(message))"
        case let .malformedMessage(reason): "MPI: malformed message: \(reason)"
        }
    }
}

/// One received message: who sent it, its tag and its bytes.
public struct ClusterMessage: Sendable, Equatable {
    public let source: Int
    public let tag: Int
    public let bytes: [UInt8]
}

/// This process's place in an MPI job (Open MPI through its C interface; `mpirun -np N` or Slurm's `srun`
/// starts the processes): its rank, the number of ranks, and point-to-point byte messages on `MPI_COMM_WORLD`.
/// Everything the speculative ACDC coordinator and its workers exchange goes through `send` and `receive`.
///
/// A process not started by `mpirun` is a world of one (MPI's singleton initialisation).
public struct MPIWorld: Sendable {
    public let rank: Int
    public let size: Int

    /// Initialises MPI once for the process and returns the world.
    public static func initialize() throws -> MPIWorld {
        var initialized: Int32 = 0
        try check(MPI_Initialized(&initialized), "MPI_Initialized")
        if initialized == 0 { try check(MPI_Init(nil, nil), "MPI_Init") }
        var rank: Int32 = 0, size: Int32 = 0
        try check(MPI_Comm_rank(circuitry_mpi_comm_world(), &rank), "MPI_Comm_rank")
        try check(MPI_Comm_size(circuitry_mpi_comm_world(), &size), "MPI_Comm_size")
        return MPIWorld(rank: Int(rank), size: Int(size))
    }

    /// Whether this process was started by an MPI launcher (Open MPI's `mpirun`/`srun` set these variables).
    public static func isLaunchedByMPI(environment: [String: String]) -> Bool {
        environment["OMPI_COMM_WORLD_SIZE"] != nil || environment["PMIX_RANK"] != nil
            || environment["PMI_RANK"] != nil
    }

    /// How many processes the launcher started, when this process is one of them (Open MPI's `mpirun`, or a PMI
    /// launcher such as Slurm's `srun`); nil when it was started on its own.
    public static func launchedSize(environment: [String: String]) -> Int? {
        for key in ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE"] {
            if let text = environment[key], let size = Int(text) { return size }
        }
        return nil
    }

    /// Finalises MPI (call once, when every message is exchanged).
    public func finalize() {
        var finalized: Int32 = 0
        MPI_Finalized(&finalized)
        if finalized == 0 { MPI_Finalize() }
    }

    /// Ends every process of the job (after an error on one rank, so that the others do not wait forever).
    public func abort(code: Int32) {
        MPI_Abort(circuitry_mpi_comm_world(), code)
    }

    /// Sends `bytes` to `destination` with `tag` (blocking until the buffer may be reused).
    public func send(_ bytes: [UInt8], to destination: Int, tag: Int) throws {
        try bytes.withUnsafeBufferPointer { p in
            try Self.check(MPI_Send(p.baseAddress, Int32(p.count), circuitry_mpi_byte(), Int32(destination),
                                    Int32(tag), circuitry_mpi_comm_world()), "MPI_Send")
        }
    }

    /// The next message from `source` (any rank when nil) with `tag` (any tag when nil), blocking until one comes.
    public func receive(from source: Int? = nil, tag: Int? = nil) throws -> ClusterMessage {
        var status = MPI_Status()
        let from = source.map(Int32.init) ?? Int32(circuitry_mpi_any_source())
        let wanted = tag.map(Int32.init) ?? Int32(circuitry_mpi_any_tag())
        try Self.check(MPI_Probe(from, wanted, circuitry_mpi_comm_world(), &status), "MPI_Probe")
        var count: Int32 = 0
        try Self.check(MPI_Get_count(&status, circuitry_mpi_byte(), &count), "MPI_Get_count")
        var bytes = [UInt8](repeating: 0, count: Int(count))
        try bytes.withUnsafeMutableBufferPointer { p in
            try Self.check(MPI_Recv(p.baseAddress, count, circuitry_mpi_byte(), status.MPI_SOURCE, status.MPI_TAG,
                                    circuitry_mpi_comm_world(), circuitry_mpi_status_ignore()), "MPI_Recv")
        }
        return ClusterMessage(source: Int(status.MPI_SOURCE), tag: Int(status.MPI_TAG), bytes: bytes)
    }

    /// Blocks until every rank has called it.
    public func barrier() throws {
        try Self.check(MPI_Barrier(circuitry_mpi_comm_world()), "MPI_Barrier")
    }

    static func check(_ code: Int32, _ call: String) throws {
        guard code != MPI_SUCCESS else { return }
        var buffer = [CChar](repeating: 0, count: Int(MPI_MAX_ERROR_STRING))
        var length: Int32 = 0
        MPI_Error_string(code, &buffer, &length)
        let message = String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        throw ClusterError.mpi(call: call, code: code, message: message)
    }
}
