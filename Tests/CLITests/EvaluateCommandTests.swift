import Foundation
import Testing
#if canImport(FoundationXML)
import FoundationXML
#endif

/// `circuitry evaluate`: MIB's numbers from an EAP-IG graph file without conversion, the SVG, the README's plot, and
/// EAP-IG graph JSON as a hypothesis for `verify` and `compare`.
@Suite("evaluate command")
struct EvaluateCommandTests {
    static let eap = CLIFixtures.packageRoot.appendingPathComponent("Tests/CircuitsTests/Fixtures/eap")
    static let scores = eap.appendingPathComponent("logit_diff.EAP-IG-inputs-5.eapig.json").path
    static let exact = eap.appendingPathComponent("logit_diff.exact.eapig.json").path

    static func tinyArguments() throws -> [String] {
        ["--model", CLIFixtures.tinyGPT2.path, "--prompts", try CLIFixtures.url("tiny-gpt2-prompts.jsonl").path]
    }

    static func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test(arguments: [("--absolute", "absolute_True"), ("--signed", "absolute_False")])
    func eapigGraphFileGivesMIBsCurve(flag: String, curveName: String) throws {
        let out = try CLI.run(["evaluate"] + (try Self.tinyArguments()) + ["--scores", Self.scores, flag, "--json"])
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stderr.contains("k 0.02: 5 edges requested"))
        let result = try Self.json(out.stdout)
        #expect(result["metric"] as? String == "logit-diff" && result["graph_edges"] as? Int == 262)
        let ranking = try #require((result["rankings"] as? [[String: Any]])?.first)
        let mib = try Self.json(String(contentsOf: Self.eap.appendingPathComponent("mib_curve.json"), encoding: .utf8))
        let reference = try #require((mib["curves"] as? [String: Any])?[curveName] as? [String: Any])
        #expect(abs((ranking["cpr"] as? Double ?? .nan) - (reference["CPR_area_under"] as? Double ?? 0)) <= 1e-4)
        #expect(abs((ranking["cmd"] as? Double ?? .nan) - (reference["CMD_area_from_1"] as? Double ?? 0)) <= 1e-4)
        let points = try #require(ranking["points"] as? [[String: Any]])
        let expected = try #require(reference["points"] as? [[String: Any]])
        #expect(points.count == 10)
        for (p, e) in zip(points, expected) {
            #expect(p["requested_edges"] as? Int == e["n_requested"] as? Int)
            #expect(p["kept_edges"] as? Int == e["edges_kept_after_prune"] as? Int)
            #expect(abs((p["faithfulness"] as? Double ?? .nan) - (e["faithfulness"] as? Double ?? 0)) <= 1e-4)
        }
    }

    @Test func twoRankingsOnOnePlotWithROC() throws {
        let folder = try CLI.scratchFolder("evaluate-svg")
        defer { try? FileManager.default.removeItem(at: folder) }
        let kl = Self.eap.appendingPathComponent("kl.EAP.eapig.json").path
        var svgs: [Data] = []
        for name in ["a.svg", "b.svg"] {
            let out = try CLI.run(["evaluate"] + (try Self.tinyArguments()) + [
                "--scores", Self.scores, "--scores", kl, "--svg", name, "--reference", Self.exact,
            ], directory: folder)
            #expect(out.status == 0, "\(out.stderr)")
            #expect(out.stdout.contains("ranking logit_diff.EAP-IG-inputs-5.eapig.json (EAP-IG graph scores, by |score|)"))
            #expect(out.stdout.contains("ROC against") && out.stdout.contains("AUC "))
            svgs.append(try Data(contentsOf: folder.appendingPathComponent(name)))
        }
        #expect(svgs[0] == svgs[1], "the same run gives the same SVG bytes")
        let text = String(decoding: svgs[0], as: UTF8.self)
        #expect(text.contains("logit_diff.EAP-IG-inputs-5.eapig.json (|score|): CPR 0.857, CMD 0.142"))
        #expect(text.contains("kl.EAP.eapig.json"))
        #expect(text.components(separatedBy: "<polyline").count == 3)
        // Well-formed XML, whatever renders it.
        let parser = XMLParser(data: svgs[0])
        #expect(parser.parse(), "SVG is not well-formed XML: \(String(describing: parser.parserError))")
        // And a real SVG renderer draws it: rsvg-convert (Debian's librsvg2-bin, installed by README's test command).
        let rsvg = "/usr/bin/rsvg-convert"
        try #require(FileManager.default.isExecutableFile(atPath: rsvg),
                     "rsvg-convert is missing: apt-get install librsvg2-bin (README, \"Run the tests\")")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: rsvg)
        process.arguments = [folder.appendingPathComponent("a.svg").path, "-o", folder.appendingPathComponent("a.png").path]
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let png = try Data(contentsOf: folder.appendingPathComponent("a.png"))
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]))
    }

    /// README's plot: the ACDC ranking of docs/toy-ioi-circuit.json against the EAP-IG-inputs ranking of
    /// docs/toy-ioi-eap-ig-inputs.json on the bundled toy-ioi; both the scores file and the plot are reproduced
    /// byte for byte.
    @Test func readmePlotIsReproduced() throws {
        let folder = try CLI.scratchFolder("evaluate-docs")
        defer { try? FileManager.default.removeItem(at: folder) }
        let docs = CLIFixtures.packageRoot.appendingPathComponent("docs")
        let attribute = try CLI.run([
            "attribute", "--task", "ioi", "--method", "eap-ig-inputs", "--out", "toy-ioi-eap-ig-inputs.json",
        ], directory: folder)
        #expect(attribute.status == 0, "\(attribute.stderr)")
        let scores = try Data(contentsOf: folder.appendingPathComponent("toy-ioi-eap-ig-inputs.json"))
        #expect(scores == (try Data(contentsOf: docs.appendingPathComponent("toy-ioi-eap-ig-inputs.json"))),
                "the scores differ from docs/toy-ioi-eap-ig-inputs.json")
        let out = try CLI.run([
            "evaluate", "--task", "ioi", "--scores", docs.appendingPathComponent("toy-ioi-circuit.json").path,
            "--scores", "toy-ioi-eap-ig-inputs.json", "--svg", "plot.svg",
        ], directory: folder)
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stdout.contains("ranking toy-ioi-circuit.json (ACDC leave thresholds, signed)"))
        #expect(out.stdout.contains("ranking toy-ioi-eap-ig-inputs.json (EAP-IG graph scores, by |score|)"))
        // README's figures.
        #expect(out.stdout.contains("CPR 0.9324 (higher is better)   CMD 0.0808 (lower is better)"))
        #expect(out.stdout.contains("CPR 0.8894 (higher is better)   CMD 0.1096 (lower is better)"))
        let fresh = try Data(contentsOf: folder.appendingPathComponent("plot.svg"))
        let saved = try Data(contentsOf: docs.appendingPathComponent("toy-ioi-faithfulness.svg"))
        #expect(fresh == saved, "plot.svg differs from docs/toy-ioi-faithfulness.svg")
    }

    @Test func verifyAndCompareReadEAPIGGraphs() throws {
        let verify = try CLI.run(["verify"] + (try Self.tinyArguments()) + [
            "--circuit", Self.exact, "--metric", "logit-diff", "--json", "--no-ioi-criteria",
        ])
        #expect(verify.status == 0, "\(verify.stderr)")
        let compare = try CLI.run(["compare", "--model", CLIFixtures.tinyGPT2.path, Self.exact, Self.exact, "--json"])
        #expect(compare.status == 0, "\(compare.stderr)")
        let edges = try #require(try Self.json(compare.stdout)["edges"] as? [String: Any])
        #expect(edges["candidate"] as? Int == 247 && edges["shared"] as? Int == 247)
    }

    /// `compare --scores S --reference R`: the same ROC as `evaluate --reference`, without the prompts.
    @Test func compareGivesTheRankingsROC() throws {
        let compare = try CLI.run([
            "compare", "--model", CLIFixtures.tinyGPT2.path, "--scores", Self.scores, "--reference", Self.exact, "--json",
        ])
        #expect(compare.status == 0, "\(compare.stderr)")
        let evaluate = try CLI.run(["evaluate"] + (try Self.tinyArguments()) + [
            "--scores", Self.scores, "--reference", Self.exact, "--json",
        ])
        let fromCompare = try #require((try Self.json(compare.stdout)["rankings"] as? [[String: Any]])?.first?["roc"] as? [String: Any])
        let fromEvaluate = try #require((try Self.json(evaluate.stdout)["rankings"] as? [[String: Any]])?.first?["roc"] as? [String: Any])
        #expect(fromCompare["auc"] as? Double == fromEvaluate["auc"] as? Double)
        #expect(fromCompare["reference_edges"] as? Int == 247)
        let points = try #require(fromCompare["points"] as? [[String: Any]])
        #expect(points.map { $0["requested_edges"] as? Int ?? -1 } == [1, 1, 2, 3, 6, 14, 27, 53, 131, 262])
        let noReference = try CLI.run(["compare", "--model", CLIFixtures.tinyGPT2.path, "--scores", Self.scores])
        #expect(noReference.status != 0 && noReference.stderr.contains("--reference"))
    }

    @Test func errorsNameTheFile() throws {
        let none = try CLI.run(["evaluate"] + (try Self.tinyArguments()))
        #expect(none.status != 0 && none.stderr.contains("--scores"))
        let missing = try CLI.run(["evaluate"] + (try Self.tinyArguments()) + ["--scores", "/nonexistent/s.json"])
        #expect(missing.status != 0 && missing.stderr.contains("/nonexistent/s.json"))
        let toy = CLIFixtures.packageRoot.appendingPathComponent("docs/toy-ioi-circuit.json").path
        let wrongModel = try CLI.run(["evaluate"] + (try Self.tinyArguments()) + ["--scores", toy])
        #expect(wrongModel.status != 0 && wrongModel.stderr.contains("toy-ioi-circuit.json"))
        #expect(wrongModel.stderr.contains("479 edges"))
    }
}
