import Foundation
import Testing

@Suite("circuitry info")
struct InfoCommandTests {
    /// The folder path and the OpenBLAS build differ between machines; everything else is fixed by the model.
    static func normalized(_ text: String, folder: URL) -> String {
        text.replacingOccurrences(of: folder.path, with: "<fixture>")
            .split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.hasPrefix("BLAS ") ? "BLAS          <OpenBLAS core and threads>" : String($0) }
            .joined(separator: "\n")
    }

    @Test func tinyGPT2InfoMatchesTheSnapshot() throws {
        let output = try CLI.run(["info", "--model", CLIFixtures.tinyGPT2.path])
        #expect(output.status == 0, "stderr: \(output.stderr)")
        let expected = try CLIFixtures.text("info-tiny-gpt2.txt")
        #expect(Self.normalized(output.stdout, folder: CLIFixtures.tinyGPT2) == expected)
        // 262 edges is the count auto-circuit reports for this model (reference README, edge_patching).
        #expect(output.stdout.contains("graph edges   262"))
    }

    @Test func missingModelNamesThePlacesSearched() throws {
        let output = try CLI.run(["info", "--model", "no-such-model-xyz"])
        #expect(output.status != 0)
        #expect(output.stderr.contains("no-such-model-xyz"))
    }
}
