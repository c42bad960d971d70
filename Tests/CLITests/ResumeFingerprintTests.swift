import Foundation
import Testing

/// What the state's fingerprint and the progress lines cover beyond the bad-input table.
@Suite struct ResumeFingerprintTests {
    typealias F = ReliabilityFixtures

    /// Products give the same bits whatever the thread count (`BLAS` tiles them by shape), so a run stopped at one
    /// `OPENBLAS_NUM_THREADS` resumes at another and ends with the bytes of an uninterrupted run at a third.
    @Test(.enabled(if: ProcessInfo.processInfo.activeProcessorCount >= 2, "needs two cores for two BLAS thread counts"))
    func aRunStoppedAtOneThreadCountResumesAtAnotherToTheSameBytes() throws {
        let whole = try CLI.scratchFolder("fingerprint-blas-whole"), parts = try CLI.scratchFolder("fingerprint-blas")
        let full = try CLI.run(try F.discover(whole, []), environment: ["OPENBLAS_NUM_THREADS": "2"])
        #expect(full.status == 0, "\(full.stderr)")
        let stop = try CLI.run(try F.discover(parts, ["--max-tests", "5"]), environment: ["OPENBLAS_NUM_THREADS": "1"])
        #expect(stop.status == 0, "\(stop.stderr)")
        let state = parts.appendingPathComponent("circuit.json.state").path
        let out = try CLI.run(try F.discover(parts, ["--resume", state]), environment: ["OPENBLAS_NUM_THREADS": "3"])
        #expect(out.status == 0, "\(out.stderr)")
        #expect(try Data(contentsOf: parts.appendingPathComponent("circuit.json"))
                == (try Data(contentsOf: whole.appendingPathComponent("circuit.json"))))
    }

    /// Reading 10,000 prompts says so (it used to show nothing while it worked).
    @Test func aLongPromptFileReportsItsReading() throws {
        let folder = try CLI.scratchFolder("progress-prompts")
        let lines = (0..<10_000).map { i in
            #"{"clean": [1, 2, \#(3 + i % 500)], "corrupted": [1, 7, \#(3 + i % 500)], "correct": 4, "incorrect": 5}"#
        }
        let file = folder.appendingPathComponent("many.jsonl")
        try Data(lines.joined(separator: "\n").utf8).write(to: file)
        let out = try CLI.run(["patch", "--model", CLIFixtures.tinyGPT2.path, "--prompts", file.path, "--count", "2",
                               "--csv"])
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stderr.contains("read 10000 prompts from many.jsonl in "), "\(out.stderr)")
    }
}
