import Foundation
import Testing

/// The README's main job offline: `discover --task ioi --threshold 0.01` with no GPT-2 in the Hugging Face cache uses
/// the bundled toy-ioi, says so, prints the circuit, and writes the same DOT and JSON that `docs/` holds.
@Suite struct DiscoverIOITests {
    @Test func theMainJobRunsOfflineOnTheBundledModelAndReproducesDocs() throws {
        let folder = try CLI.scratchFolder("discover-ioi")
        let out = try CLI.run(["discover", "--task", "ioi", "--threshold", "0.01"], directory: folder)
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stderr.contains("using the bundled toy-ioi"))
        #expect(out.stdout.contains("circuit: 44 of 479 edges"))
        #expect(out.stdout.contains("resid_post <- a1.0, a1.1, a1.2, a1.3"))
        let docs = CLIFixtures.packageRoot.appendingPathComponent("docs")
        for (written, committed) in [("circuit.json", "toy-ioi-circuit.json"), ("circuit.dot", "toy-ioi-circuit.dot")] {
            let fresh = try Data(contentsOf: folder.appendingPathComponent(written))
            let saved = try Data(contentsOf: docs.appendingPathComponent(committed))
            #expect(fresh == saved, "\(written) differs from docs/\(committed)")
        }
    }

    /// The same job on the Llama twin (README, "The bundled IOI models"): runs offline and reproduces `docs/`.
    @Test func theLlamaTwinRunsOfflineAndReproducesDocs() throws {
        let folder = try CLI.scratchFolder("discover-ioi-llama")
        let out = try CLI.run(
            ["discover", "--task", "ioi", "--model", "toy-ioi-llama", "--threshold", "0.01"], directory: folder)
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stdout.contains("circuit: 83 of 479 edges"))
        let docs = CLIFixtures.packageRoot.appendingPathComponent("docs")
        for (written, committed) in [
            ("circuit.json", "toy-ioi-llama-circuit.json"), ("circuit.dot", "toy-ioi-llama-circuit.dot"),
        ] {
            let fresh = try Data(contentsOf: folder.appendingPathComponent(written))
            let saved = try Data(contentsOf: docs.appendingPathComponent(committed))
            #expect(fresh == saved, "\(written) differs from docs/\(committed)")
        }
    }
}
