import Foundation
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

    /// Starts a run, sends `signal` after `delay` seconds, and returns how it ended.
    static func interrupted(_ folder: URL, signal: Int32, after delay: Double, extra: [String]) throws
        -> (status: Int32, bySignal: Bool, stderr: String)
    {
        let process = Process()
        process.executableURL = try CLI.executable
        process.arguments = arguments(folder, extra)
        process.environment = environment
        process.currentDirectoryURL = folder
        let errors = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        try process.run()
        usleep(UInt32(delay * 1e6))
        kill(process.processIdentifier, signal)
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, process.terminationReason == .uncaughtSignal, stderr)
    }

    @Test func interruptedRunsResumeToTheSameJSON() throws {
        let reference = try CLI.scratchFolder("signal-reference")
        let whole = try CLI.run(Self.arguments(reference), environment: ["CIRCUITRY_DATA": Self.environment["CIRCUITRY_DATA"]!])
        #expect(whole.status == 0, "\(whole.stderr)")
        let expected = try Data(contentsOf: reference.appendingPathComponent("circuit.json"))

        var generator = SystemRandomNumberGenerator()
        let trials: [(Int32, String, [String])] = [
            (SIGINT, "SIGINT", []), (SIGINT, "SIGINT", []), (SIGTERM, "SIGTERM", []), (SIGTERM, "SIGTERM", []),
            (SIGKILL, "SIGKILL", ["--state-interval", "0"]), (SIGKILL, "SIGKILL", ["--state-interval", "0"]),
        ]
        var resumedMidRun = 0
        for (index, (signal, name, extra)) in trials.enumerated() {
            let delay = Double.random(in: 0.2...4.0, using: &generator)
            let label = "\(name) after \(String(format: "%.2f", delay)) s"
            let folder = try CLI.scratchFolder("signal-\(index)")
            let state = folder.appendingPathComponent("circuit.json.state")
            let stop = try Self.interrupted(folder, signal: signal, after: delay, extra: extra)
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
        // At random moments most stops land inside ACDC; if none did, the timing assumptions are off.
        #expect(resumedMidRun >= 2, "only \(resumedMidRun) of \(trials.count) stops left a state to resume")
    }

    @Test func aSecondSIGINTEndsTheRunAtOnce() throws {
        let folder = try CLI.scratchFolder("signal-twice")
        let process = Process()
        process.executableURL = try CLI.executable
        process.arguments = Self.arguments(folder)
        process.environment = Self.environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Wait until ACDC has started (the first periodic state appears after 3 s; the log says when it runs).
        usleep(2_500_000)
        kill(process.processIdentifier, SIGINT)
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal || process.terminationStatus == 130)
    }
}
