import Tensor

/// Attention: projecting a normalised input into heads' q, k and v (bias, grouped key/value heads, rotary), the
/// attention itself, and the heads' outputs.
extension TransformerBlock {
    /// Every head's q, k and v from one normalised input, in the ungrouped activation layout
    /// (`HeadInputLayout`): `[rows, 3·nHeads·dHead]`, biases added and q, k rotated at `positions`.
    ///
    /// One wide product with the fused weights; under grouped-query attention the `nKVHeads` keys and values are
    /// computed (and rotated) once into `grouped` (`[rows, (nHeads + 2·nKVHeads)·dHead]`, resized as needed) and
    /// copied to every query head that reads them.
    ///
    /// - Parameters:
    ///   - normed: `[rows, dModel]` (its first `rows` rows are read).
    ///   - includeBias: false projects a *change* of the input (linear path patching): no bias.
    public func projectHeadInputs(
        _ normed: Tensor, rows: Int, positions: RowPositions, into qkv: inout Tensor, grouped: inout Tensor,
        includeBias: Bool = true, log: inout MatrixProductLog
    ) {
        let width = layout.weightWidth
        precondition(qkv.count >= rows * layout.activationWidth, "projectHeadInputs: output too small")
        if !layout.isGrouped {
            project(normed, rows: rows, columns: 0..<width, into: &qkv,
                    MatrixSlice(offset: 0, rows: rows, cols: width), includeBias: includeBias, log: &log)
            rotate(&qkv, rows: rows, rowStride: width, positions: positions, keyHeads: nHeads)
            return
        }
        if grouped.count < rows * width { grouped.resize(to: [rows, width]) }
        project(normed, rows: rows, columns: 0..<width, into: &grouped,
                MatrixSlice(offset: 0, rows: rows, cols: width), includeBias: includeBias, log: &log)
        rotate(&grouped, rows: rows, rowStride: width, positions: positions, keyHeads: layout.nKVHeads)
        let out = layout.activationWidth
        for input in HeadInput.allCases {
            for h in 0..<nHeads {
                qkv.copyBlocks(from: grouped, sourceOffset: layout.weightColumn(input, head: h), sourceStride: width,
                               offset: layout.activationColumn(input, head: h), stride: out, blockLength: dHead,
                               blocks: rows)
            }
        }
    }

    /// One head input: `norm₁`-normalised input `normed` projected into q, k or v of query head `head` (its
    /// key/value head's weights under grouping), bias added, rotated at `positions` for q and k; written into the
    /// `[rows, dHead]` window `slice` of `out`.
    public func projectHeadInput(
        _ input: HeadInput, head: Int, _ normed: Tensor, rows: Int, positions: RowPositions,
        into out: inout Tensor, _ slice: MatrixSlice, includeBias: Bool = true, log: inout MatrixProductLog
    ) {
        precondition(slice.rows == rows && slice.cols == dHead, "projectHeadInput: window \(slice)")
        let column = layout.weightColumn(input, head: head)
        project(normed, rows: rows, columns: column..<(column + dHead), into: &out, slice, includeBias: includeBias,
                log: &log)
        if input != .v, let rotary {
            rotary.apply(&out, offset: slice.offset, rowStride: slice.rowStride, rows: rows, heads: 1, dHead: dHead,
                         positions: positions)
        }
    }

    /// `out[slice] = normed · W[:, columns] (+ b[columns])`.
    private func project(
        _ normed: Tensor, rows: Int, columns: Range<Int>, into out: inout Tensor, _ slice: MatrixSlice,
        includeBias: Bool, log: inout MatrixProductLog
    ) {
        let bias = includeBias && weights.qkvBias.count > 0
        if bias { out.broadcastRows(weights.qkvBias, vectorOffset: columns.lowerBound, into: slice) }
        log.gemm(normed, MatrixSlice(offset: 0, rows: rows, cols: dModel), weights.qkvWeight,
                 MatrixSlice(offset: columns.lowerBound, rows: dModel, cols: columns.count,
                             rowStride: layout.weightWidth),
                 into: &out, slice, beta: bias ? 1 : 0)
    }

    /// Rotates the queries (`nHeads` heads from column 0) and the keys (`keyHeads` heads right after them) of a
    /// fused projection with row stride `rowStride`.
    private func rotate(_ t: inout Tensor, rows: Int, rowStride: Int, positions: RowPositions, keyHeads: Int) {
        guard let rotary else { return }
        rotary.apply(&t, offset: 0, rowStride: rowStride, rows: rows, heads: nHeads, dHead: dHead,
                     positions: positions)
        rotary.apply(&t, offset: nHeads * dHead, rowStride: rowStride, rows: rows, heads: keyHeads, dHead: dHead,
                     positions: positions)
    }

    /// One head's attention over a batch: scores q·kᵀ / scale (soft-capped for Gemma 2), the causal and sliding-
    /// window masks, softmax, z = pattern · v. Operands address `[batch·length, *]` buffers; see `Attention.head`.
    public func attend(
        q: Tensor, _ qOperand: Attention.Operand, k: Tensor, _ kOperand: Attention.Operand,
        v: Tensor, _ vOperand: Attention.Operand, batch: Int, length: Int, queryPositions: [Int]? = nil,
        pattern: inout Tensor, patternOffset: Int?, patternBatchStride: Int = 0,
        z: inout Tensor, _ zOperand: Attention.Operand
    ) {
        Attention.head(
            q: q, qOperand, k: k, kOperand, v: v, vOperand, batch: batch, length: length, dHead: dHead,
            causal: causal, scale: scale, queryPositions: queryPositions, window: window, softcap: softcap,
            pattern: &pattern, patternOffset: patternOffset, patternBatchStride: patternBatchStride,
            z: &z, zOperand)
    }

    /// `out[outSlice] = z[zSlice] · W_O[head]` (`[rows, dHead] · [dHead, dModel]`, no bias): the head's result, the
    /// graph's sender `a{L}.{H}` (TransformerLens `hook_result`). With `accumulate` it is added to `out` instead.
    public func headOutput(
        _ z: Tensor, _ zSlice: MatrixSlice, head: Int, into out: inout Tensor, _ outSlice: MatrixSlice,
        accumulate: Bool = false, log: inout MatrixProductLog
    ) {
        log.gemm(z, zSlice, weights.outWeight, MatrixSlice(offset: head * dHead * dModel, rows: dHead, cols: dModel),
                 into: &out, outSlice, beta: accumulate ? 1 : 0)
    }

    /// `[rows, dModel]`: the attention sublayer's output from every head's z (`[rows, nHeads·dHead]`): Σ_h z_h·W_O[h]
    /// plus b_O, then Gemma 2's post-attention norm (`normed` is its scratch, `[rows, dModel]`).
    public func attentionOutput(
        _ z: Tensor, rows: Int, into out: inout Tensor, normed: inout Tensor, log: inout MatrixProductLog
    ) {
        let slice = MatrixSlice(offset: 0, rows: rows, cols: dModel)
        let bias = weights.outBias.count > 0
        if bias { out.broadcastRows(weights.outBias, into: slice) }
        log.gemm(z, MatrixSlice(offset: 0, rows: rows, cols: layout.headsWidth), weights.outWeight,
                 MatrixSlice(weights.outWeight), into: &out, slice, beta: bias ? 1 : 0)
        if let postAttentionNorm {
            postAttentionNorm.apply(out, rows: rows, into: &normed)
            out.copy(from: normed, range: 0..<(rows * dModel), otherOffset: 0)
        }
    }
}
