import Foundation
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `discover` stopped by SIGINT, SIGTERM or SIGKILL at random moments — while loading, in the middle of ACDC, or
/// near its end — and then resumed from whatever state it left (or started again when it left none) ends with
/// exactly the JSON of an uninterrupted run. SIGINT and SIGTERM save the state before exiting with 128 + the
/// signal; SIGKILL relies on the periodic saves. ACDC on the bundled toy-ioi (110 tests, a few seconds).
@Suite(.serialized) struct DiscoverSignalTests {
    static func arguments(_ folder: URL, _ extra: [String] = []) -> [String] {
        ["discover", "--task", "ioi", "--model", "toy-ioi", "--threshold", "0.01",
         "--json", folder.appendingPathComponent("circuit.json").path,
         "--out", folder.appendingPathComponent("circuit.dot").path] + extra
    }

    static var environment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["HF_HUB_CACHE"] = CLI.emptyFolder.path
        environment["CIRCUITRY_DATA"] = CLIFixtures.packageRoot.appendingPathComponent("data").path
        return environment
    }

    /// Starts a run, sends `signal` `delay` seconds after the run reached ACDC (its "executor holds" line; with
    /// `fromStart`, after the process started), and returns how it ended.
    static func interrupted(_ folder: URL, signal: Int32, after delay: Double, fromStart: Bool, extra: [String]) throws
        -> (status: Int32, bySignal: Bool, stderr: String)
    {
        let process = Process()
        process.executableURL = try CLI.executable
        process.arguments = arguments(folder, extra)
        process.environment = environment
        process.currentDirectoryURL = folder
        process.standardOutput = FileHandle.nullDevice
        let (errors, collected) = RunWatch.collectStandardError(of: process)
        try process.run()
        if !fromStart { RunWatch.wait(for: "executor holds", in: collected, of: process, poll: 10_000) }
        usleep(UInt32(delay * 1e6))
        kill(process.processIdentifier, signal)
        process.waitUntilExit()
        let stderr = RunWatch.finish(errors, collected)
        return (process.terminationStatus, process.terminationReason == .uncaughtSignal, stderr)
    }

    @Test func interruptedRunsResumeToTheSameJSON() throws {
        let reference = try CLI.scratchFolder("signal-reference")
        let whole = try CLI.run(Self.arguments(reference), environment: ["CIRCUITRY_DATA": Self.environment["CIRCUITRY_DATA"]!])
        #expect(whole.status == 0, "\(whole.stderr)")
        let expected = try Data(contentsOf: reference.appendingPathComponent("circuit.json"))

        var generator = SystemRandomNumberGenerator()
        // Most stops land at a random moment of ACDC itself; one per signal at a random moment from the start
        // (loading the model, building the executor, or ACDC, depending on the machine's speed).
        let trials: [(Int32, String, [String], Bool)] = [
            (SIGINT, "SIGINT", [], false), (SIGINT, "SIGINT", [], true), (SIGTERM, "SIGTERM", [], false),
            (SIGTERM, "SIGTERM", [], true), (SIGKILL, "SIGKILL", ["--state-interval", "0"], false),
            (SIGKILL, "SIGKILL", ["--state-interval", "0"], true),
        ]
        var resumedMidRun = 0
        for (index, (signal, name, extra, fromStart)) in trials.enumerated() {
            let delay = Double.random(in: fromStart ? 0.05...3.0 : 0...1.5, using: &generator)
            let label = "\(name) \(String(format: "%.2f", delay)) s after " + (fromStart ? "the start" : "ACDC began")
            let folder = try CLI.scratchFolder("signal-\(index)")
            let state = folder.appendingPathComponent("circuit.json.state")
            let stop = try Self.interrupted(folder, signal: signal, after: delay, fromStart: fromStart, extra: extra)
            if stop.status == 0 && !stop.bySignal {
                // The run finished before the signal.
                #expect(try Data(contentsOf: folder.appendingPathComponent("circuit.json")) == expected, "\(label)")
                continue
            }
            if signal != SIGKILL && !stop.bySignal {
                // The handler ran: the state is saved and the user is told how to continue.
                #expect(stop.status == 128 + signal, "\(label): status \(stop.status)\n\(stop.stderr)")
                #expect(stop.stderr.contains("stopped by \(name)"), "\(label): \(stop.stderr)")
                #expect(FileManager.default.fileExists(atPath: state.path), "\(label): no state saved")
            }
            #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("circuit.json").path),
                    "\(label): a stopped run wrote results")
            let hasState = FileManager.default.fileExists(atPath: state.path)
            if hasState { resumedMidRun += 1 }
            let again = try CLI.run(Self.arguments(folder, extra + (hasState ? ["--resume", state.path] : [])),
                                    environment: ["CIRCUITRY_DATA": Self.environment["CIRCUITRY_DATA"]!])
            #expect(again.status == 0, "\(label): \(again.stderr)")
            let json = try? Data(contentsOf: folder.appendingPathComponent("circuit.json"))
            #expect(json == expected, "\(label): the \(hasState ? "resumed" : "restarted") run's JSON differs")
            #expect(!FileManager.default.fileExists(atPath: state.path), "\(label): state left after completion")
        }
        // The stops timed from ACDC's start land inside it (a run takes seconds there); if they did not, the timing
        // assumptions are off.
        #expect(resumedMidRun >= 2, "only \(resumedMidRun) of \(trials.count) stops left a state to resume")
    }

    @Test func aSecondSIGINTEndsTheRunAtOnce() throws {
        let folder = try CLI.scratchFolder("signal-twice")
        let process = Process()
        process.executableURL = try CLI.executable
        process.arguments = Self.arguments(folder)
        process.environment = Self.environment
        process.standardOutput = FileHandle.nullDevice
        let (errors, collected) = RunWatch.collectStandardError(of: process)
        try process.run()
        // Wait until ACDC has started (its "executor holds" line; the whole run takes about a second, so a fixed
        // delay could land after it ended).
        RunWatch.wait(for: "executor holds", in: collected, of: process, poll: 1_000)
        kill(process.processIdentifier, SIGINT)
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        let stderr = RunWatch.finish(errors, collected)
        #expect(process.terminationReason == .uncaughtSignal || process.terminationStatus == 130,
                "status \(process.terminationStatus): \(stderr)")
    }
}
