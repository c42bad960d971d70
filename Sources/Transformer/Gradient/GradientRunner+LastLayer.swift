import Tensor

/// The last layer at the read rows only. Nothing reads the last layer's outputs but the final residual stream at the
/// read rows, so its queries, z, head outputs and MLP are computed there alone (its keys and values at every
/// position, which the read queries attend to) — as the edge-patching executor does (`lastLayerRows`). The backward
/// mirrors it (`GradientRunner+Backward`).
extension GradientRunner {
    /// The last layer from the residual stream in `resid` (already in `t.input`), leaving the final residual stream
    /// at the read rows in `compactResid` (`[readRows, dModel]`, in the order of `readRows`).
    mutating func lastLayer(
        _ block: TransformerBlock, batch: TokenBatch, positions: [[Int]], readRows: [Int], tape t: inout BlockTape,
        replacing: OutputReplacement?, senders: inout Tensor, layout: SenderLayout, recording: SenderRecording?
    ) {
        let rows = batch.rows, d = block.dModel, k = readRows.count
        let width = rows * d
        t.compactRows = readRows
        compactResid.resize(to: [k, d])
        compactIn.resize(to: [k, d])
        if case .heads(block.layer, let values)? = replacing {
            t.headsReplaced = true
            var gathered = Tensor(shape: [block.nHeads, k * d])
            for h in 0..<block.nHeads {
                for (i, row) in readRows.enumerated() {
                    gathered.copy(from: values, range: (h * k * d + i * d)..<(h * k * d + (i + 1) * d),
                                  otherOffset: h * width + row * d)
                }
            }
            block.attentionOutput(summing: gathered, rows: k, preNorm: &t.attentionPreNorm, into: &blockOut)
        } else {
            t.headsReplaced = false
            compactAttention(block, batch: batch, positions: positions, readRows: readRows, tape: &t,
                             senders: &senders, layout: layout, recording: recording)
        }
        for (i, row) in readRows.enumerated() {
            compactResid.copy(from: resid, range: (i * d)..<((i + 1) * d), otherOffset: row * d)
        }
        if block.parallelResidual {
            for (i, row) in readRows.enumerated() {
                compactIn.copy(from: t.input, range: (i * d)..<((i + 1) * d), otherOffset: row * d)
            }
        }
        compactResid.add(blockOut, range: 0..<(k * d), otherOffset: 0)
        guard block.hasMLP else { return }
        if !block.parallelResidual { compactIn.copy(from: compactResid, range: 0..<(k * d), otherOffset: 0) }
        t.mlpInput.resize(to: [k, d])
        t.mlpInput.copy(from: compactIn, range: 0..<(k * d), otherOffset: 0)
        if case .mlp(block.layer, let values)? = replacing {
            t.mlpReplaced = true
            for (i, row) in readRows.enumerated() {
                blockOut.copy(from: values, range: (i * d)..<((i + 1) * d), otherOffset: row * d)
            }
        } else {
            t.mlpReplaced = false
            block.mlp(t.mlpInput, rows: k, scratch: &mlpScratch, keepingPreActivation: &t.mlpPreActivation,
                      preNorm: &t.mlpPreNorm, into: &blockOut, log: &log)
            if let recording, let row = layout.mlp(layer: block.layer) {
                recordRows(blockOut, into: &senders, row: row, rows: readRows, width: width, recording)
            }
        }
        compactResid.add(blockOut, range: 0..<(k * d), otherOffset: 0)
    }

    /// Attention with queries at the read rows: q, k, v at every row (kept), z and the heads' outputs at the read
    /// rows, their sum (with b_O, Gemma 2's post-norm) in `blockOut[0 ..< readRows]`.
    private mutating func compactAttention(
        _ block: TransformerBlock, batch: TokenBatch, positions: [[Int]], readRows: [Int], tape t: inout BlockTape,
        senders: inout Tensor, layout: SenderLayout, recording: SenderRecording?
    ) {
        let rows = batch.rows, d = block.dModel, k = readRows.count, T = batch.length
        let heads = block.layout
        block.attentionNorm.apply(t.input, rows: rows, into: &normed)
        if t.qkv.count != rows * heads.activationWidth { t.qkv.resize(to: [rows, heads.activationWidth]) }
        block.projectHeadInputs(normed, rows: rows, positions: RowPositions(length: T), into: &t.qkv,
                                grouped: &grouped, log: &log)
        let stride = heads.activationWidth
        for b in 0..<batch.batch {
            let queries = Array(Set(positions[b])).sorted()
            let base = b * T * stride
            for h in 0..<block.nHeads {
                block.attend(
                    q: t.qkv, .init(offset: base + heads.activationColumn(.q, head: h), rowStride: stride),
                    k: t.qkv, .init(offset: base + heads.activationColumn(.k, head: h), rowStride: stride),
                    v: t.qkv, .init(offset: base + heads.activationColumn(.v, head: h), rowStride: stride),
                    batch: 1, length: T, queryPositions: queries, pattern: &pattern, patternOffset: nil,
                    z: &z, .init(offset: b * T * heads.headsWidth + h * block.dHead, rowStride: heads.headsWidth))
            }
        }
        let zWidth = heads.headsWidth
        compactZ.resize(to: [k, zWidth])
        for (i, row) in readRows.enumerated() {
            compactZ.copy(from: z, range: (i * zWidth)..<((i + 1) * zWidth), otherOffset: row * zWidth)
        }
        guard recording != nil || block.postAttentionNorm != nil else {
            block.attentionOutput(compactZ, rows: k, into: &blockOut, normed: &normed, log: &log)
            return
        }
        block.startAttentionOutput(rows: k, into: &blockOut)
        for h in 0..<block.nHeads {
            block.headOutput(compactZ, MatrixSlice(offset: h * block.dHead, rows: k, cols: block.dHead, rowStride: zWidth),
                             head: h, into: &senderOut, MatrixSlice(offset: 0, rows: k, cols: d), log: &log)
            blockOut.add(senderOut, range: 0..<(k * d), otherOffset: 0)
            if let recording {
                recordRows(senderOut, into: &senders, row: layout.head(layer: block.layer, head: h), rows: readRows,
                           width: rows * d, recording)
            }
        }
        block.applyPostAttentionNorm(rows: k, preNorm: &t.attentionPreNorm, to: &blockOut)
    }

    /// Writes the compact `output` (row i for token row `rows[i]`) into sender `row` of the store; `.assign` zeroes
    /// the other rows first.
    private func recordRows(
        _ output: Tensor, into senders: inout Tensor, row: Int, rows: [Int], width: Int, _ recording: SenderRecording
    ) {
        let d = model.config.dModel
        if recording == .assign || recording == .assignKeepingZ { senders.zero((row * width)..<((row + 1) * width)) }
        for (i, r) in rows.enumerated() {
            let at = row * width + r * d
            switch recording {
            case .assign, .assignKeepingZ: senders.copy(from: output, range: at..<(at + d), otherOffset: i * d)
            case .differenceFrom: senders.subtract(fromValues: output, otherOffset: i * d, count: d, offset: at)
            case .subtract: senders.add(output, scaledBy: -1, range: at..<(at + d), otherOffset: i * d)
            }
        }
    }
}
