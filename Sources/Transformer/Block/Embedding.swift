import Tensor

/// The input embedding: the token embedding W_E[token] (scaled by `sqrt(dModel)` in Gemma) plus, for models with
/// learned positions, the position embedding W_pos[position]. Rotary models add no position vector: positions act
/// inside attention (`RotaryTable`).
public struct Embedding: Sendable {
    /// `[dVocab, dModel]`.
    let tokenEmbedding: Tensor
    /// `[nCtx, dModel]`, empty for rotary models.
    let positionEmbedding: Tensor
    let scale: Float
    public let dModel: Int
    /// Whether a learned position table is added.
    public let hasPositions: Bool

    init(config c: ModelConfig, weights: TransformerWeights) {
        tokenEmbedding = weights.tokenEmbedding
        positionEmbedding = weights.positionEmbedding
        scale = c.embeddingScale
        dModel = c.dModel
        hasPositions = c.hasLearnedPositions && weights.positionEmbedding.count > 0
    }

    /// `[batch·length, dModel]` into `out`: row `b·length + t` is `scale·W_E[token] + W_pos[t]`, or only one of
    /// the two terms (graphs with separate `embed` and `pos_embed` senders need them apart; `positions: false` on
    /// a rotary model changes nothing).
    public func embed(_ batch: TokenBatch, into out: inout Tensor, tokens: Bool = true, positions: Bool = true) {
        out.embed(tokens: batch.tokens, length: batch.length, tokenEmbedding: tokenEmbedding,
                  positionEmbedding: hasPositions ? positionEmbedding : tokenEmbedding,
                  includeTokens: tokens, includePositions: positions && hasPositions)
        if tokens && scale != 1 {
            if positions && hasPositions {
                preconditionFailure("Embedding: a scaled embedding with learned positions is not a supported layout")
            }
            out.scale(MatrixSlice(offset: 0, rows: 1, cols: batch.rows * dModel), by: scale)
        }
    }
}
