import Tensor

/// Llama 2 / 3 (Touvron et al. 2023) and Mistral as Hugging Face's `LlamaForCausalLM` / `MistralForCausalLM` lay
/// them out: RMSNorm before attention and MLP, separate q, k, v projections with grouped-query attention, rotary
/// embeddings (rotate-half layout), a SwiGLU MLP, a final RMSNorm, an untied `lm_head` by default.
///
/// Configuration (`LlamaConfig` / `MistralConfig` defaults): `hidden_size`, `intermediate_size`,
/// `num_hidden_layers`, `num_attention_heads`, `num_key_value_heads` (= heads), `head_dim` (= hidden/heads),
/// `hidden_act` (`silu`), `max_position_embeddings` (2048; Mistral 32768), `rms_norm_eps` (1e-6; Mistral 1e-6),
/// `vocab_size`, `tie_word_embeddings` (false), `rope_theta` (10000) or `rope_parameters`, `rope_scaling`
/// (default or `llama3`), `attention_bias` (false: q, k, v and o), `mlp_bias` (false), Mistral's `sliding_window`.
///
/// Tensors (with or without the `model.` prefix): `embed_tokens.weight`, `layers.{l}.input_layernorm.weight`,
/// `layers.{l}.self_attn.{q,k,v,o}_proj.weight` (`nn.Linear`, `[out, in]`) and biases, 
/// `layers.{l}.post_attention_layernorm.weight`, `layers.{l}.mlp.{gate,up,down}_proj.weight`, `norm.weight`,
/// `lm_head.weight` (absent when tied).
enum Llama: ModelArchitecture {
    static let modelTypes = ["llama", "mistral"]

    struct Configuration: Decodable {
        enum CodingKeys: String, CodingKey {
            case modelType = "model_type", rmsNormEps = "rms_norm_eps"
            case attentionBias = "attention_bias", mlpBias = "mlp_bias"
        }

        var modelType: String
        var rmsNormEps: Double
        var attentionBias, mlpBias: Bool
        var shape: HuggingFaceShapeKeys
        var rope: RopeKeys
        var sliding: SlidingWindowKeys

        init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            modelType = try c.decodeIfPresent(String.self, forKey: .modelType) ?? "llama"
            rmsNormEps = try c.decodeIfPresent(Double.self, forKey: .rmsNormEps) ?? 1e-6
            attentionBias = try c.decodeIfPresent(Bool.self, forKey: .attentionBias) ?? false
            mlpBias = try c.decodeIfPresent(Bool.self, forKey: .mlpBias) ?? false
            shape = try HuggingFaceShapeKeys(from: decoder)
            rope = try RopeKeys(from: decoder)
            sliding = try SlidingWindowKeys(from: decoder)
        }
    }

    static func modelConfig(_ raw: Configuration, file: String) throws -> ModelConfig {
        let shape = try HuggingFaceShape(raw.shape, defaultContext: raw.modelType == "mistral" ? 32768 : 2048, file: file)
        let rotary = try raw.rope.rotary(headDim: shape.headDim, defaultTheta: 10000, file: file)
        let sliding = try raw.sliding.slidingLayers(nLayers: shape.layers, file: file) { _ in true }
        var config = ModelConfig(
            nLayers: shape.layers, dModel: shape.hidden, nHeads: shape.heads, nKVHeads: shape.kvHeads,
            dHead: shape.headDim, dMLP: shape.intermediate, nCtx: shape.context, dVocab: shape.vocabulary,
            activation: try ConfigValues.activation(raw.shape.hiddenAct ?? "silu", key: "hidden_act", file: file),
            gatedMLP: true, normalization: .rmsNorm, layerNormEpsilon: Float(raw.rmsNormEps),
            tiedEmbeddings: raw.shape.tieWordEmbeddings ?? false, positionEncoding: .rotary(rotary),
            slidingWindow: sliding.isEmpty ? nil : raw.sliding.slidingWindow,
            slidingLayers: sliding, qkvBias: raw.attentionBias, outputBias: raw.attentionBias, mlpBias: raw.mlpBias,
            architecture: raw.modelType)
        try ConfigValues.checkEpsilon(config.layerNormEpsilon, key: "rms_norm_eps", file: file)
        config.unembedBias = false
        return config
    }

    static func weights(_ r: inout WeightReader, config: ModelConfig) throws -> TransformerWeights {
        try LlamaLayout.weights(&r, config: config)
    }
}

/// The tensor layout shared by Llama, Mistral, Qwen2 and Gemma 2 checkpoints.
enum LlamaLayout {
    /// Maps `[model.]embed_tokens`, `[model.]layers.{l}.…`, `[model.]norm`, `lm_head` into circuitry's layout.
    /// Gemma 2's extra norms (`pre_feedforward_layernorm` before the MLP, `post_attention_layernorm` and
    /// `post_feedforward_layernorm` after attention and MLP) are read when `config.sandwichNorms`; its RMSNorm
    /// scales are stored as w and applied as `1 + w`, folded here (`gemmaNormOffset`).
    static func weights(_ r: inout WeightReader, config c: ModelConfig, gemmaNormOffset: Bool = false) throws -> TransformerWeights {
        let prefix: String
        if r.contains("model.embed_tokens.weight") {
            prefix = "model."
        } else if r.contains("embed_tokens.weight") {
            prefix = ""
        } else {
            throw TransformerError.missingTensor(file: r.fileNames, tensor: "model.embed_tokens.weight")
        }
        let d = c.dModel, h = c.nHeads, kv = c.nKVHeads, dh = c.dHead, i = c.dMLP
        func norm(_ name: String) throws -> Tensor {
            let w = try r.tensor(name, [d])
            guard gemmaNormOffset else { return w }
            return Tensor(shape: [d], scalars: w.scalars.map { 1 + $0 })
        }
        let embed = try r.tensor(prefix + "embed_tokens.weight", [c.dVocab, d])
        var blocks: [BlockWeights] = []
        for l in 0..<c.nLayers {
            let p = "\(prefix)layers.\(l)."
            let a = p + "self_attn."
            let q = try r.linear(a + "q_proj.weight", out: h * dh, in: d)
            let k = try r.linear(a + "k_proj.weight", out: kv * dh, in: d)
            let v = try r.linear(a + "v_proj.weight", out: kv * dh, in: d)
            var qkvBias = Tensor.absent
            if c.qkvBias {
                qkvBias = WeightReader.concatenate([
                    try r.tensor(a + "q_proj.bias", [h * dh]), try r.tensor(a + "k_proj.bias", [kv * dh]),
                    try r.tensor(a + "v_proj.bias", [kv * dh]),
                ])
            }
            let mlpNorm = c.sandwichNorms ? p + "pre_feedforward_layernorm.weight" : p + "post_attention_layernorm.weight"
            let m = p + "mlp."
            blocks.append(BlockWeights(
                ln1Weight: try norm(p + "input_layernorm.weight"), ln1Bias: .absent,
                qkvWeight: WeightReader.concatenateColumns([q, k, v]), qkvBias: qkvBias,
                outWeight: try r.linear(a + "o_proj.weight", out: d, in: h * dh),
                outBias: c.outputBias ? try r.tensor(a + "o_proj.bias", [d]) : .absent,
                ln2Weight: try norm(mlpNorm), ln2Bias: .absent,
                mlpInWeight: WeightReader.concatenateColumns([
                    try r.linear(m + "gate_proj.weight", out: i, in: d), try r.linear(m + "up_proj.weight", out: i, in: d),
                ]),
                mlpInBias: c.mlpBias
                    ? WeightReader.concatenate([try r.tensor(m + "gate_proj.bias", [i]), try r.tensor(m + "up_proj.bias", [i])])
                    : .absent,
                mlpOutWeight: try r.linear(m + "down_proj.weight", out: d, in: i),
                mlpOutBias: c.mlpBias ? try r.tensor(m + "down_proj.bias", [d]) : .absent,
                postAttentionNormWeight: c.sandwichNorms ? try norm(p + "post_attention_layernorm.weight") : .absent,
                postMLPNormWeight: c.sandwichNorms ? try norm(p + "post_feedforward_layernorm.weight") : .absent))
        }
        let final = try norm(prefix + "norm.weight")
        let unembedding = try r.unembedding(
            "lm_head.weight", tiedTo: embed, tied: c.tiedEmbeddings, shape: [c.dVocabOut, d])
        try r.checkNoExtraLayers(nLayers: c.nLayers, layerContainers: ["layers"], file: r.fileNames)
        return TransformerWeights(
            tokenEmbedding: embed, positionEmbedding: .absent, blocks: blocks, lnFinalWeight: final,
            lnFinalBias: .absent, unembedding: unembedding, unembeddingBias: Tensor(shape: [c.dVocabOut]))
    }
}
