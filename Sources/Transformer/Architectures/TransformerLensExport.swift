import Tensor

/// Models exported from TransformerLens (`HookedTransformer` state dict and config field names), as the tracr
/// models of ACDC are. GPT-2-like blocks with learned positions, optional LayerNorm, causal or bidirectional
/// attention, and an untied unembedding with a bias.
///
/// Configuration (`HookedTransformerConfig` names): `n_layers`, `d_model`, `n_heads`, `d_head` (default
/// d_model/n_heads), `d_mlp` (4·d_model), `d_vocab`, `d_vocab_out` (or `d_vocab_out_acdc`; absent or -1 → d_vocab),
/// `n_ctx`, `act_fn`, `normalization_type` (`"LN"` when absent; `null` → none), `attention_dir` (`causal`,
/// `bidirectional`), `eps`, `attn_only`, `use_attn_scale`, `positional_embedding_type` (`standard` only). A config
/// holding `tracr_model_config` is a tracr model and gets `separate_position_embedding: true` by default.
/// circuitry's own keys apply (`CircuitryConfigKeys`).
///
/// Tensors: `embed.W_E`, `pos_embed.W_pos`, `blocks.{l}.ln1.w/b`, `blocks.{l}.attn.W_Q/W_K/W_V [H, d_model,
/// d_head]`, `b_Q/b_K/b_V [H, d_head]`, `W_O [H, d_head, d_model]`, `b_O`, `blocks.{l}.ln2.w/b`,
/// `blocks.{l}.mlp.W_in/b_in/W_out/b_out`, `ln_final.w/b`, `unembed.W_U [d_model, d_vocab_out]`, optional
/// `unembed.b_U`. Q/K/V are fused into the canonical `[d_model, 3·H·d_head]` layout and `W_U` is transposed.
enum TransformerLensExport: ModelArchitecture {
    static let modelTypes = ["transformer_lens"]

    struct Configuration: Decodable {
        enum CodingKeys: String, CodingKey {
            case nLayers = "n_layers", dModel = "d_model", nHeads = "n_heads", dHead = "d_head", dMLP = "d_mlp"
            case dVocab = "d_vocab", dVocabOut = "d_vocab_out", dVocabOutACDC = "d_vocab_out_acdc", actFn = "act_fn"
            case normalizationType = "normalization_type", attentionDir = "attention_dir", eps, attnOnly = "attn_only"
            case useAttnScale = "use_attn_scale", positionalEmbeddingType = "positional_embedding_type"
            case nCtx = "n_ctx", tracrModelConfig = "tracr_model_config"
        }

        var nLayers, dModel, nHeads, dHead, dMLP, dVocab, dVocabOut, dVocabOutACDC, nCtx: Int?
        var actFn, attentionDir, positionalEmbeddingType: String?
        /// Outer nil: key absent; inner nil: explicit JSON null (which means "no normalization" in TransformerLens).
        var normalizationType: String??
        var eps: Double
        var attnOnly, useAttnScale: Bool
        var isTracr: Bool
        var circuitry: CircuitryConfigKeys

        init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            nLayers = try c.decodeIfPresent(Int.self, forKey: .nLayers)
            dModel = try c.decodeIfPresent(Int.self, forKey: .dModel)
            nHeads = try c.decodeIfPresent(Int.self, forKey: .nHeads)
            dHead = try c.decodeIfPresent(Int.self, forKey: .dHead)
            dMLP = try c.decodeIfPresent(Int.self, forKey: .dMLP)
            dVocab = try c.decodeIfPresent(Int.self, forKey: .dVocab)
            dVocabOut = try c.decodeIfPresent(Int.self, forKey: .dVocabOut)
            dVocabOutACDC = try c.decodeIfPresent(Int.self, forKey: .dVocabOutACDC)
            nCtx = try c.decodeIfPresent(Int.self, forKey: .nCtx)
            actFn = try c.decodeIfPresent(String.self, forKey: .actFn)
            attentionDir = try c.decodeIfPresent(String.self, forKey: .attentionDir)
            positionalEmbeddingType = try c.decodeIfPresent(String.self, forKey: .positionalEmbeddingType)
            normalizationType = c.contains(.normalizationType)
                ? .some(try c.decodeIfPresent(String.self, forKey: .normalizationType)) : nil
            eps = try c.decodeIfPresent(Double.self, forKey: .eps) ?? 1e-5
            attnOnly = try c.decodeIfPresent(Bool.self, forKey: .attnOnly) ?? false
            useAttnScale = try c.decodeIfPresent(Bool.self, forKey: .useAttnScale) ?? true
            isTracr = c.contains(.tracrModelConfig)
            circuitry = try CircuitryConfigKeys(from: decoder)
        }
    }

    static func modelConfig(_ raw: Configuration, file: String) throws -> ModelConfig {
        typealias K = Configuration.CodingKeys
        func need(_ value: Int?, _ key: K) throws -> Int {
            try ConfigValues.positive(ConfigValues.require(value, key.rawValue, file: file), key.rawValue, file: file)
        }
        func invalid(_ key: K, _ reason: String) -> TransformerError {
            .configInvalid(file: file, key: key.rawValue, reason: reason)
        }
        let layers = try need(raw.nLayers, .nLayers)
        let width = try need(raw.dModel, .dModel)
        let heads = try need(raw.nHeads, .nHeads)
        let headWidth: Int
        if let dHead = raw.dHead {
            headWidth = try ConfigValues.positive(dHead, K.dHead.rawValue, file: file)
        } else {
            guard width % heads == 0 else {
                throw invalid(.dModel, "(\(width)) is not divisible by n_heads (\(heads)) and d_head is not given")
            }
            headWidth = width / heads
        }
        let context = try need(raw.nCtx, .nCtx)
        let vocabulary = try need(raw.dVocab, .dVocab)
        var vocabularyOut = vocabulary
        if let out = raw.dVocabOut, out != -1 {
            vocabularyOut = try ConfigValues.positive(out, K.dVocabOut.rawValue, file: file)
        } else if let out = raw.dVocabOutACDC {
            vocabularyOut = try ConfigValues.positive(out, K.dVocabOutACDC.rawValue, file: file)
        }
        let attentionOnly = raw.attnOnly || (raw.circuitry.attentionOnly ?? false)
        let hidden = attentionOnly ? 0 : try raw.dMLP.map { try ConfigValues.positive($0, K.dMLP.rawValue, file: file) } ?? 4 * width
        // TransformerLens has no default activation; only attention-only models may omit it.
        guard raw.actFn != nil || attentionOnly else { throw TransformerError.configMissingKey(file: file, key: "act_fn") }
        let activation = try ConfigValues.activation(raw.actFn ?? "relu", key: K.actFn.rawValue, file: file)
        let normalization: ModelConfig.Normalization
        switch raw.normalizationType {
        case .none, .some(.some("LN")): normalization = .layerNorm
        case .some(.some("RMS")): normalization = .rmsNorm
        case .some(.none): normalization = .none
        case let .some(.some(other)):
            throw invalid(.normalizationType, "'\(other)' is not supported (use \"LN\", \"RMS\" or null)")
        }
        let causal: Bool
        switch raw.attentionDir ?? "causal" {
        case "causal": causal = true
        case "bidirectional": causal = false
        case let other: throw invalid(.attentionDir, "'\(other)' is not 'causal' or 'bidirectional'")
        }
        if let kind = raw.positionalEmbeddingType, kind != "standard" {
            throw invalid(.positionalEmbeddingType, "'\(kind)' is not supported (only 'standard')")
        }
        var config = ModelConfig(
            nLayers: layers, dModel: width, nHeads: heads, dHead: headWidth, dMLP: hidden, nCtx: context,
            dVocab: vocabulary, dVocabOut: vocabularyOut, activation: activation, normalization: normalization,
            layerNormEpsilon: Float(raw.eps), causal: causal, attentionOnly: attentionOnly,
            tiedEmbeddings: false, unembedBias: true, separatePositionEmbedding: raw.isTracr,
            attentionScale: raw.useAttnScale ? nil : 1, architecture: "transformer_lens")
        try raw.circuitry.apply(to: &config, file: file, epsilonKey: K.eps.rawValue)
        return config
    }

    static func weights(_ r: inout WeightReader, config c: ModelConfig) throws -> TransformerWeights {
        guard r.contains("embed.W_E") else {
            throw TransformerError.missingTensor(
                file: r.fileNames, tensor: "embed.W_E (or wte.weight, transformer.wte.weight)")
        }
        let d = c.dModel, h = c.nHeads, dh = c.dHead
        let shift = c.normalization == .layerNorm
        let wte = try r.tensor("embed.W_E", [c.dVocab, d])
        let wpe = try r.tensor("pos_embed.W_pos", [c.nCtx, d])
        var blocks: [BlockWeights] = []
        for l in 0..<c.nLayers {
            let p = "blocks.\(l)."
            let (ln1w, ln1b) = try r.norm(p + "ln1.w", shift ? p + "ln1.b" : nil, width: d, present: c.layerNorm)
            let (ln2w, ln2b) = try r.norm(p + "ln2.w", shift ? p + "ln2.b" : nil, width: d,
                                         present: c.layerNorm && c.hasMLP)
            var projections: [Tensor] = []
            var biases: [Tensor] = []
            for j in ["Q", "K", "V"] {
                projections.append(try r.tensor(p + "attn.W_\(j)", [h, d, dh]))
                biases.append(try r.tensor(p + "attn.b_\(j)", [h, dh]))
            }
            let mlp = c.hasMLP
            blocks.append(BlockWeights(
                ln1Weight: ln1w, ln1Bias: ln1b,
                qkvWeight: fuseHeads(projections, config: c),
                qkvBias: WeightReader.concatenate(biases),
                outWeight: try r.tensor(p + "attn.W_O", [h, dh, d]).reshaped([h * dh, d]),
                outBias: try r.tensor(p + "attn.b_O", [d]),
                ln2Weight: ln2w, ln2Bias: ln2b,
                mlpInWeight: mlp ? try r.tensor(p + "mlp.W_in", [d, c.dMLP]) : .absent,
                mlpInBias: mlp ? try r.tensor(p + "mlp.b_in", [c.dMLP]) : .absent,
                mlpOutWeight: mlp ? try r.tensor(p + "mlp.W_out", [c.dMLP, d]) : .absent,
                mlpOutBias: mlp ? try r.tensor(p + "mlp.b_out", [d]) : .absent))
        }
        let (lnfw, lnfb) = try r.norm("ln_final.w", shift ? "ln_final.b" : nil, width: d, present: c.layerNorm)
        let unembedding: Tensor
        if c.tiedEmbeddings && !r.contains("unembed.W_U") {
            unembedding = wte
        } else {
            unembedding = WeightReader.transpose(try r.tensor("unembed.W_U", [d, c.dVocabOut]))
        }
        let bias = try r.optional("unembed.b_U", [c.dVocabOut]) ?? Tensor(shape: [c.dVocabOut])
        try r.checkNoExtraLayers(nLayers: c.nLayers, layerContainers: ["blocks"], file: r.fileNames)
        return TransformerWeights(
            tokenEmbedding: wte, positionEmbedding: wpe, blocks: blocks, lnFinalWeight: lnfw, lnFinalBias: lnfb,
            unembedding: unembedding, unembeddingBias: bias)
    }

    /// Fuses TransformerLens `W_Q, W_K, W_V` (`[H, d_model, d_head]` each) into `[d_model, 3·H·d_head]`:
    /// column `j·H·d_head + h·d_head + i` of row `r` is `W_j[h, r, i]`.
    static func fuseHeads(_ projections: [Tensor], config c: ModelConfig) -> Tensor {
        let d = c.dModel, h = c.nHeads, dh = c.dHead, a = c.dAttention
        var fused = Tensor(shape: [d, 3 * a])
        for (j, w) in projections.enumerated() {
            for head in 0..<h {
                fused.copyBlocks(from: w, sourceOffset: head * d * dh, sourceStride: dh,
                                 offset: j * a + head * dh, stride: 3 * a, blockLength: dh, blocks: d)
            }
        }
        return fused
    }
}
