import Foundation
import Testing

/// `circuitry discover` end to end through the built binary: ACDC's tracr ground truth, byte-identical reruns,
/// stopping at a test budget and resuming, and Graphviz accepting the DOT it writes.
@Suite struct DiscoverCommandTests {
    static let tracrTruth: Set<String> = [
        "a3.0->resid_post", "m2->a3.0.q", "pos_embed->a3.0.k", "embed->a3.0.v", "m1->m2", "m0->m1", "embed->m1",
        "pos_embed->m1", "a0.0->m0", "embed->m0", "embed->a0.0.v",
    ]

    static func edges(ofReport url: URL) throws -> Set<String> {
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any]
        let edges = try #require(object?["edges"] as? [[String: Any]])
        return Set(edges.map { "\($0["sender"] as? String ?? "")->\($0["receiver"] as? String ?? "")" })
    }

    static var hasDot: Bool {
        (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").contains {
            FileManager.default.isExecutableFile(atPath: "\($0)/dot")
        }
    }

    func discover(_ extra: [String], in folder: URL) throws -> CLI.Output {
        try CLI.run(["discover", "--task", "tracr-reverse", "--model", CLIFixtures.tracrReverse.path,
                     "--threshold", "0.0001"] + extra, directory: folder)
    }

    @Test func findsTheTracrGroundTruthAndWritesDOTAndJSON() throws {
        let folder = try CLI.scratchFolder("discover-tracr")
        let out = try discover([], in: folder)
        #expect(out.status == 0, "\(out.stderr)")
        #expect(try Self.edges(ofReport: folder.appendingPathComponent("circuit.json")) == Self.tracrTruth)
        let dot = try String(contentsOf: folder.appendingPathComponent("circuit.dot"), encoding: .utf8)
        #expect(dot.contains("\"m2\" -> \"a3.0\" [label=\"q\""))
        #expect(out.stdout.contains("circuit: 11 of 94 edges"))
        #expect(out.stderr.contains("discover: "))
    }

    @Test func rerunsAreByteIdentical() throws {
        let a = try CLI.scratchFolder("discover-a"), b = try CLI.scratchFolder("discover-b")
        _ = try discover([], in: a)
        _ = try discover([], in: b)
        for file in ["circuit.json", "circuit.dot"] {
            let x = try Data(contentsOf: a.appendingPathComponent(file))
            let y = try Data(contentsOf: b.appendingPathComponent(file))
            #expect(x == y, "\(file) differs between two runs")
        }
    }

    @Test func aRunStoppedAtItsBudgetResumesToTheSameCircuit() throws {
        let whole = try CLI.scratchFolder("discover-whole"), parts = try CLI.scratchFolder("discover-parts")
        _ = try discover([], in: whole)
        let first = try discover(["--max-tests", "20"], in: parts)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("--resume circuit.json.state"))
        let state = parts.appendingPathComponent("circuit.json.state")
        #expect(FileManager.default.fileExists(atPath: state.path))
        let second = try discover(["--resume", state.path], in: parts)
        #expect(second.status == 0, "\(second.stderr)")
        #expect(try Data(contentsOf: parts.appendingPathComponent("circuit.json"))
                == (try Data(contentsOf: whole.appendingPathComponent("circuit.json"))))
        #expect(!FileManager.default.fileExists(atPath: state.path), "the state is removed when the run completes")
    }

    @Test func resumingWithOtherSettingsIsRefused() throws {
        let folder = try CLI.scratchFolder("discover-refuse")
        _ = try discover(["--max-tests", "5"], in: folder)
        let out = try CLI.run(["discover", "--task", "tracr-reverse", "--model", CLIFixtures.tracrReverse.path,
                               "--threshold", "0.5", "--resume", "circuit.json.state"], directory: folder)
        #expect(out.status != 0)
        #expect(out.stderr.contains("cannot resume ACDC: the state was saved with --threshold 0.0001, this run has --threshold 0.5"))
    }

    @Test(.enabled(if: hasDot || ProcessInfo.processInfo.environment["CI"] != nil, "Graphviz's dot is not installed"))
    func graphvizRendersTheDOT() throws {
        let folder = try CLI.scratchFolder("discover-svg")
        let out = try discover(["--svg", "circuit.svg", "--png", "circuit.png"], in: folder)
        #expect(out.status == 0, "\(out.stderr)")
        let svg = try String(contentsOf: folder.appendingPathComponent("circuit.svg"), encoding: .utf8)
        #expect(svg.contains("<svg"))
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("circuit.png").path))
    }
}
