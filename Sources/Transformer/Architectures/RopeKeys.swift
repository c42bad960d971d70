/// The rotary-embedding keys of Hugging Face configurations, in both spellings found on the Hub:
/// transformers < 5 writes `rope_theta` and `rope_scaling` (and `partial_rotary_factor`) at the top level;
/// transformers 5 writes them inside `rope_parameters` (`{"rope_type": "default", "rope_theta": …}`).
/// Only the default rotary embedding and Llama 3's scaling (`rope_type: "llama3"`) are implemented; other scalings
/// (linear, dynamic, yarn, longrope) change the frequencies and are refused by name rather than ignored.
struct RopeKeys: Decodable {
    /// One `rope_scaling` or `rope_parameters` object.
    struct Parameters: Decodable {
        enum CodingKeys: String, CodingKey {
            case ropeType = "rope_type", type, ropeTheta = "rope_theta", factor
            case lowFreqFactor = "low_freq_factor", highFreqFactor = "high_freq_factor"
            case originalMaxPositionEmbeddings = "original_max_position_embeddings"
            case partialRotaryFactor = "partial_rotary_factor"
        }

        var ropeType: String?
        var ropeTheta, factor, lowFreqFactor, highFreqFactor, partialRotaryFactor: Double?
        var originalMaxPositionEmbeddings: Int?

        init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            ropeType = try c.decodeIfPresent(String.self, forKey: .ropeType) ?? c.decodeIfPresent(String.self, forKey: .type)
            ropeTheta = try c.decodeIfPresent(Double.self, forKey: .ropeTheta)
            factor = try c.decodeIfPresent(Double.self, forKey: .factor)
            lowFreqFactor = try c.decodeIfPresent(Double.self, forKey: .lowFreqFactor)
            highFreqFactor = try c.decodeIfPresent(Double.self, forKey: .highFreqFactor)
            partialRotaryFactor = try c.decodeIfPresent(Double.self, forKey: .partialRotaryFactor)
            originalMaxPositionEmbeddings = try c.decodeIfPresent(Int.self, forKey: .originalMaxPositionEmbeddings)
        }
    }

    enum CodingKeys: String, CodingKey {
        case ropeTheta = "rope_theta", ropeScaling = "rope_scaling", ropeParameters = "rope_parameters"
        case partialRotaryFactor = "partial_rotary_factor"
        // GPT-NeoX's older names.
        case rotaryPct = "rotary_pct", rotaryEmbBase = "rotary_emb_base"
    }

    var ropeTheta: Double?
    var ropeScaling: Parameters?
    var ropeParameters: Parameters?
    var partialRotaryFactor: Double?
    var rotaryPct: Double?
    var rotaryEmbBase: Double?

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        ropeTheta = try c.decodeIfPresent(Double.self, forKey: .ropeTheta)
        ropeScaling = try c.decodeIfPresent(Parameters.self, forKey: .ropeScaling)
        ropeParameters = try c.decodeIfPresent(Parameters.self, forKey: .ropeParameters)
        partialRotaryFactor = try c.decodeIfPresent(Double.self, forKey: .partialRotaryFactor)
        rotaryPct = try c.decodeIfPresent(Double.self, forKey: .rotaryPct)
        rotaryEmbBase = try c.decodeIfPresent(Double.self, forKey: .rotaryEmbBase)
    }

    /// The rotary settings for heads of `headDim`, with the family's defaults for θ and the rotated fraction.
    func rotary(headDim: Int, defaultTheta: Double, defaultFraction: Double = 1, file: String) throws -> RotaryConfig {
        let scaling = ropeParameters ?? ropeScaling
        let theta = ropeParameters?.ropeTheta ?? ropeTheta ?? rotaryEmbBase ?? defaultTheta
        guard theta > 0, theta.isFinite else {
            throw TransformerError.configInvalid(file: file, key: "rope_theta", reason: "must be a positive number, found \(theta)")
        }
        let fraction = ropeParameters?.partialRotaryFactor ?? partialRotaryFactor ?? rotaryPct ?? defaultFraction
        guard fraction > 0, fraction <= 1 else {
            throw TransformerError.configInvalid(
                file: file, key: "partial_rotary_factor", reason: "must be in (0, 1], found \(fraction)")
        }
        // Hugging Face: int(head_dim · factor), rounded down to an even number of components.
        let dims = Int(Double(headDim) * fraction)
        guard dims >= 2, dims % 2 == 0 else {
            throw TransformerError.configInvalid(
                file: file, key: "partial_rotary_factor",
                reason: "rotates \(dims) of \(headDim) components; rotary embeddings need an even number ≥ 2")
        }
        var llama3: Llama3RopeScaling?
        switch scaling?.ropeType ?? "default" {
        case "default":
            break
        case "llama3":
            guard let s = scaling, let factor = s.factor, let low = s.lowFreqFactor, let high = s.highFreqFactor,
                  let original = s.originalMaxPositionEmbeddings, high > low, factor > 0 else {
                throw TransformerError.configInvalid(
                    file: file, key: ropeParameters != nil ? "rope_parameters" : "rope_scaling",
                    reason: "llama3 scaling needs factor, low_freq_factor < high_freq_factor and original_max_position_embeddings")
            }
            llama3 = Llama3RopeScaling(
                factor: factor, lowFrequencyFactor: low, highFrequencyFactor: high,
                originalMaxPositionEmbeddings: original)
        case let other:
            throw TransformerError.unsupportedFeature(
                file: file, key: ropeParameters != nil ? "rope_parameters.rope_type" : "rope_scaling.rope_type",
                reason: "'\(other)' is not supported (circuitry implements the default rotary embedding and 'llama3')")
        }
        return RotaryConfig(dims: dims, theta: theta, llama3Scaling: llama3)
    }
}

/// Sliding-window keys: `sliding_window` and, per layer, `layer_types` (`"sliding_attention"` /
/// `"full_attention"`, transformers ≥ 4.53) — or the family's own rule when `layer_types` is absent.
struct SlidingWindowKeys: Decodable {
    enum CodingKeys: String, CodingKey {
        case slidingWindow = "sliding_window", layerTypes = "layer_types", useSlidingWindow = "use_sliding_window"
        case maxWindowLayers = "max_window_layers"
    }

    var slidingWindow: Int?
    var layerTypes: [String]?
    var useSlidingWindow: Bool?
    var maxWindowLayers: Int?

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        slidingWindow = try c.decodeIfPresent(Int.self, forKey: .slidingWindow)
        layerTypes = try c.decodeIfPresent([String].self, forKey: .layerTypes)
        useSlidingWindow = try c.decodeIfPresent(Bool.self, forKey: .useSlidingWindow)
        maxWindowLayers = try c.decodeIfPresent(Int.self, forKey: .maxWindowLayers)
    }

    /// Per layer whether it slides, from `layer_types` or else `fallback(layer)`; empty when nothing slides.
    func slidingLayers(nLayers: Int, file: String, fallback: (Int) -> Bool) throws -> [Bool] {
        guard let window = slidingWindow else { return [] }
        guard window > 0 else {
            throw TransformerError.configInvalid(file: file, key: "sliding_window", reason: "must be positive, found \(window)")
        }
        var layers: [Bool]
        if let layerTypes {
            guard layerTypes.count == nLayers else {
                throw TransformerError.configInvalid(
                    file: file, key: "layer_types", reason: "lists \(layerTypes.count) layers, the model has \(nLayers)")
            }
            layers = try layerTypes.map { type in
                switch type {
                case "sliding_attention": return true
                case "full_attention": return false
                default:
                    throw TransformerError.unsupportedFeature(
                        file: file, key: "layer_types", reason: "'\(type)' is not sliding_attention or full_attention")
                }
            }
        } else {
            layers = (0..<nLayers).map(fallback)
        }
        return layers.contains(true) ? layers : []
    }
}
