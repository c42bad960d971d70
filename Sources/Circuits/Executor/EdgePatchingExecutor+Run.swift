import Tensor
import Transformer

extension EdgePatchingExecutor {
    /// One patched forward pass for `plan`; returns `[batch, readPositions, dVocabOut]` logits.
    mutating func run(_ plan: AblationPlan, recomputeEverything: Bool) -> Tensor {
        let c = model.config
        guard let lowest = recomputeEverything ? 0 : plan.lowestLayer else { return cleanLogits }
        let firstSender = lowest < c.nLayers ? graph.headSender(layer: lowest, head: 0).rawValue : graph.senderCount
        for s in 0..<firstSender { restoreDelta(s) }
        scratch.residChange.fill(0)
        var changed = recomputeEverything
        if lowest < c.nLayers {
            for layer in lowest..<c.nLayers {
                let block = model.blocks[layer]
                if block.parallelResidual && block.hasMLP {
                    // GPT-NeoX: the MLP reads the block's input, so its live residual is taken before the layer's
                    // heads change `residChange`, and whether it changed does not depend on them.
                    var mlpChanged = changed
                    if mlpNeedsRecompute(block, plan: plan, changed: changed) {
                        liveResidual(base: cleanResidPre, baseRow: layer, forMLP: true)
                    }
                    attentionLayer(block, plan: plan, changed: &changed)
                    mlpLayer(block, plan: plan, changed: &mlpChanged)
                    changed = changed || mlpChanged
                } else {
                    attentionLayer(block, plan: plan, changed: &changed)
                    if block.hasMLP { mlpLayer(block, plan: plan, changed: &changed) }
                }
            }
        }
        return finalLogits(plan: plan)
    }

    /// Rows of width `rows·dModel` in the sender stores.
    var senderWidth: Int { batch.rows * model.config.dModel }

    /// Makes `delta`'s row for sender `s` its clean value again if a previous run overwrote it.
    mutating func restoreDelta(_ s: Int) {
        guard deltaDirty[s] else { return }
        let w = senderWidth
        delta.copy(from: cleanDelta, range: (s * w)..<((s + 1) * w), otherOffset: s * w)
        deltaDirty[s] = false
    }

    /// Records a recomputed sender: delta[s] = out − patch[s], and the residual change grows by the sender's change
    /// against the clean run, delta[s] − cleanDelta[s].
    mutating func store(sender s: Int) {
        let w = senderWidth
        delta.setDifference(scratch.out, aOffset: 0, patch, bOffset: s * w, count: w, offset: s * w)
        deltaDirty[s] = true
        scratch.residChange.addDifference(delta, aOffset: s * w, cleanDelta, bOffset: s * w, count: w, offset: 0)
    }

    /// `scratch.corrections[i] = Σ_{s ∈ lists[i]} delta[s]` for senders `< senderLimit`, as one matrix product of
    /// a 0/1 mask `[lists, senderLimit]` with `delta[0 ..< senderLimit]`.
    mutating func computeCorrections(_ lists: [[Int]], senderLimit: Int) {
        guard !lists.isEmpty else { return }
        var mask = Tensor(shape: [lists.count, senderLimit])
        for (i, list) in lists.enumerated() {
            for s in list { mask[flat: i * senderLimit + s] = 1 }
        }
        let w = senderWidth
        productLog.gemm(mask, MatrixSlice(mask), delta, MatrixSlice(offset: 0, rows: senderLimit, cols: w),
                        into: &scratch.corrections, MatrixSlice(offset: 0, rows: lists.count, cols: w))
    }

    /// `base[baseRow] + residChange` into `scratch.residIn` (attention) or `scratch.mlpResidIn` (MLP): the live
    /// residual entering a sublayer, formed before the sublayer's own senders change `residChange`.
    mutating func liveResidual(base: Tensor, baseRow: Int, forMLP: Bool) {
        let w = senderWidth
        if forMLP {
            scratch.mlpResidIn.copy(from: base, range: 0..<w, otherOffset: baseRow * w)
            scratch.mlpResidIn.add(scratch.residChange, range: 0..<w, otherOffset: 0)
        } else {
            scratch.residIn.copy(from: base, range: 0..<w, otherOffset: baseRow * w)
            scratch.residIn.add(scratch.residChange, range: 0..<w, otherOffset: 0)
        }
    }

    /// `scratch.input = residIn − corrections[correction]`: one receiver's patched input, from the live residual
    /// `residIn` (`scratch.residIn` or `scratch.mlpResidIn`).
    mutating func patchedInput(from residIn: Tensor, correction: Int) {
        let w = senderWidth
        scratch.input.copy(from: residIn, range: 0..<w, otherOffset: 0)
        scratch.input.add(scratch.corrections, scaledBy: -1, range: 0..<w, otherOffset: correction * w)
    }

    /// resid_post's patched input at the read rows, the final normalisation and the unembedding.
    private mutating func finalLogits(plan: AblationPlan) -> Tensor {
        let c = model.config
        let d = c.dModel
        let w = senderWidth
        let ablated = plan.senders(into: graph.residPost, graph: graph)
        let readCount = readPositions.first?.count ?? 0
        for b in 0..<batch.batch {
            for (r, p) in readPositions[b].enumerated() {
                let row = b * batch.length + p
                let dst = (b * readCount + r) * d
                scratch.finalInput.copy(from: cleanResidPost, range: dst..<(dst + d), otherOffset: row * d)
                scratch.finalInput.add(scratch.residChange, range: dst..<(dst + d), otherOffset: row * d)
                for s in ablated {
                    scratch.finalInput.add(delta, scaledBy: -1, range: dst..<(dst + d), otherOffset: s * w + row * d)
                }
            }
        }
        let readRows = batch.batch * readCount
        model.unembedding.norm.apply(scratch.finalInput, rows: readRows, into: &scratch.finalNormed)
        // Reused buffer: the returned tensor shares it until the caller drops it (then no allocation per test).
        model.unembedding.project(scratch.finalNormed, rows: readRows, into: &scratch.logits, log: &productLog)
        return scratch.logits.reshaped([batch.batch, readCount, c.dVocabOut])
    }
}
