import Foundation
import Tensor
import Transformer

/// A GPT-2-small-shaped model with random weights (12 layers × 12 heads, d_model 768, 50,257 tokens) written in
/// Hugging Face's layout (`config.json` + `model.safetensors`, tied unembedding), and a JSONL prompt file of random
/// token ids, so that the benchmark can run the built `circuitry` binary on them. The weights come from a fixed
/// linear congruential sequence (uniform, GPT-2-like scales); the numbers are meaningless, the shapes are GPT-2
/// small's.
enum RandomGPT2Files {
    static let (layers, heads, dModel, context, vocabulary) = (12, 12, 768, 1024, 50257)

    /// Writes the model into `folder` (created) unless it is already there.
    static func writeModel(to folder: URL) throws {
        let weights = folder.appendingPathComponent("model.safetensors")
        if FileManager.default.fileExists(atPath: weights.path) { return }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let config: [String: Any] = [
            "model_type": "gpt2", "architectures": ["GPT2LMHeadModel"], "n_layer": layers, "n_head": heads,
            "n_embd": dModel, "n_positions": context, "vocab_size": vocabulary, "activation_function": "gelu_new",
            "layer_norm_epsilon": 1e-5, "tie_word_embeddings": true,
        ]
        try JSONSerialization.data(withJSONObject: config, options: [.sortedKeys])
            .write(to: folder.appendingPathComponent("config.json"))
        var writer = SafetensorsWriter()
        writer.metadata = ["format": "pt"]
        for (name, shape, values) in tensors() { writer.add(name, Tensor(shape: shape, scalars: values)) }
        try writer.write(to: weights)
    }

    /// `count` prompts of `length` random token ids, clean and corrupted, read at the last position (KL).
    static func writePrompts(to file: URL, count: Int, length: Int) throws {
        var g = SeededGenerator(seed: 1)
        var lines: [String] = []
        for _ in 0..<count {
            let clean = (0..<length).map { _ in g.uniform(vocabulary) }
            let corrupted = (0..<length).map { _ in g.uniform(vocabulary) }
            lines.append("{\"clean\": \(clean), \"corrupted\": \(corrupted), \"correct\": \(g.uniform(vocabulary))}")
        }
        try (lines.joined(separator: "\n") + "\n").write(to: file, atomically: true, encoding: .utf8)
    }

    static func tensors() -> [(String, [Int], [Float])] {
        var state: UInt64 = 42
        func random(_ count: Int, scale: Float) -> [Float] {
            (0..<count).map { _ in
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return (Float(state >> 40) / Float(1 << 24) - 0.5) * 2 * scale
            }
        }
        let d = dModel
        var list: [(String, [Int], [Float])] = [
            ("transformer.wte.weight", [vocabulary, d], random(vocabulary * d, scale: 0.1)),
            ("transformer.wpe.weight", [context, d], random(context * d, scale: 0.02)),
            ("transformer.ln_f.weight", [d], Array(repeating: 1, count: d)),
            ("transformer.ln_f.bias", [d], Array(repeating: 0, count: d)),
        ]
        for l in 0..<layers {
            let p = "transformer.h.\(l)."
            list += [
                (p + "ln_1.weight", [d], Array(repeating: 1, count: d)),
                (p + "ln_1.bias", [d], Array(repeating: 0, count: d)),
                (p + "attn.c_attn.weight", [d, 3 * d], random(d * 3 * d, scale: 0.06)),
                (p + "attn.c_attn.bias", [3 * d], random(3 * d, scale: 0.02)),
                (p + "attn.c_proj.weight", [d, d], random(d * d, scale: 0.06)),
                (p + "attn.c_proj.bias", [d], random(d, scale: 0.02)),
                (p + "ln_2.weight", [d], Array(repeating: 1, count: d)),
                (p + "ln_2.bias", [d], Array(repeating: 0, count: d)),
                (p + "mlp.c_fc.weight", [d, 4 * d], random(d * 4 * d, scale: 0.06)),
                (p + "mlp.c_fc.bias", [4 * d], random(4 * d, scale: 0.02)),
                (p + "mlp.c_proj.weight", [4 * d, d], random(4 * d * d, scale: 0.03)),
                (p + "mlp.c_proj.bias", [d], random(d, scale: 0.02)),
            ]
        }
        return list
    }
}
