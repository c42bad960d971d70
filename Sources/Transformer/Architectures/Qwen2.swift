import Tensor

/// Qwen2 / Qwen2.5 (Qwen team 2024) as Hugging Face's `Qwen2ForCausalLM` lays it out: Llama's block with biases on
/// the q, k and v projections (not on o, not in the MLP), usually tied embeddings, θ = 10⁶ in released models.
///
/// Configuration (`Qwen2Config` defaults): Llama's keys with `hidden_act` `silu`, `max_position_embeddings` 32768,
/// `rms_norm_eps` 1e-6, `rope_theta` 10000, `tie_word_embeddings` false, and sliding-window keys
/// (`use_sliding_window` false by default, then `sliding_window` from layer `max_window_layers` on, or
/// `layer_types`). Tensors: Llama's names (`LlamaLayout`) plus `self_attn.{q,k,v}_proj.bias`.
enum Qwen2: ModelArchitecture {
    static let modelTypes = ["qwen2"]

    struct Configuration: Decodable {
        enum CodingKeys: String, CodingKey {
            case rmsNormEps = "rms_norm_eps"
        }

        var rmsNormEps: Double
        var shape: HuggingFaceShapeKeys
        var rope: RopeKeys
        var sliding: SlidingWindowKeys

        init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            rmsNormEps = try c.decodeIfPresent(Double.self, forKey: .rmsNormEps) ?? 1e-6
            shape = try HuggingFaceShapeKeys(from: decoder)
            rope = try RopeKeys(from: decoder)
            sliding = try SlidingWindowKeys(from: decoder)
        }
    }

    static func modelConfig(_ raw: Configuration, file: String) throws -> ModelConfig {
        let shape = try HuggingFaceShape(raw.shape, defaultContext: 32768, file: file)
        let rotary = try raw.rope.rotary(headDim: shape.headDim, defaultTheta: 10000, file: file)
        // Hugging Face ignores `sliding_window` unless `use_sliding_window` is set.
        let sliding = raw.sliding.useSlidingWindow == true
            ? try raw.sliding.slidingLayers(nLayers: shape.layers, file: file) { $0 >= (raw.sliding.maxWindowLayers ?? 28) }
            : []
        let config = ModelConfig(
            nLayers: shape.layers, dModel: shape.hidden, nHeads: shape.heads, nKVHeads: shape.kvHeads,
            dHead: shape.headDim, dMLP: shape.intermediate, nCtx: shape.context, dVocab: shape.vocabulary,
            activation: try ConfigValues.activation(raw.shape.hiddenAct ?? "silu", key: "hidden_act", file: file),
            gatedMLP: true, normalization: .rmsNorm, layerNormEpsilon: Float(raw.rmsNormEps),
            tiedEmbeddings: raw.shape.tieWordEmbeddings ?? false,
            positionEncoding: .rotary(rotary), slidingWindow: sliding.isEmpty ? nil : raw.sliding.slidingWindow,
            slidingLayers: sliding, qkvBias: true, outputBias: false, mlpBias: false, architecture: "qwen2")
        try ConfigValues.checkEpsilon(config.layerNormEpsilon, key: "rms_norm_eps", file: file)
        return config
    }

    static func weights(_ r: inout WeightReader, config: ModelConfig) throws -> TransformerWeights {
        try LlamaLayout.weights(&r, config: config)
    }
}
