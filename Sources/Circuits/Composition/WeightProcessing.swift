import Transformer

/// How a model's attention weights are prepared before composition analysis.
///
/// Composition scores are not invariant under these changes, so every result states which was used. With
/// `.transformerLensDefault` the weights are the ones TransformerLens's `HookedTransformer.from_pretrained`
/// (`fold_ln=True, center_writing_weights=True`) produces, which is what its `all_composition_scores` sees; with
/// `.none` they are the checkpoint's own (TransformerLens `from_pretrained_no_processing`). Biases play no part in
/// composition scores, so their folding is irrelevant here. See TransformerLens `weight_processing.py`
/// (`_fold_layer`, `center_attention_weights`, `center_writing_weights`).
public struct WeightProcessing: Hashable, Sendable {
    /// Multiply row `i` of W_Q, W_K and W_V by ln1's scale γ_i: the head reads `LN(x)·γ·W = x̂·(diag(γ)·W)`, so the
    /// folded matrices are what the head applies to the normalised residual stream x̂.
    public var foldLayerNorm: Bool
    /// Subtract from each column of W_Q, W_K and W_V its mean over the d_model rows (TransformerLens `fold_ln` with
    /// `center_weights=True`). Exact because x̂ has zero mean: `x̂·W = x̂·(W − 1·mean)`.
    public var centerReadingWeights: Bool
    /// Subtract from each row of W_O its mean over d_model (TransformerLens `center_writing_weights`): the
    /// component along the all-ones direction is removed by the next LayerNorm anyway.
    public var centerWritingWeights: Bool

    public init(foldLayerNorm: Bool, centerReadingWeights: Bool, centerWritingWeights: Bool) {
        self.foldLayerNorm = foldLayerNorm
        self.centerReadingWeights = centerReadingWeights
        self.centerWritingWeights = centerWritingWeights
    }

    /// The checkpoint's weights unchanged.
    public static let none = WeightProcessing(foldLayerNorm: false, centerReadingWeights: false, centerWritingWeights: false)

    /// TransformerLens's default processing: ln1 γ folded into W_Q/W_K/W_V, those centred, W_O centred.
    public static let transformerLensDefault = WeightProcessing(
        foldLayerNorm: true, centerReadingWeights: true, centerWritingWeights: true)

    /// What actually applies to a model: TransformerLens folds and centres models with LayerNorm; with RMSNorm it
    /// folds the scale but centres nothing (RMSNorm keeps the mean direction, so centring would change what the
    /// heads compute); without normalisation (tracr) it does neither. circuitry does the same.
    public func effective(normalization: ModelConfig.Normalization) -> WeightProcessing {
        switch normalization {
        case .layerNorm: self
        case .rmsNorm: WeightProcessing(foldLayerNorm: foldLayerNorm, centerReadingWeights: false, centerWritingWeights: false)
        case .none: .none
        }
    }

    /// Whether reading and writing weights are both confined to the zero-mean subspace (then random baselines
    /// are drawn there too).
    public var centersInterface: Bool { centerReadingWeights && centerWritingWeights }

    /// One line for reports, e.g. `raw weights` or `ln1 folded, W_Q/W_K/W_V centred, W_O centred (TransformerLens default)`.
    public var summary: String {
        if self == .none { return "raw weights (no LayerNorm folding, no centring)" }
        var parts: [String] = []
        if foldLayerNorm { parts.append("ln1 scale folded into W_Q/W_K/W_V") }
        if centerReadingWeights { parts.append("W_Q/W_K/W_V centred over d_model") }
        if centerWritingWeights { parts.append("W_O centred over d_model") }
        let text = parts.joined(separator: ", ")
        return self == .transformerLensDefault ? text + " (TransformerLens from_pretrained default)" : text
    }

    /// A short stable name for machine-readable output.
    public var identifier: String {
        switch self {
        case .none: "raw"
        case .transformerLensDefault: "transformer_lens_default"
        default:
            [foldLayerNorm ? "fold_ln" : nil, centerReadingWeights ? "center_reading" : nil,
             centerWritingWeights ? "center_writing" : nil].compactMap { $0 }.joined(separator: "+")
        }
    }
}
