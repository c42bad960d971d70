import Foundation
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Runs the built `circuitry` under Open MPI's `mpirun` (oversubscribed: this machine may have fewer cores than
/// ranks; allowed as root, as the tests run in containers).
enum MPIRun {
    static let mpirun = "/usr/bin/mpirun"

    static var available: Bool { FileManager.default.isExecutableFile(atPath: mpirun) }

    /// The environment of every run: an empty Hugging Face cache, the package's data folder (toy-ioi), root allowed.
    static var environment: [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["COLUMNS"] = "100"
        env["HF_HUB_CACHE"] = CLI.emptyFolder.path
        env["CIRCUITRY_DATA"] = CLIFixtures.packageRoot.appendingPathComponent("data").path
        env["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
        env["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
        return env
    }

    static func process(ranks: Int, _ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: mpirun)
        process.arguments = ["--oversubscribe", "-np", String(ranks), try CLI.executable.path] + arguments
        process.environment = environment
        process.currentDirectoryURL = CLI.emptyFolder
        return process
    }

    /// Starts `process` with no signal blocked. A child inherits the signal mask of the thread that starts it, and
    /// Foundation's `Process` passes on the mask of this test's pool thread, which blocks SIGTERM: an `mpirun`
    /// started so would never see a SIGTERM sent to it, nor pass it on. (`circuitry` clears its own mask.)
    static func start(_ process: Process) throws {
        var none = sigset_t(), previous = sigset_t()
        sigemptyset(&none)
        pthread_sigmask(SIG_SETMASK, &none, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
        try process.run()
    }

    /// Runs `circuitry arguments…` on `ranks` ranks (0: without mpirun) and waits, killing it after the CLI tests'
    /// time limit.
    static func run(ranks: Int, _ arguments: [String]) throws -> CLI.Output {
        guard ranks > 0 else {
            return try CLI.run(arguments, environment: ["CIRCUITRY_DATA": environment["CIRCUITRY_DATA"]!])
        }
        let process = try process(ranks: ranks, arguments)
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try start(process)
        let collected = [CLI.Collected(), CLI.Collected()]
        let readers = DispatchGroup()
        for (pipe, sink) in zip([out, err], collected) {
            let handle = pipe.fileHandleForReading
            DispatchQueue.global().async(group: readers) {
                let data = handle.readDataToEndOfFile()
                sink.data.withLock { $0 = data }
            }
        }
        let hung = readers.wait(timeout: .now() + CLI.timeLimit) == .timedOut
        if hung { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        let text = collected.map { c in c.data.withLock { String(decoding: $0, as: UTF8.self) } }
        return CLI.Output(stdout: text[0], stderr: text[1] + (hung ? "\n(hung: killed)" : ""),
                          status: process.terminationStatus, crashed: hung)
    }

    /// The ranks whose command line mentions `marker`: processes running the built `circuitry` (not `mpirun`).
    static func ranks(mentioning marker: String) -> [Int32] {
        guard let executable = try? CLI.executable.path else { return [] }
        let pids = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return pids.compactMap { pid -> Int32? in
            guard let number = Int32(pid), let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else {
                return nil
            }
            let words = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            guard words.first == executable, words.contains(where: { $0.contains(marker) }) else { return nil }
            return number
        }
    }

    /// Waits until no process's command line mentions `marker` (ranks left behind by a killed `mpirun` notice it
    /// and end within seconds).
    static func waitForRanksToEnd(mentioning marker: String, seconds: Double = 60) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            let pids = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
            let alive = pids.contains { pid in
                guard Int(pid) != nil, let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else {
                    return false
                }
                return String(decoding: data, as: UTF8.self).contains(marker)
            }
            if !alive { return true }
            usleep(50_000)
        }
        return false
    }
}

/// `discover --parallel mpi` under real `mpirun` with 1, 2 and 4 ranks writes exactly the bytes of the sequential
/// run (JSON and DOT) on tracr, the tiny GPT-2 and the bundled toy-ioi at τ 0.01 and 0.001; a run stopped by its
/// test budget or killed, then resumed under mpirun, too; `compare --sweep --parallel mpi` prints what the
/// sequential sweep prints; an error on rank 0 ends the job instead of leaving the workers waiting.
@Suite(.serialized, .enabled(if: MPIRun.available, "Open MPI's mpirun is not installed"))
struct DiscoverMPITests {
    struct Case: CustomStringConvertible, Sendable {
        var name: String
        var arguments: [String]
        var description: String { name }
    }

    static let cases: [Case] = [
        Case(name: "tracr-reverse", arguments: [
            "--task", "tracr-reverse", "--model", CLIFixtures.tracrReverse.path, "--threshold", "0.001"]),
        Case(name: "tiny-gpt2", arguments: [
            "--model", CLIFixtures.tinyGPT2.path, "--prompts",
            CLIFixtures.packageRoot.appendingPathComponent("Tests/CLITests/Fixtures/tiny-gpt2-prompts.jsonl").path,
            "--threshold", "0.003"]),
        Case(name: "toy-ioi 0.01", arguments: ["--task", "ioi", "--model", "toy-ioi", "--threshold", "0.01"]),
        Case(name: "toy-ioi 0.001", arguments: ["--task", "ioi", "--model", "toy-ioi", "--threshold", "0.001"]),
    ]

    static func outputs(_ folder: URL) -> [String] {
        ["--json", folder.appendingPathComponent("circuit.json").path,
         "--out", folder.appendingPathComponent("circuit.dot").path]
    }

    static func files(_ folder: URL) throws -> [Data] {
        try ["circuit.json", "circuit.dot"].map { try Data(contentsOf: folder.appendingPathComponent($0)) }
    }

    @Test(arguments: cases)
    func ranksWriteTheSequentialBytes(_ c: Case) throws {
        let sequential = try CLI.scratchFolder("mpi-\(c.name)-sequential")
        let alone = try MPIRun.run(ranks: 0, ["discover"] + c.arguments + Self.outputs(sequential))
        #expect(alone.status == 0, "\(alone.stderr)")
        let expected = try Self.files(sequential)
        for ranks in [1, 2, 4] {
            let folder = try CLI.scratchFolder("mpi-\(c.name)-\(ranks)")
            let run = try MPIRun.run(ranks: ranks, ["discover"] + c.arguments + Self.outputs(folder) + ["--parallel", "mpi"])
            #expect(run.status == 0, "\(c.name), \(ranks) ranks: \(run.stderr)")
            #expect(try Self.files(folder) == expected, "\(c.name), \(ranks) ranks: the outputs differ from the sequential run's")
            if ranks > 1 {
                #expect(run.stdout.contains("speculation: ") && run.stdout.contains("over \(ranks) processes"), "\(run.stdout)")
            }
        }
    }

    /// Stopped by `--max-tests` in the middle of a window (3 per window on 2 ranks), resumed on 4 ranks; and killed
    /// with SIGKILL (the mpirun, without warning) after a few saved tests, resumed on 2 ranks.
    @Test func stoppedAndKilledRunsResumeUnderMPIToTheSameBytes() throws {
        let c = Self.cases[2]
        let sequential = try CLI.scratchFolder("mpi-resume-sequential")
        #expect(try MPIRun.run(ranks: 0, ["discover"] + c.arguments + Self.outputs(sequential)).status == 0)
        let expected = try Self.files(sequential)

        let budget = try CLI.scratchFolder("mpi-resume-budget")
        let state = budget.appendingPathComponent("circuit.json.state").path
        let stopped = try MPIRun.run(ranks: 2, ["discover"] + c.arguments + Self.outputs(budget)
            + ["--parallel", "mpi", "--speculate", "3", "--max-tests", "37"])
        #expect(stopped.status == 0 && stopped.stdout.contains("--resume"), "\(stopped.stderr)")
        let resumed = try MPIRun.run(ranks: 4, ["discover"] + c.arguments + Self.outputs(budget)
            + ["--parallel", "mpi", "--resume", state])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(try Self.files(budget) == expected, "stopped at 37 tests and resumed: the outputs differ")

        let killed = try CLI.scratchFolder("mpi-resume-killed")
        let killedState = killed.appendingPathComponent("circuit.json.state")
        let process = try MPIRun.process(ranks: 2, ["discover"] + c.arguments + Self.outputs(killed)
            + ["--parallel", "mpi", "--state-interval", "0"])
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try MPIRun.start(process)
        let savedTests = RunWatch.waitForSavedTests(killedState, atLeast: 5, of: process, timeout: 120)
        let wasRunning = process.isRunning
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(MPIRun.waitForRanksToEnd(mentioning: killed.path), "ranks of the killed mpirun are still running")
        #expect(wasRunning && savedTests >= 5, "the run ended before it could be killed")
        let afterKill = try MPIRun.run(ranks: 2, ["discover"] + c.arguments + Self.outputs(killed)
            + ["--parallel", "mpi", "--resume", killedState.path])
        #expect(afterKill.status == 0, "\(afterKill.stderr)")
        #expect(try Self.files(killed) == expected, "killed and resumed: the outputs differ")
    }

    /// Starts `discover … --parallel mpi --state-interval 0` on 2 ranks, sends SIGTERM once the state records 5
    /// tests — to every rank (as Slurm's `scancel` does) or to `mpirun` alone — and checks that rank 0 saved the
    /// state after the decision in progress, ended the workers and said how to continue, and that the run resumed
    /// under mpirun writes the sequential bytes.
    func stopBySIGTERM(_ name: String, arguments: [String], toEveryRank: Bool) throws {
        let sequential = try CLI.scratchFolder("mpi-\(name)-sequential")
        #expect(try MPIRun.run(ranks: 0, ["discover"] + arguments + Self.outputs(sequential)).status == 0)
        let folder = try CLI.scratchFolder("mpi-\(name)")
        let state = folder.appendingPathComponent("circuit.json.state")
        // Saving after every test lets the signal be timed by the saved state: it lands inside ACDC on any machine.
        let process = try MPIRun.process(ranks: 2, ["discover"] + arguments + Self.outputs(folder)
            + ["--parallel", "mpi", "--state-interval", "0"])
        process.standardOutput = FileHandle.nullDevice
        let (errors, collected) = RunWatch.collectStandardError(of: process)
        try MPIRun.start(process)
        let savedTests = RunWatch.waitForSavedTests(state, atLeast: 5, of: process, timeout: 120)
        let wasRunning = process.isRunning
        let ranks = MPIRun.ranks(mentioning: folder.path)
        for pid in toEveryRank ? ranks : [process.processIdentifier] { kill(pid, SIGTERM) }
        process.waitUntilExit()
        let stderr = RunWatch.finish(errors, collected)
        #expect(MPIRun.waitForRanksToEnd(mentioning: folder.path), "\(name): ranks still running after SIGTERM")
        #expect(wasRunning && savedTests >= 5 && ranks.count == 2, "\(name): the run ended before it could be stopped")
        #expect(stderr.contains("stopped by SIGTERM"), "\(name): \(stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("circuit.json").path),
                "\(name): a stopped run wrote results")
        let resumed = try MPIRun.run(ranks: 2, ["discover"] + arguments + Self.outputs(folder)
            + ["--parallel", "mpi", "--resume", state.path])
        #expect(resumed.status == 0, "\(name): \(resumed.stderr)")
        #expect(try Self.files(folder) == (try Self.files(sequential)), "\(name): stopped by SIGTERM and resumed: the outputs differ")
    }

    /// SIGTERM to every rank in the middle of ACDC: the workers note it and keep serving; rank 0 stops the run.
    @Test func sigtermToEveryRankStopsTheJobThroughRankZero() throws {
        try stopBySIGTERM("term-ranks", arguments: Self.cases[2].arguments, toEveryRank: true)
    }

    /// SIGTERM to `mpirun`, which passes it on to every rank — Open MPI 4.1 about a second later (measured here), so
    /// the run is made long enough (500 prompts) for the signal to land inside ACDC on a fast machine too.
    @Test func sigtermToMpirunStopsTheJobThroughRankZero() throws {
        try stopBySIGTERM("term-mpirun", arguments: Self.cases[2].arguments + ["--count", "500"], toEveryRank: false)
    }

    @Test func sweepUnderMPIPrintsTheSequentialSweep() throws {
        let arguments = ["compare", "--sweep", "--task", "tracr-reverse", "--model", CLIFixtures.tracrReverse.path,
                         "--reference", "ground-truth", "--thresholds", "1e-4,3e-1,1e-3,1e-2,1"]
        for format in [["--json"], []] {
            let alone = try MPIRun.run(ranks: 0, arguments + format)
            #expect(alone.status == 0, "\(alone.stderr)")
            for ranks in [2, 3] {
                let run = try MPIRun.run(ranks: ranks, arguments + format + ["--parallel", "mpi"])
                #expect(run.status == 0, "\(run.stderr)")
                #expect(run.stdout == alone.stdout, "\(ranks) ranks \(format): the sweep's output differs")
            }
        }
    }

    /// An error on rank 0 (an output folder that does not exist) is printed with the rank and ends every rank.
    @Test func anErrorEndsTheWholeJob() throws {
        let folder = CLI.emptyFolder.appendingPathComponent("missing-folder")
        let run = try MPIRun.run(ranks: 2, ["discover"] + Self.cases[0].arguments + Self.outputs(folder)
            + ["--parallel", "mpi"])
        #expect(run.status != 0 && !run.crashed)
        #expect(run.stderr.contains("MPI rank 0 of 2") && run.stderr.contains("missing-folder"), "\(run.stderr)")
    }

    /// Started by mpirun without --parallel mpi, every rank would run the whole search and write the same files.
    @Test func ranksWithoutParallelMPIAreRefused() throws {
        let folder = try CLI.scratchFolder("mpi-without-parallel")
        let run = try MPIRun.run(ranks: 2, ["discover"] + Self.cases[0].arguments + Self.outputs(folder))
        #expect(run.status != 0 && !run.crashed)
        #expect(run.stderr.contains("without --parallel mpi"), "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("circuit.json").path))
    }

    @Test func speculateNeedsParallelMPI() throws {
        let run = try CLI.run(["discover", "--task", "ioi", "--threshold", "0.01", "--speculate", "2"])
        #expect(run.status != 0 && run.stderr.contains("--speculate needs --parallel mpi"), "\(run.stderr)")
        let zero = try CLI.run(["discover", "--task", "ioi", "--threshold", "0.01", "--parallel", "mpi", "--speculate", "0"])
        #expect(zero.status != 0 && zero.stderr.contains("--speculate must be at least 1"), "\(zero.stderr)")
        let pair = try CLI.run(["compare", "a", "b", "--parallel", "mpi"])
        #expect(pair.status != 0 && pair.stderr.contains("--parallel mpi needs --sweep"), "\(pair.stderr)")
    }

    /// Attribution runs are one process's work: under `--parallel mpi` they are refused, not run once per rank.
    @Test func attributionMethodsRefuseParallelMPI() throws {
        let run = try CLI.run(["discover", "--task", "ioi", "--method", "eap", "--edges", "10", "--parallel", "mpi"])
        #expect(run.status != 0, "\(run.stderr)")
        #expect(run.stderr.contains("--parallel mpi spreads ACDC's tests; attribution methods run in one process"),
                "\(run.stderr)")
    }
}
