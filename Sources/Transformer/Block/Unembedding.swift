import Tensor

/// The model's output head: the final normalisation, the unembedding `W_U` (tied to W_E or not) with its optional
/// bias, and Gemma 2's final soft cap `cap·tanh(logit / cap)`.
public struct Unembedding: Sendable {
    /// The final normalisation (`ln_f`, `model.norm`, `final_layer_norm`).
    public let norm: Normalizer
    /// `[dVocabOut, dModel]`.
    let matrix: Tensor
    /// `[dVocabOut]`, or nil without a bias.
    let bias: Tensor?
    let softcap: Float?
    public let dModel: Int
    public let dVocabOut: Int

    init(config c: ModelConfig, weights: TransformerWeights) {
        norm = Normalizer(kind: c.normalization, weight: weights.lnFinalWeight, bias: weights.lnFinalBias,
                          epsilon: c.layerNormEpsilon, width: c.dModel)
        matrix = weights.unembedding
        bias = c.unembedBias ? weights.unembeddingBias : nil
        softcap = c.finalLogitSoftcap
        dModel = c.dModel
        dVocabOut = c.dVocabOut
    }

    /// `logits[0 ..< rows]` (`[rows, dVocabOut]`) from already normalised rows `normed[0 ..< rows]`.
    public func project(_ normed: Tensor, rows: Int, into logits: inout Tensor, log: inout MatrixProductLog) {
        let slice = MatrixSlice(offset: 0, rows: rows, cols: dVocabOut)
        if let bias { logits.broadcastRows(bias, into: slice) }
        log.gemm(normed, MatrixSlice(offset: 0, rows: rows, cols: dModel), matrix, MatrixSlice(matrix),
                 transposeB: true, into: &logits, slice, beta: bias == nil ? 0 : 1)
        if let softcap { logits.softcap(softcap, count: rows * dVocabOut) }
    }

    /// `[dVocabOut, dModel]`: the unembedding matrix, for weight-based analyses.
    public var weight: Tensor { matrix }
}
