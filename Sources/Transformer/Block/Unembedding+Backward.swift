import Tensor

/// The output head's backward: from ∂L/∂logits at the read rows to ∂L/∂(final residual) there, through Gemma 2's
/// soft cap, the unembedding and the final normalisation.
extension Unembedding {
    /// - Parameters:
    ///   - logitGradient: `[rows, dVocabOut]`, ∂L/∂logits (after the soft cap).
    ///   - logits: `[rows, dVocabOut]`, the forward's logits (the soft cap's derivative needs them).
    ///   - input: `[rows, dModel]`, the final normalisation's input rows.
    ///   - gradient: receives `[rows, dModel]`, ∂L/∂input.
    public func backward(
        _ logitGradient: Tensor, logits: Tensor, input: Tensor, rows: Int, into gradient: inout Tensor,
        log: inout MatrixProductLog
    ) {
        var upstream = logitGradient
        if let softcap { upstream.multiplyBySoftcapDerivative(softcap, capped: logits, count: rows * dVocabOut) }
        if gradient.count < rows * dModel { gradient.resize(to: [rows, dModel]) }
        log.gemm(upstream, MatrixSlice(offset: 0, rows: rows, cols: dVocabOut), matrix, MatrixSlice(matrix),
                 into: &gradient, MatrixSlice(offset: 0, rows: rows, cols: dModel))
        let stats = norm.statistics(input, rows: rows)
        norm.backward(&gradient, rows: rows, input: input, statistics: stats)
    }
}
