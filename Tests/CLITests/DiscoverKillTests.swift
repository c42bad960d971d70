import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A discover run killed with SIGKILL midway and resumed from its saved state ends with the same JSON as an
/// uninterrupted run (ACDC on the tiny GPT-2 with its reference prompts, KL, resample ablation).
@Suite struct DiscoverKillTests {
    static func arguments(_ folder: URL) throws -> [String] {
        ["discover", "--model", CLIFixtures.tinyGPT2.path, "--prompts", try CLIFixtures.url("tiny-gpt2-prompts.jsonl").path,
         "--threshold", "0.01", "--state-interval", "0", "--json", folder.appendingPathComponent("circuit.json").path,
         "--out", folder.appendingPathComponent("circuit.dot").path]
    }

    @Test func aKilledRunResumesToTheSameJSON() throws {
        let whole = try CLI.scratchFolder("kill-whole"), killed = try CLI.scratchFolder("kill-killed")
        let reference = try CLI.run(try Self.arguments(whole))
        #expect(reference.status == 0, "\(reference.stderr)")

        let process = Process()
        process.executableURL = try CLI.executable
        process.arguments = try Self.arguments(killed)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        var environment = ProcessInfo.processInfo.environment
        environment["HF_HUB_CACHE"] = CLI.emptyFolder.path
        process.environment = environment
        try process.run()
        let state = killed.appendingPathComponent("circuit.json.state")
        // Wait for a few saved tests, then kill without warning.
        let savedTests = RunWatch.waitForSavedTests(state, atLeast: 5, of: process, timeout: 60)
        let wasRunning = process.isRunning
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(wasRunning && savedTests >= 5, "the run ended before it could be killed")
        #expect(!FileManager.default.fileExists(atPath: killed.appendingPathComponent("circuit.json").path))

        let resumed = try CLI.run(try Self.arguments(killed) + ["--resume", state.path])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let a = try Data(contentsOf: whole.appendingPathComponent("circuit.json"))
        let b = try Data(contentsOf: killed.appendingPathComponent("circuit.json"))
        #expect(a == b, "the resumed run's JSON differs from the uninterrupted run's")
    }
}
