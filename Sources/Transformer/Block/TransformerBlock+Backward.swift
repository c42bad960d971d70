import Tensor

/// The scratch one block's backward needs, sized for a number of rows and reused between layers and passes.
public struct BlockBackwardScratch: Sendable {
    /// `[rows, dModel]`: an output gradient taken back through a post-norm (Gemma 2).
    var dOut: Tensor
    /// `[rows, nHeads·dHead]`: ∂L/∂z of every head.
    var dZ: Tensor
    /// `[rows, 3·nHeads·dHead]`: ∂L/∂q, ∂L/∂k, ∂L/∂v of every head (ungrouped layout), before and after rotary.
    var dQKV: Tensor
    /// `[rows, dMLP]`: ∂L/∂(MLP hidden layer).
    var dHidden: Tensor
    /// `[rows, dMLP]` (gated `[rows, 2·dMLP]`): ∂L/∂(MLP input projection).
    var dPre: Tensor
    /// `[rows, 3·nHeads·dHead]`: ∂L/∂(q, k, v) scaled by norm₁'s rstd per row (`ProjectedNormBackward`).
    var scaledDQKV: Tensor
    /// `[dModel, (nHeads + 2·nKVHeads)·dHead]`: the fused projection's weights scaled by norm₁'s γ per row.
    var scaledWeight = Tensor(shape: [0])

    public init(config c: ModelConfig, rows: Int) {
        dOut = Tensor(shape: [rows, c.dModel])
        dZ = Tensor(shape: [rows, c.dAttention])
        dQKV = Tensor(shape: [rows, 3 * c.dAttention])
        dHidden = Tensor(shape: [rows, c.hasMLP ? c.dMLP : 0])
        dPre = Tensor(shape: [rows, c.hasMLP ? (c.gatedMLP ? 2 : 1) * c.dMLP : 0])
        scaledDQKV = Tensor(shape: [rows, 3 * c.dAttention])
    }

    /// Floats held for `rows` rows.
    public static func floatCount(config c: ModelConfig, rows: Int) -> Int {
        rows * (c.dModel + 7 * c.dAttention + (c.hasMLP ? (c.gatedMLP ? 3 : 2) * c.dMLP : 0))
            + c.dModel * (c.nHeads + 2 * c.nKVHeads) * c.dHead
    }
}

/// One block's backward beside its forward (llm.c's `*_backward`): the gradient of a scalar L with respect to each
/// of the block's receivers — every head's q, k and v input and the MLP input, each its own copy of the residual
/// stream before its normalisation, as TransformerLens's split-qkv hooks see them — from ∂L/∂(sublayer output).
/// Products go through BLAS, only input gradients are formed (no weight gradients).
extension TransformerBlock {
    /// The MLP input's gradient (`hook_mlp_in`): from `dOut` = ∂L/∂(MLP output) (`[rows, dModel]`, after Gemma
    /// 2's post-MLP norm), back through the output projection, the activation (plain or gated), the input
    /// projection and `norm₂`, into `gradients[offset ..< offset + rows·dModel]`.
    ///
    /// - Parameters:
    ///   - input: the MLP's input rows (resid_mid, or resid_pre under a parallel residual).
    public func mlpBackward(
        _ dOut: Tensor, input: Tensor, tape: BlockTape, rows: Int, scratch: inout BlockBackwardScratch,
        into gradients: inout Tensor, offset: Int, log: inout MatrixProductLog
    ) {
        let outSlice = MatrixSlice(offset: 0, rows: rows, cols: dModel)
        var upstream = dOut
        if let postMLPNorm {
            scratch.dOut.copy(from: dOut, range: 0..<(rows * dModel), otherOffset: 0)
            let stats = postMLPNorm.statistics(tape.mlpPreNorm, rows: rows)
            postMLPNorm.backward(&scratch.dOut, rows: rows, input: tape.mlpPreNorm, statistics: stats)
            upstream = scratch.dOut
        }
        // dHidden = dOut · W_outᵀ.
        log.gemm(upstream, outSlice, weights.mlpOutWeight, MatrixSlice(weights.mlpOutWeight), transposeB: true,
                 into: &scratch.dHidden, MatrixSlice(offset: 0, rows: rows, cols: dMLP))
        let inWidth = gated ? 2 * dMLP : dMLP
        if gated {
            scratch.dPre.gatedActivationBackward(activation, gateUp: tape.mlpPreActivation, hidden: scratch.dHidden,
                                                 rows: rows, width: dMLP)
        } else {
            scratch.dHidden.multiplyByDerivative(of: activation, at: tape.mlpPreActivation, count: rows * dMLP)
        }
        // d normed = dPre · W_inᵀ, then norm₂'s backward in place.
        log.gemm(gated ? scratch.dPre : scratch.dHidden, MatrixSlice(offset: 0, rows: rows, cols: inWidth),
                 weights.mlpInWeight, MatrixSlice(weights.mlpInWeight), transposeB: true,
                 into: &gradients, MatrixSlice(offset: offset, rows: rows, cols: dModel))
        let stats = mlpNorm.statistics(input, rows: rows)
        mlpNorm.backward(&gradients, offset: offset, rows: rows, input: input, statistics: stats)
    }

    /// Every head input's gradient (`hook_{q,k,v}_input[:, :, h]`): from `dOut` = ∂L/∂(attention sublayer output)
    /// (`[rows, dModel]`, after Gemma 2's post-attention norm) through W_O, attention (pattern recomputed),
    /// rotary (rotation by −angle), the head's own q, k or v projection (its key/value head's weights under
    /// grouping) and its own copy of `norm₁`. Head h's input j (q 0, k 1, v 2) goes to
    /// `gradients[base + (3h + j)·rows·dModel ..< base + (3h + j + 1)·rows·dModel]`, the order of the graph's receivers, and each
    /// is also added to `residual` (`[rows, dModel]`), the gradient of the block's input. (`base` offsets all of them.)
    ///
    /// With `queries` (per prompt, the query positions that carry a gradient) the layer was computed at those rows
    /// only: `dOut` then holds the rows `readRows` alone, in that order, and the tape's post-norm input likewise.
    public func headInputsBackward(
        _ dOut: Tensor, tape: BlockTape, batch: Int, length: Int, queries: [[Int]]? = nil, readRows: [Int]? = nil,
        scratch: inout BlockBackwardScratch, into gradients: inout Tensor, offset base: Int = 0,
        adding residual: inout Tensor, log: inout MatrixProductLog
    ) {
        let rows = batch * length
        let width = rows * dModel
        let outRows = readRows?.count ?? rows
        var upstream = dOut
        if let postAttentionNorm {
            scratch.dOut.copy(from: dOut, range: 0..<(outRows * dModel), otherOffset: 0)
            let stats = postAttentionNorm.statistics(tape.attentionPreNorm, rows: outRows)
            postAttentionNorm.backward(&scratch.dOut, rows: outRows, input: tape.attentionPreNorm, statistics: stats)
            upstream = scratch.dOut
        }
        // dZ = dOut · W_Oᵀ for every head at once (each head's output is added to the same residual).
        let zWidth = layout.headsWidth
        if let readRows {
            var compact = Tensor(shape: [outRows, zWidth])
            log.gemm(upstream, MatrixSlice(offset: 0, rows: outRows, cols: dModel), weights.outWeight,
                     MatrixSlice(weights.outWeight), transposeB: true,
                     into: &compact, MatrixSlice(offset: 0, rows: outRows, cols: zWidth))
            scratch.dZ.zero(0..<(rows * zWidth))
            for (i, row) in readRows.enumerated() {
                scratch.dZ.add(compact, range: (row * zWidth)..<((row + 1) * zWidth), otherOffset: i * zWidth)
            }
        } else {
            log.gemm(upstream, MatrixSlice(offset: 0, rows: rows, cols: dModel), weights.outWeight,
                     MatrixSlice(weights.outWeight), transposeB: true,
                     into: &scratch.dZ, MatrixSlice(offset: 0, rows: rows, cols: zWidth))
        }
        let stride = layout.activationWidth
        for b in 0..<(queries == nil ? 1 : batch) {
            // Per prompt when only some queries carry a gradient; the whole batch at once otherwise.
            let base = queries == nil ? 0 : b * length * stride
            let zBase = queries == nil ? 0 : b * length * zWidth
            let prompts = queries == nil ? batch : 1
            let positions = queries.map { Array(Set($0[b])).sorted() }
            for h in 0..<nHeads {
                func operand(_ input: HeadInput) -> Attention.Operand {
                    .init(offset: base + layout.activationColumn(input, head: h), rowStride: stride)
                }
                Attention.headBackward(
                    q: tape.qkv, operand(.q), k: tape.qkv, operand(.k), v: tape.qkv, operand(.v),
                    dz: scratch.dZ, .init(offset: zBase + h * dHead, rowStride: zWidth),
                    batch: prompts, length: length, dHead: dHead, causal: causal, scale: scale,
                    queryPositions: positions, window: window, softcap: softcap,
                    into: &scratch.dQKV, dq: operand(.q), dk: operand(.k), dv: operand(.v))
            }
        }
        // Receivers in the order of their gradient slots: head h's input j at slot 3h + j.
        let slots = (0..<nHeads).flatMap { h in HeadInput.allCases.map { (input: $0, head: h) } }
        let projected = attentionNorm.kind != .none
        // ⟨dq, q⟩ per receiver and row, taken before the inverse rotation (a rotation keeps dot products).
        let rotated = projected
            ? ProjectedNormBackward.blockDots(
                scratch.dQKV, stride: stride, tape.qkv, stride: stride,
                blocks: slots.map { (layout.activationColumn($0.input, head: $0.head), layout.activationColumn($0.input, head: $0.head)) },
                width: dHead, rows: rows)
            : []
        if let rotary {
            for input in [HeadInput.q, .k] {
                Rotary.applyInverse(&scratch.dQKV, offset: layout.activationColumn(input, head: 0), rowStride: stride,
                                    rows: rows, heads: nHeads, headStride: dHead, dims: rotary.dims,
                                    cos: rotary.cos, sin: rotary.sin, positions: RowPositions(length: length))
            }
        }
        if projected {
            projectedNormBackward(slots: slots, rotated: rotated, tape: tape, rows: rows, scratch: &scratch,
                                  into: &gradients, offset: base, log: &log)
        } else {
            // No normalisation: each receiver's gradient is its product alone.
            for (i, slot) in slots.enumerated() {
                let offset = base + i * width
                log.gemm(scratch.dQKV, MatrixSlice(offset: layout.activationColumn(slot.input, head: slot.head),
                                                   rows: rows, cols: dHead, rowStride: stride),
                         weights.qkvWeight, MatrixSlice(offset: layout.weightColumn(slot.input, head: slot.head),
                                                        rows: dModel, cols: dHead, rowStride: layout.weightWidth),
                         transposeB: true, into: &gradients, MatrixSlice(offset: offset, rows: rows, cols: dModel))
            }
        }
        // The block input's gradient gets every receiver's, in slot order, in one pass (measured faster than
        // adding each while it is fresh in the cache, which made every pass over a receiver a longer one).
        ProjectedNormBackward.addBlocks(gradients, offset: base, count: slots.count, blockSize: width, rows: rows,
                                        width: dModel, to: &residual)
    }

    /// norm₁'s backward for every head input at once (`ProjectedNormBackward`): per receiver the part outside the
    /// product is written first, then the product (rstd·dq)·(γ ⊙ W)ᵀ is added to it. `rotated`: ⟨dq, q⟩ per row
    /// and slot; `scratch.dQKV` holds dq unrotated.
    private func projectedNormBackward(
        slots: [(input: HeadInput, head: Int)], rotated: [Float], tape: BlockTape, rows: Int,
        scratch: inout BlockBackwardScratch, into gradients: inout Tensor, offset base: Int,
        log: inout MatrixProductLog
    ) {
        let width = rows * dModel, stride = layout.activationWidth, weightWidth = layout.weightWidth
        let norm = attentionNorm
        let stats = norm.statistics(tape.input, rows: rows)
        let centred = norm.kind == .layerNorm
        // Per weight column: Wᵀγ (for m₁) and c = Wᵀβ + b, the projection's constant part (for m₂).
        let whole = MatrixSlice(offset: 0, rows: dModel, cols: weightWidth)
        var gammaW = Tensor(shape: [1, weightWidth]), constant = Tensor(shape: [1, weightWidth])
        if centred {
            BLAS.gemm(norm.weight, MatrixSlice(offset: 0, rows: 1, cols: dModel), weights.qkvWeight, whole,
                      into: &gammaW, MatrixSlice(offset: 0, rows: 1, cols: weightWidth))
        }
        if weights.qkvBias.count > 0 { constant.copy(from: weights.qkvBias, range: 0..<weightWidth, otherOffset: 0) }
        if norm.bias.count > 0 {
            BLAS.gemm(norm.bias, MatrixSlice(offset: 0, rows: 1, cols: dModel), weights.qkvWeight, whole,
                      into: &constant, MatrixSlice(offset: 0, rows: 1, cols: weightWidth), beta: 1)
        }
        let blocks = slots.map { (layout.activationColumn($0.input, head: $0.head), layout.weightColumn($0.input, head: $0.head)) }
        let first = centred
            ? ProjectedNormBackward.blockDots(scratch.dQKV, stride: stride, gammaW, stride: 0, blocks: blocks,
                                              width: dHead, rows: rows)
            : []
        var second = ProjectedNormBackward.blockDots(scratch.dQKV, stride: stride, constant, stride: 0, blocks: blocks,
                                                     width: dHead, rows: rows)
        for i in second.indices { second[i] = rotated[i] - second[i] }
        ProjectedNormBackward.scaledRows(scratch.dQKV, rows: rows, width: stride, scale: stats.rstd, into: &scratch.scaledDQKV)
        ProjectedNormBackward.scaledWeight(weights.qkvWeight, scale: norm.weight, into: &scratch.scaledWeight)
        for i in slots.indices {
            let offset = base + i * width
            ProjectedNormBackward.writeOuterPart(
                into: &gradients, offset: offset, rows: rows, width: dModel, input: tape.input, statistics: stats,
                centred: centred, first: first, second: second, moment: i, momentStride: slots.count)
            log.gemm(scratch.scaledDQKV, MatrixSlice(offset: blocks[i].0, rows: rows, cols: dHead, rowStride: stride),
                     scratch.scaledWeight, MatrixSlice(offset: blocks[i].1, rows: dModel, cols: dHead, rowStride: weightWidth),
                     transposeB: true, into: &gradients, MatrixSlice(offset: offset, rows: rows, cols: dModel), beta: 1)
        }
    }
}
