/// circuitry's own `config.json` keys, accepted by the GPT-2 and TransformerLens dialects (the bundled and tracr
/// models use them) and overriding what the dialect implies:
/// * `attention_only` (bool): blocks without MLPs.
/// * `layer_norm` (bool): whether blocks and the final residual are normalised.
/// * `causal` (bool): causal (true) or bidirectional attention.
/// * `unembed_bias` (bool): whether the unembedding has a bias `b_U`.
/// * `separate_position_embedding` (bool): circuit graphs get separate `embed` and `pos_embed` sender nodes.
/// * `attn_scale` (number > 0): the divisor of attention scores (default `sqrt(d_head)`).
struct CircuitryConfigKeys: Decodable {
    enum CodingKeys: String, CodingKey {
        case attentionOnly = "attention_only", layerNorm = "layer_norm", causal, unembedBias = "unembed_bias"
        case separatePositionEmbedding = "separate_position_embedding", attnScale = "attn_scale"
    }

    var attentionOnly, layerNorm, causal, unembedBias, separatePositionEmbedding: Bool?
    var attnScale: Double?

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        attentionOnly = try c.decodeIfPresent(Bool.self, forKey: .attentionOnly)
        layerNorm = try c.decodeIfPresent(Bool.self, forKey: .layerNorm)
        causal = try c.decodeIfPresent(Bool.self, forKey: .causal)
        unembedBias = try c.decodeIfPresent(Bool.self, forKey: .unembedBias)
        separatePositionEmbedding = try c.decodeIfPresent(Bool.self, forKey: .separatePositionEmbedding)
        attnScale = try c.decodeIfPresent(Double.self, forKey: .attnScale)
    }

    /// Applies the keys present to `config`; `epsilonKey` names the dialect's ε key in errors.
    func apply(to config: inout ModelConfig, file: String, epsilonKey: String) throws {
        if let attentionOnly, attentionOnly {
            config.attentionOnly = true
            config.dMLP = 0
        }
        if let layerNorm { config.layerNorm = layerNorm }
        if let causal { config.causal = causal }
        if let unembedBias { config.unembedBias = unembedBias }
        if let separatePositionEmbedding { config.separatePositionEmbedding = separatePositionEmbedding }
        if let attnScale {
            guard attnScale > 0, attnScale.isFinite else {
                throw TransformerError.configInvalid(
                    file: file, key: CodingKeys.attnScale.rawValue, reason: "must be a positive number, found \(attnScale)")
            }
            config.attentionScale = Float(attnScale)
        }
        try ConfigValues.checkEpsilon(config.layerNormEpsilon, key: epsilonKey, file: file)
    }
}

/// Validation shared by every architecture file, with messages that name the key.
enum ConfigValues {
    static func require<T>(_ value: T?, _ key: String, file: String) throws -> T {
        guard let value else { throw TransformerError.configMissingKey(file: file, key: key) }
        return value
    }

    static func positive(_ value: Int, _ key: String, file: String) throws -> Int {
        guard value > 0 else {
            throw TransformerError.configInvalid(file: file, key: key, reason: "must be positive, found \(value)")
        }
        return value
    }

    static func checkEpsilon(_ epsilon: Float, key: String, file: String) throws {
        guard epsilon > 0, epsilon.isFinite else {
            throw TransformerError.configInvalid(file: file, key: key, reason: "must be a positive number, found \(epsilon)")
        }
    }

    /// The activation named `name` (Hugging Face's `ACT2FN` names that circuitry implements).
    static func activation(_ name: String, key: String, file: String) throws -> ModelConfig.Activation {
        switch name {
        case "gelu": return .gelu
        case "gelu_new", "gelu_pytorch_tanh", "gelu_fast": return .geluNew
        case "relu": return .relu
        case "silu", "swish": return .silu
        default:
            throw TransformerError.configInvalid(
                file: file, key: key,
                reason: "'\(name)' is not a supported activation (gelu, gelu_new, gelu_pytorch_tanh, relu, silu)")
        }
    }

    /// Heads dividing the residual width, or an explicit head width.
    static func headWidth(explicit: Int?, width: Int, heads: Int, widthKey: String, headsKey: String, file: String) throws -> Int {
        if let explicit { return try positive(explicit, "head_dim", file: file) }
        guard width % heads == 0 else {
            throw TransformerError.configInvalid(
                file: file, key: widthKey, reason: "(\(width)) is not divisible by \(headsKey) (\(heads))")
        }
        return width / heads
    }

    /// Grouped-query attention's key/value heads: they must divide the query heads.
    static func keyValueHeads(_ kv: Int?, heads: Int, file: String) throws -> Int {
        guard let kv else { return heads }
        let value = try positive(kv, "num_key_value_heads", file: file)
        guard heads % value == 0 else {
            throw TransformerError.configInvalid(
                file: file, key: "num_key_value_heads",
                reason: "(\(value)) does not divide num_attention_heads (\(heads))")
        }
        return value
    }
}
