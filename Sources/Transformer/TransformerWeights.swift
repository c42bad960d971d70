import Tensor

/// The parameters of one transformer block in circuitry's canonical layout, whatever the checkpoint's: the
/// architecture files (`Architectures/`) map a checkpoint's tensors into it, and only the block layer
/// (`TransformerBlock`) reads it.
///
/// Matrices are stored `[in, out]` (Hugging Face Conv1D / TransformerLens layout) so that a batch of rows
/// `x [rows, in]` is multiplied as `x · W`. The query, key and value projections are fused column-wise: the
/// queries of the `nHeads` query heads, then the keys of the `nKVHeads` key/value heads, then their values, each
/// head's `dHead` columns consecutive (GPT-2's `c_attn` when `nKVHeads == nHeads`). The column arithmetic lives
/// in `HeadInputLayout`. Absent parameters (no normalisation, no bias, no MLP) are empty (`[0]`) tensors.
public struct BlockWeights: Sendable, Equatable {
    /// The normalisation before attention (LayerNorm: scale and shift; RMSNorm: scale, empty shift), `[dModel]`.
    public var ln1Weight: Tensor
    public var ln1Bias: Tensor
    /// `[dModel, (nHeads + 2·nKVHeads)·dHead]`: W_Q | W_K | W_V.
    public var qkvWeight: Tensor
    /// `[(nHeads + 2·nKVHeads)·dHead]`: b_Q | b_K | b_V, or empty.
    public var qkvBias: Tensor
    /// `[nHeads·dHead, dModel]`: W_O; rows `h·dHead ..< (h+1)·dHead` are head h's W_O[h].
    public var outWeight: Tensor
    /// `[dModel]`: b_O, added once to the residual (not split across heads), or empty.
    public var outBias: Tensor
    /// The normalisation before the MLP (empty without MLP or normalisation).
    public var ln2Weight: Tensor
    public var ln2Bias: Tensor
    /// `[dModel, dMLP]`, or for gated MLPs `[dModel, 2·dMLP]` (W_gate | W_up); empty for attention-only blocks.
    public var mlpInWeight: Tensor
    /// `[dMLP]` (gated: `[2·dMLP]`), or empty.
    public var mlpInBias: Tensor
    /// `[dMLP, dModel]` and `[dModel]` (empty for attention-only blocks or without bias).
    public var mlpOutWeight: Tensor
    public var mlpOutBias: Tensor
    /// Gemma 2's normalisations of the attention output and of the MLP output (RMSNorm scales), else empty.
    public var postAttentionNormWeight: Tensor
    public var postMLPNormWeight: Tensor

    public init(
        ln1Weight: Tensor, ln1Bias: Tensor, qkvWeight: Tensor, qkvBias: Tensor, outWeight: Tensor, outBias: Tensor,
        ln2Weight: Tensor, ln2Bias: Tensor, mlpInWeight: Tensor, mlpInBias: Tensor, mlpOutWeight: Tensor,
        mlpOutBias: Tensor, postAttentionNormWeight: Tensor = .absent, postMLPNormWeight: Tensor = .absent
    ) {
        self.ln1Weight = ln1Weight
        self.ln1Bias = ln1Bias
        self.qkvWeight = qkvWeight
        self.qkvBias = qkvBias
        self.outWeight = outWeight
        self.outBias = outBias
        self.ln2Weight = ln2Weight
        self.ln2Bias = ln2Bias
        self.mlpInWeight = mlpInWeight
        self.mlpInBias = mlpInBias
        self.mlpOutWeight = mlpOutWeight
        self.mlpOutBias = mlpOutBias
        self.postAttentionNormWeight = postAttentionNormWeight
        self.postMLPNormWeight = postMLPNormWeight
    }
}

/// All parameters of a model, validated against its `ModelConfig` when built by the loader.
public struct TransformerWeights: Sendable, Equatable {
    /// `[dVocab, dModel]`: the token embedding W_E.
    public var tokenEmbedding: Tensor
    /// `[nCtx, dModel]`: the learned position embedding W_pos (empty for rotary models).
    public var positionEmbedding: Tensor
    public var blocks: [BlockWeights]
    /// The final normalisation's scale and shift, `[dModel]` (empty when absent).
    public var lnFinalWeight: Tensor
    public var lnFinalBias: Tensor
    /// `[dVocabOut, dModel]`: the unembedding stored row per output token (Hugging Face `lm_head.weight` layout).
    /// For a tied model it equals `tokenEmbedding`.
    public var unembedding: Tensor
    /// `[dVocabOut]`: b_U (zeros when the model has none).
    public var unembeddingBias: Tensor

    public init(
        tokenEmbedding: Tensor, positionEmbedding: Tensor, blocks: [BlockWeights], lnFinalWeight: Tensor,
        lnFinalBias: Tensor, unembedding: Tensor, unembeddingBias: Tensor
    ) {
        self.tokenEmbedding = tokenEmbedding
        self.positionEmbedding = positionEmbedding
        self.blocks = blocks
        self.lnFinalWeight = lnFinalWeight
        self.lnFinalBias = lnFinalBias
        self.unembedding = unembedding
        self.unembeddingBias = unembeddingBias
    }
}

extension Tensor {
    /// The `[0]`-shaped tensor standing for an absent parameter (no normalisation, no bias, no MLP).
    public static let absent = Tensor(shape: [0], scalars: [])
}

/// A configuration with its weights, and the block layer built from them: everything a forward pass needs.
public struct TransformerModel: Sendable {
    public let config: ModelConfig
    public let weights: TransformerWeights
    /// Where it was loaded from, for messages and output files (a directory or a hub id).
    public let source: String
    /// One block-layer value per layer: the only code that reads `weights.blocks`.
    public let blocks: [TransformerBlock]
    /// The token (and position) embedding.
    public let embedding: Embedding
    /// The final normalisation and the unembedding.
    public let unembedding: Unembedding

    public init(config: ModelConfig, weights: TransformerWeights, source: String) {
        self.config = config
        self.weights = weights
        self.source = source
        let rotary = RotaryTable(config: config)
        self.blocks = weights.blocks.enumerated().map { layer, w in
            TransformerBlock(layer: layer, config: config, weights: w, rotary: rotary)
        }
        self.embedding = Embedding(config: config, weights: weights)
        self.unembedding = Unembedding(config: config, weights: weights)
    }
}
