import Tensor

/// Gemma 2 (Gemma Team 2024) as Hugging Face's `Gemma2ForCausalLM` lays it out: Llama's projections and rotary
/// embeddings, a GeGLU MLP (`gelu_pytorch_tanh`), RMSNorm with scale `1 + w`, "sandwich" norms (the attention and
/// MLP outputs are normalised again before they join the residual), the token embedding multiplied by
/// `sqrt(hidden_size)`, attention scores scaled by `query_pre_attn_scalar^(−1/2)` and soft-capped, alternate layers
/// with a sliding window, and soft-capped final logits.
///
/// Configuration (`Gemma2Config` defaults): Llama's shape keys with `head_dim` (256), `hidden_activation`
/// (`gelu_pytorch_tanh`), `max_position_embeddings` 8192, `rms_norm_eps` 1e-6, `tie_word_embeddings` true,
/// `rope_theta` 10000, `query_pre_attn_scalar` 256, `sliding_window` 4096 with `layer_types` (or, in older files,
/// every even layer), `attn_logit_softcapping` 50, `final_logit_softcapping` 30.
///
/// The sandwich norm after attention normalises the *sum* of the heads' outputs, so a head's contribution to the
/// residual stream is not its own `z_h·W_O[h]`: the forward pass is exact, but circuit graphs (which need additive
/// per-head senders) are refused for Gemma 2.
enum Gemma2: ModelArchitecture {
    static let modelTypes = ["gemma2"]

    struct Configuration: Decodable {
        enum CodingKeys: String, CodingKey {
            case hiddenActivation = "hidden_activation", rmsNormEps = "rms_norm_eps", attentionBias = "attention_bias"
            case queryPreAttnScalar = "query_pre_attn_scalar", attnLogitSoftcapping = "attn_logit_softcapping"
            case finalLogitSoftcapping = "final_logit_softcapping"
        }

        var hiddenActivation: String
        var rmsNormEps: Double
        var attentionBias: Bool
        var queryPreAttnScalar: Double
        var attnLogitSoftcapping, finalLogitSoftcapping: Double?
        var shape: HuggingFaceShapeKeys
        var rope: RopeKeys
        var sliding: SlidingWindowKeys

        init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            shape = try HuggingFaceShapeKeys(from: decoder)
            hiddenActivation = try c.decodeIfPresent(String.self, forKey: .hiddenActivation)
                ?? shape.hiddenAct ?? "gelu_pytorch_tanh"
            rmsNormEps = try c.decodeIfPresent(Double.self, forKey: .rmsNormEps) ?? 1e-6
            attentionBias = try c.decodeIfPresent(Bool.self, forKey: .attentionBias) ?? false
            queryPreAttnScalar = try c.decodeIfPresent(Double.self, forKey: .queryPreAttnScalar) ?? 256
            attnLogitSoftcapping = try c.decodeIfPresent(Double.self, forKey: .attnLogitSoftcapping)
            finalLogitSoftcapping = try c.decodeIfPresent(Double.self, forKey: .finalLogitSoftcapping)
            rope = try RopeKeys(from: decoder)
            sliding = try SlidingWindowKeys(from: decoder)
        }
    }

    static func modelConfig(_ raw: Configuration, file: String) throws -> ModelConfig {
        let shape = try HuggingFaceShape(raw.shape, defaultContext: 8192, defaultHeadDim: 256, file: file)
        let rotary = try raw.rope.rotary(headDim: shape.headDim, defaultTheta: 10000, file: file)
        // transformers < 4.53: `is_sliding = not bool(layer_idx % 2)`.
        let sliding = try raw.sliding.slidingLayers(nLayers: shape.layers, file: file) { $0 % 2 == 0 }
        guard raw.queryPreAttnScalar > 0 else {
            throw TransformerError.configInvalid(
                file: file, key: "query_pre_attn_scalar", reason: "must be positive, found \(raw.queryPreAttnScalar)")
        }
        for (key, cap) in [("attn_logit_softcapping", raw.attnLogitSoftcapping), ("final_logit_softcapping", raw.finalLogitSoftcapping)] {
            if let cap, !(cap > 0) {
                throw TransformerError.configInvalid(file: file, key: key, reason: "must be positive, found \(cap)")
            }
        }
        let config = ModelConfig(
            nLayers: shape.layers, dModel: shape.hidden, nHeads: shape.heads, nKVHeads: shape.kvHeads,
            dHead: shape.headDim, dMLP: shape.intermediate, nCtx: shape.context, dVocab: shape.vocabulary,
            activation: try ConfigValues.activation(raw.hiddenActivation, key: "hidden_activation", file: file),
            gatedMLP: true, normalization: .rmsNorm, layerNormEpsilon: Float(raw.rmsNormEps),
            tiedEmbeddings: raw.shape.tieWordEmbeddings ?? true, attentionScale: Float(raw.queryPreAttnScalar.squareRoot()),
            positionEncoding: .rotary(rotary), attentionSoftcap: raw.attnLogitSoftcapping.map(Float.init),
            finalLogitSoftcap: raw.finalLogitSoftcapping.map(Float.init),
            slidingWindow: sliding.isEmpty ? nil : raw.sliding.slidingWindow, slidingLayers: sliding,
            embeddingScale: Float(Double(shape.hidden).squareRoot()), sandwichNorms: true,
            qkvBias: raw.attentionBias, outputBias: raw.attentionBias, mlpBias: false, architecture: "gemma2")
        try ConfigValues.checkEpsilon(config.layerNormEpsilon, key: "rms_norm_eps", file: file)
        return config
    }

    static func weights(_ r: inout WeightReader, config: ModelConfig) throws -> TransformerWeights {
        try LlamaLayout.weights(&r, config: config, gemmaNormOffset: true)
    }
}
