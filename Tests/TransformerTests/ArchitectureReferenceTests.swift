import Foundation
import Testing
import Tensor
@testable import Transformer

/// The forward pass of every supported family against Hugging Face transformers (`Fixtures/architectures`, see its
/// README): logits to 1e-4, every hidden state, attention patterns to 1e-5, per-head z, q/k/v after the rotary
/// embedding, and the rotary tables; stories260K against both Hugging Face and llama2.c's `run.c`.
@Suite struct ArchitectureReferenceTests {
    static let families = ["llama", "qwen2", "gpt-neox", "gemma2"]

    static func model(_ name: String) throws -> TransformerModel {
        try TransformerModel.load(directory: ForwardFixtures.url("architectures/\(name)"))
    }

    static func reference(_ name: String) throws -> SafetensorsFile {
        try SafetensorsFile(url: ForwardFixtures.url("architectures/\(name)/reference.safetensors"))
    }

    /// The `[B, T]` token ids of a reference file as prompts.
    static func prompts(_ ref: SafetensorsFile, name: String = "tokens") throws -> [[Int]] {
        let tokens = try ref.integers(named: name)
        let length = tokens.shape[1]
        return stride(from: 0, to: tokens.values.count, by: length).map { Array(tokens.values[$0..<($0 + length)]) }
    }

    @Test(arguments: families)
    func bothConfigSpellingsDecodeAlike(family: String) throws {
        let folder = try ForwardFixtures.url("architectures/\(family)")
        let five = try ModelConfig(contentsOf: folder.appendingPathComponent("config.json"))
        let four = try ModelConfig(contentsOf: folder.appendingPathComponent("config.transformers4.json"))
        #expect(five == four)
    }

    @Test(arguments: families)
    func logitsMatchHuggingFace(family: String) throws {
        let model = try Self.model(family)
        let ref = try Self.reference(family)
        var runner = TransformerRunner(model: model)
        let result = try runner.run(TokenBatch(Self.prompts(ref), config: model.config), readPositions: .all)
        expectClose(result.logits, try ref.tensor(named: "logits"), atol: 1e-4, rtol: 0, "\(family) logits")
    }

    @Test(arguments: families)
    func activationsMatchHuggingFace(family: String) throws {
        let model = try Self.model(family)
        let c = model.config
        let ref = try Self.reference(family)
        var runner = TransformerRunner(model: model)
        let acts = try runner.run(TokenBatch(Self.prompts(ref), config: c), recording: .all).activations
        let layout = HeadInputLayout(config: c)
        for l in 0..<c.nLayers {
            let layer = acts.layers[l]
            expectClose(layer.residPre, try ref.tensor(named: "resid_pre.\(l)"), atol: 1e-4, rtol: 0, "\(family) resid_pre.\(l)")
            expectClose(layer.pattern, try ref.tensor(named: "attn_pattern.\(l)"), atol: 1e-5, rtol: 0, "\(family) pattern.\(l)")
            expectClose(layer.z, try ref.tensor(named: "attn_z.\(l)"), atol: 1e-4, rtol: 0, "\(family) z.\(l)")
            expectClose(layer.q, try ref.tensor(named: "q_rot.\(l)"), atol: 1e-4, rtol: 0, "\(family) q_rot.\(l)")
            // circuitry keeps one key and value per query head (the ungrouped view); the reference has one per
            // key/value head, which query head h reads as kv head h / (H / KV).
            expectClose(layer.k, Self.ungrouped(try ref.tensor(named: "k_rot.\(l)"), layout: layout), atol: 1e-4, rtol: 0,
                        "\(family) k_rot.\(l)")
            expectClose(layer.v, Self.ungrouped(try ref.tensor(named: "v.\(l)"), layout: layout), atol: 1e-4, rtol: 0,
                        "\(family) v.\(l)")
            if !c.sandwichNorms {
                // Gemma 2's reference records attention and MLP outputs before its post-norms.
                expectClose(layer.attnOut, try ref.tensor(named: "attn_out.\(l)"), atol: 1e-4, rtol: 0, "\(family) attn_out.\(l)")
                expectClose(layer.mlpOut, try ref.tensor(named: "mlp_out.\(l)"), atol: 1e-4, rtol: 0, "\(family) mlp_out.\(l)")
            }
        }
        expectClose(acts.residPost, try ref.tensor(named: "resid_final"), atol: 1e-4, rtol: 0, "\(family) resid_final")
        expectClose(acts.lnFinal, try ref.tensor(named: "final_norm_out"), atol: 1e-4, rtol: 0, "\(family) final norm")
    }

    @Test(arguments: families)
    func rotaryTablesMatchHuggingFace(family: String) throws {
        let model = try Self.model(family)
        let ref = try Self.reference(family)
        let table = try #require(RotaryTable(config: model.config))
        let cos = try ref.tensor(named: "rope_cos"), sin = try ref.tensor(named: "rope_sin")
        let dims = cos.shape[1], half = dims / 2
        #expect(table.dims == dims)
        for p in 0..<cos.shape[0] {
            for i in 0..<half {
                // Hugging Face duplicates the halves: column i and i + dims/2 are equal.
                #expect(abs(table.cos[flat: p * half + i] - cos[flat: p * dims + i]) <= 1e-6)
                #expect(abs(table.sin[flat: p * half + i] - sin[flat: p * dims + i]) <= 1e-6)
            }
        }
    }

    /// llama2.c's stories260K, converted to Hugging Face's layout: the logits of Hugging Face and of llama2.c's own
    /// `run.c` (an independent implementation with interleaved rotary pairs, run on the unpermuted weights). The
    /// reference README's tolerance for this model, 3e-4: float32 rounding at logits up to |22|, HF and run.c
    /// themselves differ by up to 1.3e-4.
    @Test(arguments: ["logits", "runc_logits"])
    func stories260KMatchesHuggingFaceAndRunC(reference name: String) throws {
        let model = try Self.model("stories260k")
        #expect(model.config.nKVHeads == 4 && model.config.nHeads == 8 && model.config.dHead == 8)
        let ref = try Self.reference("stories260k")
        var runner = TransformerRunner(model: model)
        let result = try runner.run(TokenBatch(Self.prompts(ref), config: model.config), readPositions: .all)
        expectClose(result.logits, try ref.tensor(named: name), atol: 3e-4, rtol: 0, "stories260K vs \(name)")
        let acts = try runner.run(TokenBatch(Self.prompts(ref), config: model.config), recording: .all).activations
        for l in 0..<model.config.nLayers {
            expectClose(acts.layers[l].pattern, try ref.tensor(named: "attn_pattern.\(l)"), atol: 1e-5, rtol: 0,
                        "stories260K pattern.\(l)")
        }
    }

    /// `[B, T, KV, D]` → `[B·T, H·D]` with query head h holding kv head h / (H / KV).
    static func ungrouped(_ t: Tensor, layout: HeadInputLayout) -> Tensor {
        let rows = t.count / (layout.nKVHeads * layout.dHead)
        var out = Tensor(shape: [rows, layout.headsWidth])
        for h in 0..<layout.nHeads {
            out.copyBlocks(from: t, sourceOffset: layout.kvHead(of: h) * layout.dHead,
                           sourceStride: layout.nKVHeads * layout.dHead, offset: h * layout.dHead,
                           stride: layout.headsWidth, blockLength: layout.dHead, blocks: rows)
        }
        return out
    }
}
