import Tensor

/// GPT-NeoX and Pythia (Black et al. 2022; Biderman et al. 2023) as Hugging Face's `GPTNeoXForCausalLM` lays them
/// out: LayerNorm, a fused `query_key_value` projection interleaved per head, partial rotary embeddings (the first
/// `rotary_pct` of each head's components), an exact-GELU MLP, and — in Pythia — the parallel residual
/// `x + attn(ln1(x)) + mlp(ln2(x))`, so a block's MLP does not see its own heads.
///
/// Configuration (`GPTNeoXConfig` defaults): `hidden_size`, `num_hidden_layers`, `num_attention_heads`,
/// `intermediate_size`, `hidden_act` (`gelu`), `rotary_pct` (0.25) or `partial_rotary_factor`,
/// `rotary_emb_base` (10000) or `rope_theta`/`rope_parameters`, `max_position_embeddings` (2048),
/// `layer_norm_eps` (1e-5), `use_parallel_residual` (true), `tie_word_embeddings` (false), `attention_bias`
/// (true).
///
/// Tensors: `gpt_neox.embed_in.weight`, `gpt_neox.layers.{l}.input_layernorm`, `.post_attention_layernorm`,
/// `.attention.query_key_value` (`[3·hidden, hidden]`: row `h·3D + j` is q of head h for j < D, k for D ≤ j < 2D,
/// v after — Hugging Face views the output as `[…, H, 3D]` and chunks it), `.attention.dense`,
/// `.mlp.dense_h_to_4h`, `.mlp.dense_4h_to_h`, `gpt_neox.final_layer_norm`, `embed_out.weight`.
enum GPTNeoX: ModelArchitecture {
    static let modelTypes = ["gpt_neox"]

    struct Configuration: Decodable {
        enum CodingKeys: String, CodingKey {
            case layerNormEps = "layer_norm_eps", useParallelResidual = "use_parallel_residual"
            case attentionBias = "attention_bias"
        }

        var layerNormEps: Double
        var useParallelResidual, attentionBias: Bool
        var shape: HuggingFaceShapeKeys
        var rope: RopeKeys

        init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            layerNormEps = try c.decodeIfPresent(Double.self, forKey: .layerNormEps) ?? 1e-5
            useParallelResidual = try c.decodeIfPresent(Bool.self, forKey: .useParallelResidual) ?? true
            attentionBias = try c.decodeIfPresent(Bool.self, forKey: .attentionBias) ?? true
            shape = try HuggingFaceShapeKeys(from: decoder)
            rope = try RopeKeys(from: decoder)
        }
    }

    static func modelConfig(_ raw: Configuration, file: String) throws -> ModelConfig {
        // GPT-NeoX has no grouped key/value heads and no head_dim key.
        var keys = raw.shape
        keys.headDim = nil
        let shape = try HuggingFaceShape(keys, defaultContext: 2048, groupedHeads: false, file: file)
        let rotary = try raw.rope.rotary(headDim: shape.headDim, defaultTheta: 10000, defaultFraction: 0.25, file: file)
        let config = ModelConfig(
            nLayers: shape.layers, dModel: shape.hidden, nHeads: shape.heads, dHead: shape.headDim,
            dMLP: shape.intermediate, nCtx: shape.context, dVocab: shape.vocabulary,
            activation: try ConfigValues.activation(raw.shape.hiddenAct ?? "gelu", key: "hidden_act", file: file),
            normalization: .layerNorm, layerNormEpsilon: Float(raw.layerNormEps),
            tiedEmbeddings: raw.shape.tieWordEmbeddings ?? false,
            positionEncoding: .rotary(rotary), parallelResidual: raw.useParallelResidual,
            qkvBias: raw.attentionBias, outputBias: raw.attentionBias, mlpBias: true, architecture: "gpt_neox")
        try ConfigValues.checkEpsilon(config.layerNormEpsilon, key: "layer_norm_eps", file: file)
        return config
    }

    static func weights(_ r: inout WeightReader, config c: ModelConfig) throws -> TransformerWeights {
        let d = c.dModel, i = c.dMLP
        let prefix = "gpt_neox."
        let embed = try r.tensor(prefix + "embed_in.weight", [c.dVocab, d])
        var blocks: [BlockWeights] = []
        for l in 0..<c.nLayers {
            let p = "\(prefix)layers.\(l)."
            let (ln1w, ln1b) = try r.norm(p + "input_layernorm.weight", p + "input_layernorm.bias", width: d, present: true)
            let (ln2w, ln2b) = try r.norm(
                p + "post_attention_layernorm.weight", p + "post_attention_layernorm.bias", width: d, present: true)
            let fused = try r.tensor(p + "attention.query_key_value.weight", [3 * d, d])
            let fusedBias = c.qkvBias ? try r.tensor(p + "attention.query_key_value.bias", [3 * d]) : nil
            let (qkv, qkvBias) = deinterleave(fused, bias: fusedBias, config: c)
            blocks.append(BlockWeights(
                ln1Weight: ln1w, ln1Bias: ln1b, qkvWeight: qkv, qkvBias: qkvBias,
                outWeight: try r.linear(p + "attention.dense.weight", out: d, in: c.dAttention),
                outBias: c.outputBias ? try r.tensor(p + "attention.dense.bias", [d]) : .absent,
                ln2Weight: ln2w, ln2Bias: ln2b,
                mlpInWeight: try r.linear(p + "mlp.dense_h_to_4h.weight", out: i, in: d),
                mlpInBias: try r.tensor(p + "mlp.dense_h_to_4h.bias", [i]),
                mlpOutWeight: try r.linear(p + "mlp.dense_4h_to_h.weight", out: d, in: i),
                mlpOutBias: try r.tensor(p + "mlp.dense_4h_to_h.bias", [d])))
        }
        let (fw, fb) = try r.norm(prefix + "final_layer_norm.weight", prefix + "final_layer_norm.bias", width: d, present: true)
        let unembedding = try r.unembedding(
            "embed_out.weight", tiedTo: embed, tied: c.tiedEmbeddings, shape: [c.dVocabOut, d])
        try r.checkNoExtraLayers(nLayers: c.nLayers, layerContainers: ["layers"], file: r.fileNames)
        return TransformerWeights(
            tokenEmbedding: embed, positionEmbedding: .absent, blocks: blocks, lnFinalWeight: fw, lnFinalBias: fb,
            unembedding: unembedding, unembeddingBias: Tensor(shape: [c.dVocabOut]))
    }

    /// The per-head interleaved `query_key_value` (`[3·H·D, hidden]`, row `h·3D + j·D + i` = input j of head h) as
    /// circuitry's `[hidden, 3·H·D]` with column `j·H·D + h·D + i`, and its bias likewise.
    static func deinterleave(_ weight: Tensor, bias: Tensor?, config c: ModelConfig) -> (Tensor, Tensor) {
        let h = c.nHeads, dh = c.dHead, d = c.dModel, a = c.dAttention
        var rows = Tensor(shape: [3 * a, d])
        var b = Tensor(shape: [bias == nil ? 0 : 3 * a])
        for head in 0..<h {
            for j in 0..<3 {
                let from = head * 3 * dh + j * dh, to = j * a + head * dh
                rows.copy(from: weight, range: (to * d)..<((to + dh) * d), otherOffset: from * d)
                if let bias { b.copy(from: bias, range: to..<(to + dh), otherOffset: from) }
            }
        }
        return (WeightReader.transpose(rows), b.count == 0 ? .absent : b)
    }
}
