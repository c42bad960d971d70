import Tensor

/// GPT-2 (Radford et al. 2019) as Hugging Face's `GPT2LMHeadModel` lays it out: learned positions, pre-LayerNorm
/// blocks, a fused `c_attn` projection, `gelu_new` MLPs, a final LayerNorm and a tied unembedding.
///
/// Configuration (`GPT2Config`, transformers `configuration_gpt2.py`): `n_layer`, `n_head`, `n_embd`, `n_positions`
/// (older files: `n_ctx`), `vocab_size`, `activation_function` (default `gelu_new`), `layer_norm_epsilon` (1e-5),
/// `n_inner` (null → 4·n_embd), `tie_word_embeddings` (true), `scale_attn_weights` (true; false → scores not
/// divided). `scale_attn_by_inverse_layer_idx: true` is rejected. circuitry's own keys apply
/// (`CircuitryConfigKeys`).
///
/// Tensors (the state dict, with or without the `transformer.` prefix): `wte`, `wpe`, `h.{l}.ln_1`,
/// `h.{l}.attn.c_attn`, `h.{l}.attn.c_proj`, `h.{l}.ln_2`, `h.{l}.mlp.c_fc`, `h.{l}.mlp.c_proj`, `ln_f`, optional
/// `lm_head.weight` (ignored when tied) and `lm_head.bias`. Conv1D weights are already `[in, out]` and `c_attn` is
/// already q | k | v with heads consecutive, circuitry's canonical layout, so they are taken as they are.
enum GPT2: ModelArchitecture {
    static let modelTypes = ["gpt2"]

    struct Configuration: Decodable {
        enum CodingKeys: String, CodingKey {
            case nLayer = "n_layer", nHead = "n_head", nEmbd = "n_embd", nPositions = "n_positions", nCtx = "n_ctx"
            case vocabSize = "vocab_size", activationFunction = "activation_function"
            case layerNormEpsilon = "layer_norm_epsilon", nInner = "n_inner", tieWordEmbeddings = "tie_word_embeddings"
            case scaleAttnWeights = "scale_attn_weights", scaleAttnByInverseLayerIdx = "scale_attn_by_inverse_layer_idx"
        }

        var nLayer, nHead, nEmbd, nPositions, nCtx, vocabSize, nInner: Int?
        var activationFunction: String
        var layerNormEpsilon: Double
        var tieWordEmbeddings, scaleAttnWeights, scaleAttnByInverseLayerIdx: Bool
        var circuitry: CircuitryConfigKeys

        init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            nLayer = try c.decodeIfPresent(Int.self, forKey: .nLayer)
            nHead = try c.decodeIfPresent(Int.self, forKey: .nHead)
            nEmbd = try c.decodeIfPresent(Int.self, forKey: .nEmbd)
            nPositions = try c.decodeIfPresent(Int.self, forKey: .nPositions)
            nCtx = try c.decodeIfPresent(Int.self, forKey: .nCtx)
            vocabSize = try c.decodeIfPresent(Int.self, forKey: .vocabSize)
            nInner = try c.decodeIfPresent(Int.self, forKey: .nInner)
            activationFunction = try c.decodeIfPresent(String.self, forKey: .activationFunction) ?? "gelu_new"
            layerNormEpsilon = try c.decodeIfPresent(Double.self, forKey: .layerNormEpsilon) ?? 1e-5
            tieWordEmbeddings = try c.decodeIfPresent(Bool.self, forKey: .tieWordEmbeddings) ?? true
            scaleAttnWeights = try c.decodeIfPresent(Bool.self, forKey: .scaleAttnWeights) ?? true
            scaleAttnByInverseLayerIdx = try c.decodeIfPresent(Bool.self, forKey: .scaleAttnByInverseLayerIdx) ?? false
            circuitry = try CircuitryConfigKeys(from: decoder)
        }
    }

    static func modelConfig(_ raw: Configuration, file: String) throws -> ModelConfig {
        typealias K = Configuration.CodingKeys
        func need(_ value: Int?, _ key: K) throws -> Int {
            try ConfigValues.positive(ConfigValues.require(value, key.rawValue, file: file), key.rawValue, file: file)
        }
        let layers = try need(raw.nLayer, .nLayer)
        let heads = try need(raw.nHead, .nHead)
        let width = try need(raw.nEmbd, .nEmbd)
        let headWidth = try ConfigValues.headWidth(
            explicit: nil, width: width, heads: heads, widthKey: K.nEmbd.rawValue, headsKey: K.nHead.rawValue, file: file)
        let contextKey: K = raw.nPositions != nil ? .nPositions : .nCtx
        let context = try ConfigValues.positive(
            ConfigValues.require(raw.nPositions ?? raw.nCtx, K.nPositions.rawValue, file: file), contextKey.rawValue,
            file: file)
        let vocabulary = try need(raw.vocabSize, .vocabSize)
        let hidden = raw.circuitry.attentionOnly == true
            ? nil : try raw.nInner.map { try ConfigValues.positive($0, K.nInner.rawValue, file: file) }
        let activation = try ConfigValues.activation(raw.activationFunction, key: K.activationFunction.rawValue, file: file)
        if raw.scaleAttnByInverseLayerIdx {
            throw TransformerError.configInvalid(
                file: file, key: K.scaleAttnByInverseLayerIdx.rawValue,
                reason: "true is not supported (scores would be scaled per layer)")
        }
        var config = ModelConfig(
            nLayers: layers, dModel: width, nHeads: heads, dHead: headWidth, dMLP: hidden, nCtx: context,
            dVocab: vocabulary, activation: activation, layerNormEpsilon: Float(raw.layerNormEpsilon),
            tiedEmbeddings: raw.tieWordEmbeddings, attentionScale: raw.scaleAttnWeights ? nil : 1, architecture: "gpt2")
        try raw.circuitry.apply(to: &config, file: file, epsilonKey: K.layerNormEpsilon.rawValue)
        return config
    }

    static func weights(_ r: inout WeightReader, config c: ModelConfig) throws -> TransformerWeights {
        let prefix: String
        if r.contains("transformer.wte.weight") {
            prefix = "transformer."
        } else if r.contains("wte.weight") {
            prefix = ""
        } else {
            throw TransformerError.missingTensor(
                file: r.fileNames, tensor: "wte.weight (or transformer.wte.weight, embed.W_E)")
        }
        let d = c.dModel, a = c.dAttention
        let wte = try r.tensor(prefix + "wte.weight", [c.dVocab, d])
        let wpe = try r.tensor(prefix + "wpe.weight", [c.nCtx, d])
        var blocks: [BlockWeights] = []
        for l in 0..<c.nLayers {
            let p = "\(prefix)h.\(l)."
            let (ln1w, ln1b) = try r.norm(p + "ln_1.weight", p + "ln_1.bias", width: d, present: c.layerNorm)
            let (ln2w, ln2b) = try r.norm(p + "ln_2.weight", p + "ln_2.bias", width: d, present: c.layerNorm && c.hasMLP)
            let mlp = c.hasMLP
            blocks.append(BlockWeights(
                ln1Weight: ln1w, ln1Bias: ln1b,
                qkvWeight: try r.tensor(p + "attn.c_attn.weight", [d, 3 * a]),
                qkvBias: try r.tensor(p + "attn.c_attn.bias", [3 * a]),
                outWeight: try r.tensor(p + "attn.c_proj.weight", [a, d]),
                outBias: try r.tensor(p + "attn.c_proj.bias", [d]),
                ln2Weight: ln2w, ln2Bias: ln2b,
                mlpInWeight: mlp ? try r.tensor(p + "mlp.c_fc.weight", [d, c.dMLP]) : .absent,
                mlpInBias: mlp ? try r.tensor(p + "mlp.c_fc.bias", [c.dMLP]) : .absent,
                mlpOutWeight: mlp ? try r.tensor(p + "mlp.c_proj.weight", [c.dMLP, d]) : .absent,
                mlpOutBias: mlp ? try r.tensor(p + "mlp.c_proj.bias", [d]) : .absent))
        }
        let (lnfw, lnfb) = try r.norm(prefix + "ln_f.weight", prefix + "ln_f.bias", width: d, present: c.layerNorm)
        let unembedding = try r.unembedding(
            "lm_head.weight", tiedTo: wte, tied: c.tiedEmbeddings, shape: [c.dVocabOut, d])
        let bias = try r.optional("lm_head.bias", [c.dVocabOut]) ?? Tensor(shape: [c.dVocabOut])
        try r.checkNoExtraLayers(nLayers: c.nLayers, layerContainers: ["h"], file: r.fileNames)
        return TransformerWeights(
            tokenEmbedding: wte, positionEmbedding: wpe, blocks: blocks, lnFinalWeight: lnfw, lnFinalBias: lnfb,
            unembedding: unembedding, unembeddingBias: bias)
    }
}
