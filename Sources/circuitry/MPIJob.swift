import ArgumentParser
import Cluster
import Foundation

/// A command's work on every rank of an MPI job (`--parallel mpi`): MPI is initialised only here, finalised when
/// every rank is done; an error on any rank is printed with the rank's number and ends the whole job with
/// `MPI_Abort`, so that no rank waits forever for a message. A deliberate exit (`ExitCode`, such as an interrupted
/// run whose state rank 0 saved) finalises normally.
enum MPIJob {
    /// Without `--parallel mpi`, refuses to run as one of several processes an MPI launcher started: each would run
    /// the whole command and write the same files.
    static func checkAlone(command: String) throws {
        let environment = ProcessInfo.processInfo.environment
        if let size = MPIWorld.launchedSize(environment: environment), size > 1 {
            throw CLIError.refused(
                "\(command) was started as one of \(size) MPI processes (mpirun or srun) without --parallel mpi: each "
                    + "would run the whole search and write the same files; add --parallel mpi")
        }
    }

    static func run(_ body: (MPIWorld) throws -> Void) throws {
        let world: MPIWorld
        do {
            world = try MPIWorld.initialize()
        } catch {
            throw CLIError.refused("--parallel mpi: \(error); start the command with mpirun or srun (Open MPI)")
        }
        do {
            try body(world)
        } catch let exit as ExitCode {
            world.finalize()
            throw exit
        } catch {
            let rank = world.size > 1 ? " (MPI rank \(world.rank) of \(world.size))" : ""
            FileHandle.standardError.write(Data("Error\(rank): \(Circuitry.message(for: error))\n".utf8))
            world.abort(code: 1)
            throw ExitCode(1)
        }
        world.finalize()
    }
}
