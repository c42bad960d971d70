import Foundation
import Testing

/// `circuitry attribute` and `discover --method eap…`: EAP-IG's scores and graph file from the command line, read
/// back by `evaluate`, `verify` and `compare`; the errors a user meets.
@Suite("attribute command")
struct AttributeCommandTests {
    static let eap = CLIFixtures.packageRoot.appendingPathComponent("Tests/CircuitsTests/Fixtures/eap")

    static func tinyArguments() throws -> [String] {
        ["--model", CLIFixtures.tinyGPT2.path, "--prompts", try CLIFixtures.url("tiny-gpt2-prompts.jsonl").path]
    }

    /// `[edge name: score]` and the edge names in file order of an EAP-IG graph file.
    static func edges(_ text: String) throws -> (names: [String], scores: [String: Double]) {
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let edges = try #require(object["edges"] as? [String: [String: Any]])
        var scores: [String: Double] = [:]
        for (name, entry) in edges { scores[name] = entry["score"] as? Double }
        // JSONSerialization loses the order; the names in order come from the text.
        let names = text.components(separatedBy: "\": {\"score\"").dropLast().map { chunk -> String in
            let start = chunk.range(of: "\"", options: .backwards)!.upperBound
            return String(chunk[start...])
        }
        return (names, scores)
    }

    @Test func eapigInputsReproducesEAPIGsFile() throws {
        let folder = try CLI.scratchFolder("attribute-eapig")
        defer { try? FileManager.default.removeItem(at: folder) }
        var outputs: [Data] = []
        for name in ["a.json", "b.json"] {
            let out = try CLI.run(["attribute"] + (try Self.tinyArguments()) + [
                "--method", "eap-ig-inputs", "--metric", "logit-diff", "--out", name, "--top", "3",
            ], directory: folder)
            #expect(out.status == 0, "\(out.stderr)")
            #expect(out.stdout.contains("eap-ig-inputs scores of 262 edges: 8 prompts, metric logit-diff"))
            #expect(out.stdout.contains("rank  edge") && out.stdout.contains("EAP-IG name"))
            #expect(out.stdout.contains("6 forward and 5 backward passes"))
            #expect(out.stderr.contains("attribute: 5/5"))
            outputs.append(try Data(contentsOf: folder.appendingPathComponent(name)))
        }
        #expect(outputs[0] == outputs[1], "the same run writes the same bytes")
        let ours = try Self.edges(String(decoding: outputs[0], as: UTF8.self))
        let reference = try Self.edges(String(contentsOf: Self.eap.appendingPathComponent(
            "logit_diff.EAP-IG-inputs-5.eapig.json"), encoding: .utf8))
        #expect(ours.names == reference.names && ours.names.count == 262)
        for (name, expected) in reference.scores {
            let score = try #require(ours.scores[name])
            #expect(abs(score - expected) <= 1e-6 + 1e-4 * abs(expected), "\(name)")
        }
        // evaluate reads the file as EAP-IG's own (MIB's curve, see EvaluateCommandTests).
        let evaluate = try CLI.run(["evaluate"] + (try Self.tinyArguments()) + [
            "--scores", folder.appendingPathComponent("a.json").path, "--json",
        ])
        #expect(evaluate.status == 0, "\(evaluate.stderr)")
        let mib = try #require(try JSONSerialization.jsonObject(with: Data(
            contentsOf: Self.eap.appendingPathComponent("mib_curve.json"))) as? [String: Any])
        let cpr = ((mib["curves"] as? [String: Any])?["absolute_True"] as? [String: Any])?["CPR_area_under"] as? Double
        let result = try #require(try JSONSerialization.jsonObject(with: Data(evaluate.stdout.utf8)) as? [String: Any])
        let ranking = try #require((result["rankings"] as? [[String: Any]])?.first)
        #expect(abs((ranking["cpr"] as? Double ?? .nan) - (cpr ?? 0)) <= 1e-4)
    }

    @Test func flatFormatAndGraphsWithoutAnEAPIGForm() throws {
        let folder = try CLI.scratchFolder("attribute-flat")
        defer { try? FileManager.default.removeItem(at: folder) }
        let flat = try CLI.run(["attribute"] + (try Self.tinyArguments()) + [
            "--method", "eap", "--format", "flat", "--out", "s.json", "--top", "0",
        ], directory: folder)
        #expect(flat.status == 0, "\(flat.stderr)")
        let list = try #require(try JSONSerialization.jsonObject(
            with: Data(contentsOf: folder.appendingPathComponent("s.json"))) as? [[String: Any]])
        #expect(list.count == 262 && list.first?["sender"] as? String == "embed" && list.first?["receiver"] as? String == "a0.0.q")
        #expect(!flat.stdout.contains("rank  edge"))
        // tracr's graph has separate embed and pos_embed nodes: EAP-IG's format is refused, the flat list works.
        let tracr = ["--model", CLIFixtures.tracrReverse.path, "--task", "tracr-reverse", "--method", "eap"]
        let refused = try CLI.run(["attribute"] + tracr + ["--out", "t.json"], directory: folder)
        #expect(refused.status != 0 && refused.stderr.contains("--format flat"))
        let written = try CLI.run(["attribute"] + tracr + ["--format", "flat", "--out", "t.json"], directory: folder)
        #expect(written.status == 0, "\(written.stderr)")
        #expect(written.stdout.contains("edge") && !written.stdout.contains("EAP-IG name"))
    }

    @Test func badSettingsAreRefusedWithTheReason() throws {
        let zero = try CLI.run(["attribute"] + (try Self.tinyArguments()) + [
            "--method", "eap-ig-inputs", "--ablation", "zero", "--out", "/dev/null",
        ])
        #expect(zero.status != 0 && zero.stderr.contains("eap-ig-inputs is defined for resample ablation only"))
        let steps = try CLI.run(["attribute"] + (try Self.tinyArguments()) + ["--steps", "0"])
        #expect(steps.status != 0 && steps.stderr.contains("--steps"))
        let method = try CLI.run(["attribute"] + (try Self.tinyArguments()) + ["--method", "eap-ig"])
        #expect(method.status != 0 && method.stderr.contains("eap-ig-inputs"))
        let normalized = try CLI.run(["attribute"] + (try Self.tinyArguments()) + ["--metric", "ioi-normalized"])
        #expect(normalized.status != 0 && normalized.stderr.contains("logit-diff"))
        let kl = try CLI.run(["attribute"] + (try Self.tinyArguments()) + [
            "--method", "eap", "--metric", "kl", "--out", "/dev/null", "--top", "0",
        ])
        #expect(kl.status == 0 && kl.stderr.contains("KL's gradient vanishes at the clean run"))
    }

    /// `discover --method eap-ig-inputs --edges N`: the N best edges, pruned, written as an ACDC run's circuit is;
    /// the report carries the method and every edge's score, and `evaluate`, `verify` read it.
    @Test func discoverWithAttributionScores() throws {
        let folder = try CLI.scratchFolder("discover-attribution")
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = try CLI.run(["discover"] + (try Self.tinyArguments()) + [
            "--method", "eap-ig-inputs", "--edges", "26", "--metric", "logit-diff",
        ], directory: folder)
        #expect(out.status == 0, "\(out.stderr)")
        // MIB's k = 0.1 budget of the reference curve: 26 edges requested, 21 kept after pruning.
        #expect(out.stdout.contains("circuit: 21 of 262 edges (the 26 best eap-ig-inputs edges, 5 on no input → output path dropped)"))
        let report = try #require(try JSONSerialization.jsonObject(
            with: Data(contentsOf: folder.appendingPathComponent("circuit.json"))) as? [String: Any])
        let settings = try #require(report["settings"] as? [String: Any])
        #expect(settings["method"] as? String == "eap-ig-inputs" && settings["edges"] as? Int == 26)
        #expect((report["edge_scores"] as? [[String: Any]])?.count == 262)
        #expect((report["edges"] as? [[String: Any]])?.allSatisfy { $0["score"] is Double } == true)
        let dot = try String(contentsOf: folder.appendingPathComponent("circuit.dot"), encoding: .utf8)
        #expect(dot.contains("the 26 best edges of eap-ig-inputs scores"))
        let verify = try CLI.run(["verify"] + (try Self.tinyArguments()) + [
            "--circuit", "circuit.json", "--metric", "logit-diff", "--no-ioi-criteria",
        ], directory: folder)
        #expect(verify.status == 0, "\(verify.stderr)")
        let evaluate = try CLI.run(["evaluate"] + (try Self.tinyArguments()) + ["--scores", "circuit.json"], directory: folder)
        #expect(evaluate.status == 0, "\(evaluate.stderr)")
        #expect(evaluate.stdout.contains("ranking circuit.json"))
    }

    @Test func discoverMethodOptionsAreChecked() throws {
        let args = try Self.tinyArguments()
        let noEdges = try CLI.run(["discover"] + args + ["--method", "eap"])
        #expect(noEdges.status != 0 && noEdges.stderr.contains("--edges"))
        let threshold = try CLI.run(["discover"] + args + ["--method", "eap", "--edges", "5", "--threshold", "0.1"])
        #expect(threshold.status != 0 && threshold.stderr.contains("--threshold is ACDC's"))
        let acdc = try CLI.run(["discover"] + args)
        #expect(acdc.status != 0 && acdc.stderr.contains("--threshold"))
        let edges = try CLI.run(["discover"] + args + ["--threshold", "0.1", "--edges", "5"])
        #expect(edges.status != 0 && edges.stderr.contains("--edges is for attribution methods"))
    }

    /// Outputs go through the same writer as every command: `-` is standard output alone (the summary moves to
    /// stderr), a folder is refused before any work, an attribution run has no state file.
    @Test func outputsFollowTheCommonRules() throws {
        let folder = try CLI.scratchFolder("attribute-outputs")
        defer { try? FileManager.default.removeItem(at: folder) }
        let args = try Self.tinyArguments()
        let dash = try CLI.run(["attribute"] + args + ["--method", "eap", "--out", "-", "--top", "2"])
        #expect(dash.status == 0, "\(dash.stderr)")
        #expect((try? JSONSerialization.jsonObject(with: Data(dash.stdout.utf8))) != nil, "stdout is the scores alone")
        #expect(dash.stderr.contains("eap scores of 262 edges") && !dash.stderr.contains("wrote"))
        let intoFolder = try CLI.run(["attribute"] + args + ["--method", "eap", "--out", folder.path])
        #expect(intoFolder.status != 0 && intoFolder.stderr.contains("cannot write --out"))
        #expect(!intoFolder.stderr.contains("attribute: 1/"), "refused before the model ran")
        let json = try CLI.run(["discover"] + args + ["--method", "eap", "--edges", "20", "--json", "-"], directory: folder)
        #expect(json.status == 0, "\(json.stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        #expect((report?["settings"] as? [String: Any])?["method"] as? String == "eap")
        #expect(json.stderr.contains("circuit: ") && !FileManager.default.fileExists(
            atPath: folder.appendingPathComponent("-.state").path))
        let state = try CLI.run(["discover"] + args + ["--method", "eap", "--edges", "20", "--state", "s"])
        #expect(state.status != 0 && state.stderr.contains("--state belong to ACDC runs"))
    }
}
