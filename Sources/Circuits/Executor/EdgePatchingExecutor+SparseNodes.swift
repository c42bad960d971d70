import Tensor
import Transformer

/// The nodes a sparse test recomputes: a head from its three inputs (each recomputed, kept by the state, the clean
/// run's, or the source's when severed), an MLP from its input, and the logits at the read rows. Every computation
/// has fixed shapes, so a node's value depends only on its inputs (see `EdgePatchingExecutor+SparseInputs`).
extension EdgePatchingExecutor {
    /// Where a head input's q, k or v is read from: `[rows, *]` buffer, first column and row stride.
    private func headInputOperand(
        _ receiver: NodeID, head: Int, input: HeadInput, layer: Int, test: SparseTest
    ) -> (Tensor, Attention.Operand) {
        let ordinal = graph.receiverOrdinal(receiver)
        let dh = model.config.dHead, width = model.config.dAttention
        if test.severed[ordinal] {
            return ([patchQ, patchK, patchV][input.index][layer], .init(offset: head * dh, rowStride: width))
        }
        if let row = test.inputRow[ordinal] ?? sparse.inputRow[ordinal] {
            return (inputRows.rows[row], .init(offset: 0, rowStride: dh))
        }
        return ([cleanQ, cleanK, cleanV][input.index][layer], .init(offset: head * dh, rowStride: width))
    }

    /// Recomputes head `head` of `block` into a new row of `senderRows` (live − patch); in the last layer only at
    /// the read rows (see `lastLayerRows`).
    mutating func recomputeHead(_ block: TransformerBlock, head: Int, test: inout SparseTest) {
        let layer = block.layer
        let dh = block.dHead, d = block.dModel, T = batch.length
        let s = graph.headSender(layer: layer, head: head).rawValue
        let (q, qo) = headInputOperand(graph.headInputReceiver(layer: layer, head: head, input: .q),
                                       head: head, input: .q, layer: layer, test: test)
        let (k, ko) = headInputOperand(graph.headInputReceiver(layer: layer, head: head, input: .k),
                                       head: head, input: .k, layer: layer, test: test)
        let (v, vo) = headInputOperand(graph.headInputReceiver(layer: layer, head: head, input: .v),
                                       head: head, input: .v, layer: layer, test: test)
        let row = senderRows.take()
        let w = senderWidth
        if let active = lastLayerRows(layer) {
            for b in 0..<batch.batch {
                let first = b * T
                block.attend(
                    q: q, .init(offset: qo.offset + first * qo.rowStride, rowStride: qo.rowStride),
                    k: k, .init(offset: ko.offset + first * ko.rowStride, rowStride: ko.rowStride),
                    v: v, .init(offset: vo.offset + first * vo.rowStride, rowStride: vo.rowStride),
                    batch: 1, length: T, queryPositions: activePositions[b], pattern: &scratch.pattern,
                    patternOffset: nil, z: &scratch.z, .init(offset: first * dh, rowStride: dh))
            }
            for (i, r) in active.enumerated() {
                scratch.compactZ.copy(from: scratch.z, range: (i * dh)..<((i + 1) * dh), otherOffset: r * dh)
            }
            block.headOutput(scratch.compactZ, MatrixSlice(offset: 0, rows: active.count, cols: dh), head: head,
                             into: &scratch.compactOut, MatrixSlice(offset: 0, rows: active.count, cols: d),
                             log: &productLog)
            for (i, r) in active.enumerated() {
                senderRows.rows[row].setDifference(scratch.compactOut, aOffset: i * d, patch, bOffset: s * w + r * d,
                                                   count: d, offset: r * d)
            }
            test.flops += attentionFLOPs(queries: activePositions, dHead: dh) + Double(active.count * d)
                + 2 * Double(active.count * dh * d)
        } else {
            block.attend(q: q, qo, k: k, ko, v: v, vo, batch: batch.batch, length: T, pattern: &scratch.pattern,
                         patternOffset: nil, z: &scratch.z, .init(offset: 0, rowStride: dh))
            block.headOutput(scratch.z, MatrixSlice(offset: 0, rows: batch.rows, cols: dh), head: head,
                             into: &scratch.out, MatrixSlice(offset: 0, rows: batch.rows, cols: d), log: &productLog)
            senderRows.rows[row].setDifference(scratch.out, aOffset: 0, patch, bOffset: s * w, count: w, offset: 0)
            test.flops += attentionFLOPs(queries: nil, dHead: dh) + Double(w) + 2 * Double(batch.rows * dh * d)
        }
        test.senderRow[s] = row
        test.senders.append(s)
    }

    /// Recomputes MLP `block.layer` from its input (formed in the first sum slot) into a new row of `senderRows`;
    /// in the last layer only at the read rows.
    mutating func recomputeMLP(_ block: TransformerBlock, test: inout SparseTest) {
        guard let receiver = graph.mlpInputReceiver(layer: block.layer),
              let sender = graph.mlpSender(layer: block.layer) else { return }
        let s = sender.rawValue, d = block.dModel, w = senderWidth
        let active = lastLayerRows(block.layer)
        let sum = inputSum(receiver, test: test)
        evaluateSums([sum], rows: active, test: &test)
        let row = senderRows.take()
        if let active {
            let n = active.count
            block.mlp(scratch.corrections, rows: n, scratch: &scratch.compactMLP, into: &scratch.compactOut,
                      log: &productLog)
            for (i, r) in active.enumerated() {
                senderRows.rows[row].setDifference(scratch.compactOut, aOffset: i * d, patch, bOffset: s * w + r * d,
                                                   count: d, offset: r * d)
            }
            test.flops += mlpFLOPs(rows: n) + Double(n * d)
        } else {
            block.mlp(scratch.corrections, rows: batch.rows, scratch: &scratch.mlp, into: &scratch.out,
                      log: &productLog)
            senderRows.rows[row].setDifference(scratch.out, aOffset: 0, patch, bOffset: s * w, count: w, offset: 0)
            test.flops += mlpFLOPs(rows: batch.rows) + Double(w)
        }
        test.senderRow[s] = row
        test.senders.append(s)
    }

    /// The token row of every read position, in the order of the logits: prompt by prompt, its read positions.
    var readRows: [Int] {
        readPositions.enumerated().flatMap { b, positions in positions.map { b * batch.length + $0 } }
    }

    /// `[batch, readPositions, dVocabOut]`: resid_post's input at the read rows, the final normalisation and the
    /// unembedding, into a tensor of its own (the state keeps its logits while a test's are pending): the spare
    /// buffer when there is one.
    mutating func recomputeLogits(test: inout SparseTest) -> Tensor {
        let c = model.config
        let rows = readRows
        let sum = inputSum(graph.residPost, test: test)
        evaluateSums([sum], rows: rows, test: &test)
        model.unembedding.norm.apply(scratch.corrections, rows: rows.count, into: &scratch.finalNormed)
        var logits = spareLogits.map { $0.reshaped([rows.count, c.dVocabOut]) } ?? Tensor(shape: [rows.count, c.dVocabOut])
        spareLogits = nil
        model.unembedding.project(scratch.finalNormed, rows: rows.count, into: &logits, log: &productLog)
        test.flops += 2 * Double(rows.count * c.dModel * c.dVocabOut)
        return logits.reshaped([batch.batch, readPositions.first?.count ?? 0, c.dVocabOut])
    }

    // MARK: FLOPs

    /// Attention of one head over the batch: 4·dHead per query–key pair (scores and mixing), at the query positions
    /// `queries` per prompt (all when nil).
    func attentionFLOPs(queries: [[Int]]?, dHead: Int) -> Double {
        let T = batch.length
        let causal = model.config.causal
        func keys(_ i: Int) -> Int { causal ? i + 1 : T }
        let pairs: Int
        if let queries {
            pairs = queries.reduce(0) { n, positions in n + positions.reduce(0) { $0 + keys($1) } }
        } else {
            pairs = batch.batch * (0..<T).reduce(0) { $0 + keys($1) }
        }
        return 4 * Double(pairs * dHead)
    }

    /// One MLP over `rows` rows: its input and output projections (gated: gate, up and down).
    func mlpFLOPs(rows: Int) -> Double {
        let c = model.config
        return 2 * Double(rows * c.dModel * c.dMLP) * (c.gatedMLP ? 3 : 2)
    }
}
