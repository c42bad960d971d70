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

    /// README's comparison: `discover --method eap-ig-inputs --edges 300` runs offline on toy-ioi, keeps every one of
    /// the ACDC circuit's 44 edges, and the figures README quotes (faithfulness, overlap at 300 and at 44 edges).
    @Test func theEAPIGCircuitRunsOfflineAndContainsTheACDCCircuit() throws {
        let folder = try CLI.scratchFolder("discover-ioi-eapig")
        defer { try? FileManager.default.removeItem(at: folder) }
        let acdc = CLIFixtures.packageRoot.appendingPathComponent("docs/toy-ioi-circuit.json").path
        let out = try CLI.run(["discover", "--task", "ioi", "--method", "eap-ig-inputs", "--edges", "300"], directory: folder)
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stderr.contains("using the bundled toy-ioi"))
        #expect(out.stdout.contains("circuit: 300 of 479 edges (the 300 best eap-ig-inputs edges, 0 on no input → output path dropped), 22 nodes"))
        #expect(out.stdout.contains("metric logit-diff: full 12.165, circuit 12.0465, empty 0.152149 (faithfulness 0.990)"))
        let compare = try CLI.run(["compare", "--task", "ioi", "circuit.json", acdc], directory: folder)
        #expect(compare.status == 0, "\(compare.stderr)")
        #expect(compare.stdout.contains("edges      300      44      44     0.1467   1.0000   0.1467"), "\(compare.stdout)")
        let verify = try CLI.run(["verify", "--task", "ioi", "--circuit", "circuit.json", "--json"], directory: folder)
        #expect(verify.status == 0, "\(verify.stderr)")
        let small = try CLI.run(["discover", "--task", "ioi", "--method", "eap-ig-inputs", "--edges", "44",
                                 "--json", "small.json", "--out", "small.dot"], directory: folder)
        #expect(small.status == 0, "\(small.stderr)")
        let overlap = try CLI.run(["compare", "--task", "ioi", "small.json", acdc], directory: folder)
        #expect(overlap.stdout.contains("edges       44      44      32     0.7273   0.7273   0.5714"), "\(overlap.stdout)")
    }
}
