import Foundation
import Testing

/// The help texts are part of the interface: a change to an option's name or wording must be deliberate, so each
/// command's `--help` (at 100 columns) is compared with `Fixtures/help/<command>.txt`. To accept a deliberate change,
/// rewrite the fixture from the built binary: `COLUMNS=100 .build/debug/circuitry <command> --help`.
@Suite("Help texts")
struct HelpSnapshotTests {
    @Test(arguments: [
        ("circuitry", ["--help"]),
        ("forward", ["forward", "--help"]),
        ("info", ["info", "--help"]),
        ("prompts", ["prompts", "--help"]),
        ("download", ["download", "--help"]),
        ("discover", ["discover", "--help"]),
        ("attribute", ["attribute", "--help"]),
        ("verify", ["verify", "--help"]),
        ("compare", ["compare", "--help"]),
        ("evaluate", ["evaluate", "--help"]),
        ("patch", ["patch", "--help"]),
    ])
    func helpMatchesTheSnapshot(name: String, arguments: [String]) throws {
        let output = try CLI.run(arguments)
        #expect(output.status == 0)
        let expected = try CLIFixtures.text("help/\(name).txt")
        let command = "circuitry " + arguments.joined(separator: " ")
        #expect(output.stdout == expected, "\(command) differs from help/\(name).txt")
    }

    @Test func helpSubcommandPrintsTheSameText() throws {
        let viaHelp = try CLI.run(["help", "prompts"])
        #expect(viaHelp.status == 0)
        #expect(viaHelp.stdout == (try CLIFixtures.text("help/prompts.txt")))
    }
}
