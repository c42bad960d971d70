import Tensor

/// The forward computations that keep what their backward needs (`TransformerBlock+Backward`).
extension TransformerBlock {
    /// `mlp(_:rows:scratch:into:log:)`, keeping the input projection before the activation in `preActivation`
    /// (`[rows, dMLP]`, gated `[rows, 2·dMLP]`) and, with Gemma 2's post-MLP norm, the output before that norm in
    /// `preNorm` (`[rows, dModel]`). Both are resized as needed; the output equals `mlp`'s.
    public func mlp(
        _ input: Tensor, rows: Int, scratch: inout MLPScratch, keepingPreActivation preActivation: inout Tensor,
        preNorm: inout Tensor, into out: inout Tensor, log: inout MatrixProductLog
    ) {
        mlp(input, rows: rows, scratch: &scratch, into: &out, log: &log,
            keepProjection: { projected, count in
                if preActivation.count != count { preActivation.resize(to: [rows, gated ? 2 * dMLP : dMLP]) }
                preActivation.copy(from: projected, range: 0..<count, otherOffset: 0)
            },
            keepPreNorm: { output, count in
                if preNorm.count != count { preNorm.resize(to: [rows, dModel]) }
                preNorm.copy(from: output, range: 0..<count, otherOffset: 0)
            })
    }

    /// `out[0 ..< rows] = Σ_h values[h] + b_O`, then Gemma 2's post-attention norm (its input kept in `preNorm`):
    /// the attention sublayer's output when every head's output is given (`values`: `[nHeads, rows·dModel]`).
    public func attentionOutput(
        summing values: Tensor, rows: Int, preNorm: inout Tensor, into out: inout Tensor
    ) {
        let width = rows * dModel
        precondition(values.count >= nHeads * width, "attentionOutput: \(values.count) values for \(nHeads) heads")
        startAttentionOutput(rows: rows, into: &out)
        for h in 0..<nHeads { out.add(values, range: 0..<width, otherOffset: h * width) }
        applyPostAttentionNorm(rows: rows, preNorm: &preNorm, to: &out)
    }

    /// Gemma 2's post-attention norm on `out[0 ..< rows]`, keeping its input in `preNorm`; nothing elsewhere.
    public func applyPostAttentionNorm(rows: Int, preNorm: inout Tensor, to out: inout Tensor) {
        guard let postAttentionNorm else { return }
        if preNorm.count != rows * dModel { preNorm.resize(to: [rows, dModel]) }
        preNorm.copy(from: out, range: 0..<(rows * dModel), otherOffset: 0)
        postAttentionNorm.apply(preNorm, rows: rows, into: &out)
    }

    /// `out[0 ..< rows]` = b_O (or zeros): the start of a sum of head outputs.
    public func startAttentionOutput(rows: Int, into out: inout Tensor) {
        if weights.outBias.count > 0 {
            out.broadcastRows(weights.outBias, into: MatrixSlice(offset: 0, rows: rows, cols: dModel))
        } else {
            out.broadcastRows(Tensor(shape: [dModel]), into: MatrixSlice(offset: 0, rows: rows, cols: dModel))
        }
    }
}
