import Tensor

/// The scratch an MLP evaluation needs, sized for a number of rows and reused between calls.
public struct MLPScratch: Sendable {
    /// `[rows, dModel]`: the normalised input (and Gemma 2's post-norm scratch).
    public var normed: Tensor
    /// `[rows, dMLP]` (gated: `[rows, 2·dMLP]`, gate | up): the input projection, activated in place.
    public var projected: Tensor
    /// `[rows, dMLP]`: the hidden layer (gated MLPs only; ungated ones use `projected`).
    public var hidden: Tensor

    public init(config c: ModelConfig, rows: Int) {
        normed = Tensor(shape: [rows, c.dModel])
        projected = Tensor(shape: [rows, c.hasMLP ? (c.gatedMLP ? 2 : 1) * c.dMLP : 0])
        hidden = Tensor(shape: [rows, c.hasMLP && c.gatedMLP ? c.dMLP : 0])
    }

    /// Floats held for `rows` rows.
    public static func floatCount(config c: ModelConfig, rows: Int) -> Int {
        guard c.hasMLP else { return rows * c.dModel }
        return rows * (c.dModel + (c.gatedMLP ? 3 : 1) * c.dMLP)
    }

    /// Floats held.
    public var floatCount: Int { normed.count + projected.count + hidden.count }
}

/// The MLP: `norm₂`, the input projection (plain or gated), the activation, the output projection with its bias,
/// and Gemma 2's post-MLP norm. Its output is the graph's sender `m{L}` (TransformerLens `hook_mlp_out`).
extension TransformerBlock {
    /// `out[0 ..< rows]` = the MLP's output for the residual input rows `input[0 ..< rows]` (`[rows, dModel]`,
    /// TransformerLens `hook_mlp_in`, before normalisation).
    ///
    ///     plain:  W_out · act(W_in · norm₂(x) + b_in) + b_out            (GPT-2, GPT-NeoX, tracr)
    ///     gated:  W_down · (act(W_gate · norm₂(x)) ⊙ (W_up · norm₂(x)))  (Llama, Qwen2: SwiGLU; Gemma: GeGLU)
    public func mlp(
        _ input: Tensor, rows: Int, scratch: inout MLPScratch, into out: inout Tensor, log: inout MatrixProductLog
    ) {
        mlp(input, rows: rows, scratch: &scratch, into: &out, log: &log, keepProjection: { _, _ in }, keepPreNorm: { _, _ in })
    }

    /// The MLP's one computation; the tape's variant (`TransformerBlock+Tape`) keeps two intermediates through
    /// `keepProjection` (the input projection before the activation, `[rows, inWidth]` from element 0) and
    /// `keepPreNorm` (the output before Gemma 2's post-MLP norm, `[rows, dModel]`).
    func mlp(
        _ input: Tensor, rows: Int, scratch: inout MLPScratch, into out: inout Tensor, log: inout MatrixProductLog,
        keepProjection: (_ projected: Tensor, _ count: Int) -> Void, keepPreNorm: (_ out: Tensor, _ count: Int) -> Void
    ) {
        precondition(hasMLP, "TransformerBlock.mlp: layer \(layer) has no MLP")
        mlpNorm.apply(input, rows: rows, into: &scratch.normed)
        let inWidth = gated ? 2 * dMLP : dMLP
        let projected = MatrixSlice(offset: 0, rows: rows, cols: inWidth)
        let inBias = weights.mlpInBias.count > 0
        if inBias { scratch.projected.broadcastRows(weights.mlpInBias, into: projected) }
        log.gemm(scratch.normed, MatrixSlice(offset: 0, rows: rows, cols: dModel), weights.mlpInWeight,
                 MatrixSlice(weights.mlpInWeight), into: &scratch.projected, projected, beta: inBias ? 1 : 0)
        keepProjection(scratch.projected, rows * inWidth)
        let hiddenSlice = MatrixSlice(offset: 0, rows: rows, cols: dMLP)
        if gated {
            scratch.hidden.gatedActivation(activation, gateUp: &scratch.projected, rows: rows, width: dMLP)
        } else {
            scratch.projected.apply(activation, count: rows * dMLP)
        }
        let outSlice = MatrixSlice(offset: 0, rows: rows, cols: dModel)
        let outBias = weights.mlpOutBias.count > 0
        if outBias { out.broadcastRows(weights.mlpOutBias, into: outSlice) }
        log.gemm(gated ? scratch.hidden : scratch.projected, hiddenSlice, weights.mlpOutWeight,
                 MatrixSlice(weights.mlpOutWeight), into: &out, outSlice, beta: outBias ? 1 : 0)
        if let postMLPNorm {
            keepPreNorm(out, rows * dModel)
            postMLPNorm.apply(out, rows: rows, into: &scratch.normed)
            out.copy(from: scratch.normed, range: 0..<(rows * dModel), otherOffset: 0)
        }
    }
}
