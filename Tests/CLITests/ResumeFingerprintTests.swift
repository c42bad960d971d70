import Foundation
import Testing

/// What the state's fingerprint and the progress lines cover beyond the bad-input table.
@Suite struct ResumeFingerprintTests {
    typealias F = ReliabilityFixtures

    /// OpenBLAS rounds products differently with another thread count, so a run resumed with another
    /// `OPENBLAS_NUM_THREADS` would not end with the bytes of the run it continues: it is refused, naming BLAS.
    @Test(.enabled(if: ProcessInfo.processInfo.activeProcessorCount >= 2, "needs two cores for two BLAS thread counts"))
    func resumingWithAnotherBLASThreadCountIsRefused() throws {
        let folder = try CLI.scratchFolder("fingerprint-blas")
        let stop = try CLI.run(try F.discover(folder, ["--max-tests", "5"]), environment: ["OPENBLAS_NUM_THREADS": "1"])
        #expect(stop.status == 0, "\(stop.stderr)")
        let state = folder.appendingPathComponent("circuit.json.state").path
        let out = try CLI.run(try F.discover(folder, ["--resume", state]), environment: ["OPENBLAS_NUM_THREADS": "2"])
        #expect(out.status == 1)
        #expect(out.stderr.contains("the state was saved with BLAS OpenBLAS"), "\(out.stderr)")
        #expect(out.stderr.contains("1 threads") && out.stderr.contains("2 threads"))
        let same = try CLI.run(try F.discover(folder, ["--resume", state]), environment: ["OPENBLAS_NUM_THREADS": "1"])
        #expect(same.status == 0, "\(same.stderr)")
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
