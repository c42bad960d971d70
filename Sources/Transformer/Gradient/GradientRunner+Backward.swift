import Tensor

/// The gradients a backward pass hands out, from the output down, for every receiver of the circuit graph.
public enum ReceiverGradients {
    /// ∂L/∂(final residual stream) (the graph's `resid_post`, before the final normalisation) at the read rows:
    /// `[readRows, dModel]`, row i for token row `rows[i]`; zero at every other row.
    case final(Tensor, rows: [Int])
    /// The receivers of `count` layers, `upper`, `upper − 1`, …: `[count·R, rows·dModel]` with
    /// R = 3·nHeads + (hasMLP ? 1 : 0) receivers per layer; row i·R + 3h + j holds layer (upper − i)'s head h input j
    /// (q 0, k 1, v 2), row i·R + R − 1 its MLP's input — the graph's receiver order within a layer. The backward
    /// hands out two layers at a time (one for the lowest of an odd count), so that a reduction against the senders
    /// before both reads each sender once for the two (`ScoreAccumulator`).
    case layers(upper: Int, count: Int, Tensor)

    /// Each layer's receivers as its own `[R, rows·dModel]` tensor (copies; for tests and sums).
    public var perLayer: [(layer: Int, gradients: Tensor)] {
        guard case let .layers(upper, count, g) = self else { return [] }
        let size = g.count / count
        return (0..<count).map { i in
            (upper - i, Tensor(shape: [g.shape[0] / count, g.count / g.shape[0]],
                               scalars: Array(g.scalars[(i * size)..<((i + 1) * size)])))
        }
    }
}

extension GradientRunner {
    /// The backward pass of the forward that filled `tape`: from ∂L/∂logits at the read rows to the gradient of
    /// every receiver, handed to `visit` as it is formed (the final residual first, then layers from the last
    /// down), so that a caller can reduce each layer's gradients before the next overwrites them.
    ///
    /// Each receiver gets its own gradient, not the residual stream's: a head's q input is its own copy of
    /// resid_pre normalised by its own `norm₁`, so ∂L/∂x_{a.h.q} flows only through head h's query
    /// (TransformerLens `use_split_qkv_input`; under grouped-query attention, per query head). A replaced
    /// component (`OutputReplacement`) passes nothing to its inputs: their rows are zero.
    ///
    /// - Parameters:
    ///   - logitGradient: `[readRows, dVocabOut]` (or `[batch, reads, dVocabOut]`), ∂L/∂logits in the tape's
    ///     read-row order.
    public mutating func backward(
        _ tape: ForwardTape, logitGradient: Tensor, visit: (ReceiverGradients) -> Void
    ) {
        let c = model.config
        let rows = tape.batch * tape.length, d = c.dModel, width = rows * d
        let reads = tape.readRows.count
        precondition(tape.layers.count == c.nLayers && logitGradient.count == reads * c.dVocabOut,
                     "GradientRunner.backward: a tape of \(tape.layers.count) layers, \(logitGradient.count) gradients")
        if backwardScratch.dOut.count != width { backwardScratch = BlockBackwardScratch(config: c, rows: rows) }
        let receivers = 3 * c.nHeads + (c.hasMLP ? 1 : 0)
        // Two layers' slots: from the top, layers go to slots 0, 1, 0, 1, …, and are handed out after each slot 1
        // (and after a lowest layer left alone in slot 0).
        receiverGradients.resize(to: [2 * receivers, width])
        dResid.resize(to: [rows, d])
        dResid.fill(0)

        var final = Tensor(shape: [reads, d])
        model.unembedding.backward(logitGradient.reshaped([reads, c.dVocabOut]), logits: tape.logits,
                                   input: tape.finalInput, rows: reads, into: &final, log: &log)
        visit(.final(final, rows: tape.readRows))
        for (i, row) in tape.readRows.enumerated() {
            dResid.add(final, range: (row * d)..<((row + 1) * d), otherOffset: i * d)
        }

        for layer in stride(from: c.nLayers - 1, through: 0, by: -1) {
            let block = model.blocks[layer]
            let t = tape.layers[layer]
            let slot = (c.nLayers - 1 - layer) % 2
            let base = slot * receivers * width
            let mlpRow = base + 3 * c.nHeads * width
            defer {
                if slot == 1 {
                    visit(.layers(upper: layer + 1, count: 2, receiverGradients))
                } else if layer == 0 {
                    // An odd count leaves the lowest layer alone: handed out as a tensor of its own.
                    let alone = Array(receiverGradients.scalars[0..<(receivers * width)])
                    visit(.layers(upper: 0, count: 1, Tensor(shape: [receivers, width], scalars: alone)))
                }
            }
            if let rows = t.compactRows {
                compactLayerBackward(block, tape: t, rows: rows, batch: tape.batch, length: tape.length, base: base)
                continue
            }
            if block.hasMLP {
                if t.mlpReplaced {
                    receiverGradients.zero(mlpRow..<(mlpRow + width))
                } else {
                    block.mlpBackward(dResid, input: block.parallelResidual ? t.input : t.mlpInput, tape: t,
                                      rows: rows, scratch: &backwardScratch, into: &receiverGradients,
                                      offset: mlpRow, log: &log)
                }
                // Sequential: dResid becomes ∂L/∂resid_mid, which the heads' output joins.
                if !block.parallelResidual { dResid.add(receiverGradients, range: 0..<width, otherOffset: mlpRow) }
            }
            if t.headsReplaced {
                receiverGradients.zero(base..<mlpRow)
            } else {
                block.headInputsBackward(dResid, tape: t, batch: tape.batch, length: tape.length,
                                         scratch: &backwardScratch, into: &receiverGradients, offset: base,
                                         adding: &dResid, log: &log)
            }
            // Parallel residual: the MLP read resid_pre too.
            if block.hasMLP && block.parallelResidual {
                dResid.add(receiverGradients, range: 0..<width, otherOffset: mlpRow)
            }
        }
    }

    /// The backward of a layer computed at the read rows only (`GradientRunner+LastLayer`): ∂L/∂(residual) is zero
    /// elsewhere, so the MLP's backward runs on those rows, and the heads' from their queries there.
    mutating func compactLayerBackward(
        _ block: TransformerBlock, tape t: BlockTape, rows readRows: [Int], batch: Int, length: Int, base: Int
    ) {
        let d = block.dModel, k = readRows.count, width = batch * length * d
        let mlpRow = base + 3 * block.nHeads * width
        var upstream = Tensor(shape: [k, d])
        for (i, row) in readRows.enumerated() {
            upstream.copy(from: dResid, range: (i * d)..<((i + 1) * d), otherOffset: row * d)
        }
        var mlpGradient = Tensor(shape: [k, d])
        if block.hasMLP {
            receiverGradients.zero(mlpRow..<(mlpRow + width))
            if !t.mlpReplaced {
                block.mlpBackward(upstream, input: t.mlpInput, tape: t, rows: k, scratch: &backwardScratch,
                                  into: &mlpGradient, offset: 0, log: &log)
                for (i, row) in readRows.enumerated() {
                    receiverGradients.add(mlpGradient, range: (mlpRow + row * d)..<(mlpRow + (row + 1) * d), otherOffset: i * d)
                }
            }
        }
        // Sequential: the heads' output gradient is resid_mid's, ∂L/∂resid_post + the MLP input's.
        if block.hasMLP && !block.parallelResidual {
            upstream.add(mlpGradient)
            for (i, row) in readRows.enumerated() {
                dResid.add(mlpGradient, range: (row * d)..<((row + 1) * d), otherOffset: i * d)
            }
        }
        if t.headsReplaced {
            receiverGradients.zero(base..<mlpRow)
        } else {
            var queries = [[Int]](repeating: [], count: batch)
            for row in readRows { queries[row / length].append(row % length) }
            block.headInputsBackward(upstream, tape: t, batch: batch, length: length, queries: queries, readRows: readRows,
                                     scratch: &backwardScratch, into: &receiverGradients, offset: base, adding: &dResid,
                                     log: &log)
        }
        if block.hasMLP && block.parallelResidual {
            for (i, row) in readRows.enumerated() {
                dResid.add(mlpGradient, range: (row * d)..<((row + 1) * d), otherOffset: i * d)
            }
        }
    }

    /// Bytes a forward with tape and a backward hold for `rows` token rows and `reads` read rows, beyond the model:
    /// the tape, the forward's scratch (with the z kept for a difference pass) and the backward's, and two layers'
    /// receiver gradients.
    public static func estimatedBytes(config c: ModelConfig, rows: Int, reads: Int) -> Int {
        let tape = c.nLayers * BlockTape.floatCount(config: c, rows: rows) + reads * (c.dModel + c.dVocabOut)
        let forward = rows * (5 * c.dModel + (2 + c.nLayers) * c.dAttention + (c.nHeads + 2 * c.nKVHeads) * c.dHead)
            + MLPScratch.floatCount(config: c, rows: rows)
        let backward = BlockBackwardScratch.floatCount(config: c, rows: rows) + rows * c.dModel
            + 2 * (3 * c.nHeads + 1) * rows * c.dModel
        return (tape + forward + backward) * MemoryLayout<Float>.size
    }
}
