import Foundation
import Testing

/// Every command on the non-GPT-2 families, through the built binary, with the small Hugging Face reference models
/// of `TransformerTests/Fixtures/architectures` (Llama with grouped-query attention, Qwen2 with q/k/v biases,
/// GPT-NeoX with a parallel residual and partial rotary embeddings): `discover --task induction` writes DOT, JSON
/// and SVG; `discover`, `verify`, `patch` (path and activation patching) and `compose` run on token-id prompts.
@Suite struct ArchitectureCommandTests {
    static let families = ["llama", "qwen2", "gpt-neox"]

    static func model(_ family: String) -> URL {
        CLIFixtures.packageRoot.appendingPathComponent("Tests/TransformerTests/Fixtures/architectures/\(family)")
    }

    /// Eight token-id prompts of 10 tokens (clean, corrupted with two tokens resampled, correct and incorrect ids),
    /// for the 512-token vocabularies of the reference models.
    static func writePrompts(to url: URL) throws {
        var state: UInt64 = 99
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        var lines: [String] = []
        for _ in 0..<8 {
            let clean = (0..<10).map { _ in next(512) }
            var corrupted = clean
            corrupted[3] = next(512)
            corrupted[7] = next(512)
            lines.append(#"{"clean": \#(clean), "corrupted": \#(corrupted), "correct": \#(next(512)), "incorrect": \#(next(512))}"#)
        }
        try (lines.joined(separator: "\n") + "\n").write(to: url, atomically: true, encoding: .utf8)
    }

    @Test(arguments: families)
    func discoverInductionWritesDOTJSONAndSVG(family: String) throws {
        let folder = try CLI.scratchFolder("arch-induction-\(family)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = try CLI.run(
            ["discover", "--task", "induction", "--model", Self.model(family).path, "--count", "10",
             "--threshold", "0.01", "--svg", "circuit.svg"], directory: folder)
        #expect(out.status == 0, "\(family): \(out.stderr)")
        for file in ["circuit.dot", "circuit.json"] {
            #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent(file).path), "\(family): \(file)")
        }
        if DiscoverCommandTests.hasDot || ProcessInfo.processInfo.environment["CI"] != nil {
            let svg = try String(contentsOf: folder.appendingPathComponent("circuit.svg"), encoding: .utf8)
            #expect(svg.contains("<svg"))
        }
        #expect(out.stdout.contains("circuit: "))
    }

    @Test(arguments: families)
    func verifyPatchAndComposeRun(family: String) throws {
        let folder = try CLI.scratchFolder("arch-commands-\(family)")
        defer { try? FileManager.default.removeItem(at: folder) }
        try Self.writePrompts(to: folder.appendingPathComponent("prompts.jsonl"))
        let model = Self.model(family).path
        let discover = try CLI.run(
            ["discover", "--prompts", "prompts.jsonl", "--model", model, "--threshold", "0.001"], directory: folder)
        #expect(discover.status == 0, "\(family) discover: \(discover.stderr)")
        let verify = try CLI.run(
            ["verify", "--prompts", "prompts.jsonl", "--model", model, "--circuit", "circuit.json"], directory: folder)
        #expect(verify.status == 0, "\(family) verify: \(verify.stderr)")
        #expect(verify.stdout.contains("faithfulness"))
        for path in ["through-mlps", "residual"] {
            let patch = try CLI.run(
                ["patch", "--prompts", "prompts.jsonl", "--model", model, "--path", path, "--json"],
                directory: folder)
            #expect(patch.status == 0, "\(family) patch \(path): \(patch.stderr)")
            #expect(patch.stdout.contains("\"normalized_percent\""), "\(family) patch \(path): \(patch.stdout.prefix(200))")
        }
        let activation = try CLI.run(
            ["patch", "--activation", "k", "--prompts", "prompts.jsonl", "--model", model, "--json"],
            directory: folder)
        #expect(activation.status == 0, "\(family) patch --activation k: \(activation.stderr)")
        let compose = try CLI.run(["compose", "--model", model], directory: folder)
        #expect(compose.status == 0, "\(family) compose: \(compose.stderr)")
        let info = try CLI.run(["info", "--model", model])
        #expect(info.stdout.contains("edge formula"))
    }

    @Test func gemma2RunsForwardButRefusesCircuits() throws {
        let model = CLIFixtures.packageRoot.appendingPathComponent("Tests/TransformerTests/Fixtures/architectures/gemma2")
        let forward = try CLI.run(["forward", "--model", model.path, "--tokens", "1,2,3"])
        #expect(forward.status == 0, "\(forward.stderr)")
        let discover = try CLI.run(
            ["discover", "--task", "induction", "--model", model.path, "--count", "4", "--threshold", "0.01"])
        #expect(discover.status != 0)
        #expect(discover.stderr.contains("circuit graphs are not available for gemma2"))
    }

    @Test func unknownModelTypeListsTheSupportedOnes() throws {
        let folder = try CLI.scratchFolder("arch-unknown")
        defer { try? FileManager.default.removeItem(at: folder) }
        let source = Self.model("llama")
        var config = try String(contentsOf: source.appendingPathComponent("config.json"), encoding: .utf8)
        config = config.replacingOccurrences(of: "\"model_type\": \"llama\"", with: "\"model_type\": \"mamba\"")
        try config.write(to: folder.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
        try FileManager.default.copyItem(
            at: source.appendingPathComponent("model.safetensors"), to: folder.appendingPathComponent("model.safetensors"))
        let out = try CLI.run(["info", "--model", folder.path])
        #expect(out.status != 0)
        #expect(out.stderr.contains("model_type 'mamba' is not supported; circuitry reads gemma2, gpt2, gpt_neox, llama, mistral, qwen2, transformer_lens"))
    }

    @Test func aModelTooLargeForTheMachineIsRefusedWithBothFigures() throws {
        let out = try CLI.run(["info", "--model", Self.model("llama").path],
                              environment: ["CIRCUITRY_AVAILABLE_MEMORY": "100k"])
        #expect(out.status != 0)
        #expect(out.stderr.contains("needs about 808 kB of memory, but only 100 kB is available"), "\(out.stderr)")
        let folder = try CLI.scratchFolder("arch-memory")
        defer { try? FileManager.default.removeItem(at: folder) }
        let executor = try CLI.run(
            ["discover", "--task", "induction", "--model", Self.model("llama").path, "--count", "10", "--threshold", "0.01"],
            environment: ["CIRCUITRY_AVAILABLE_MEMORY": "1M"], directory: folder)
        #expect(executor.status != 0)
        #expect(executor.stderr.contains("10 prompts of 20 tokens need about 9.7 MB for the edge-patching executor"),
                "\(executor.stderr)")
        #expect(executor.stderr.contains("this machine has 1.0 MB available"), "\(executor.stderr)")
    }
}
