import Tensor
import Transformer

/// The executor's per-layer recomputation: the heads and the MLP of one block, each from its own patched input,
/// through the block layer (`TransformerBlock`).
extension EdgePatchingExecutor {
    /// Recomputes the heads of `block` whose inputs differ from the clean run.
    mutating func attentionLayer(_ block: TransformerBlock, plan: AblationPlan, changed: inout Bool) {
        let layer = block.layer
        let rows = batch.rows
        var heads: [(head: Int, ablated: [[Int]], severed: [Bool])] = []
        for h in 0..<block.nHeads {
            let receivers = HeadInput.allCases.map { graph.headInputReceiver(layer: layer, head: h, input: $0) }
            let severed = receivers.map { plan.isSevered($0, graph: graph) }
            // A severed input's edges do not matter: it takes the ablation value as a whole.
            let lists = zip(receivers, severed).map { r, cut in cut ? [] : plan.senders(into: r, graph: graph) }
            if changed || severed.contains(true) || lists.contains(where: { !$0.isEmpty }) {
                heads.append((h, lists, severed))
            } else {
                restoreDelta(graph.headSender(layer: layer, head: h).rawValue)
            }
        }
        guard !heads.isEmpty else { return }

        // Corrections for every ablated head input of the layer, in one product.
        var correctionLists: [[Int]] = []
        var correctionRow: [[Int?]] = []
        for entry in heads {
            correctionRow.append(entry.ablated.map { list in
                guard !list.isEmpty else { return nil }
                correctionLists.append(list)
                return correctionLists.count - 1
            })
        }
        computeCorrections(correctionLists, senderLimit: graph.headSender(layer: layer, head: 0).rawValue)

        // The unpatched input, normalised once for every head input without ablated edges. When many inputs share
        // it, their projections come from one fused product over all heads (a wide, efficient GEMM), else from one
        // narrow product per input.
        liveResidual(base: cleanResidPre, baseRow: layer, forMLP: false)
        let sharedInputs = heads.reduce(0) { n, entry in
            n + (0..<3).filter { entry.ablated[$0].isEmpty && !entry.severed[$0] }.count
        }
        let layout = block.layout
        let dh = block.dHead
        let positions = RowPositions(length: batch.length)
        let fused = sharedInputs >= block.nHeads
        if sharedInputs > 0 { block.attentionNorm.apply(scratch.residIn, rows: rows, into: &scratch.sharedNormed) }
        if fused {
            block.projectHeadInputs(scratch.sharedNormed, rows: rows, positions: positions, into: &scratch.layerQKV,
                                    grouped: &scratch.grouped, log: &productLog)
        }

        for (index, entry) in heads.enumerated() {
            let h = entry.head
            for (j, input) in HeadInput.allCases.enumerated() {
                if entry.severed[j] {
                    let source = [patchQ, patchK, patchV][j][layer]
                    scratch.qkv.copyBlocks(from: source, sourceOffset: h * dh, sourceStride: layout.headsWidth,
                                           offset: j * dh, stride: 3 * dh, blockLength: dh, blocks: rows)
                    continue
                }
                let row = correctionRow[index][j]
                if row == nil && fused {
                    scratch.qkv.copyBlocks(from: scratch.layerQKV, sourceOffset: layout.activationColumn(input, head: h),
                                           sourceStride: layout.activationWidth, offset: j * dh, stride: 3 * dh,
                                           blockLength: dh, blocks: rows)
                    continue
                }
                let target = MatrixSlice(offset: j * dh, rows: rows, cols: dh, rowStride: 3 * dh)
                if let row {
                    patchedInput(from: scratch.residIn, correction: row)
                    block.attentionNorm.apply(scratch.input, rows: rows, into: &scratch.normed)
                    block.projectHeadInput(input, head: h, scratch.normed, rows: rows, positions: positions,
                                           into: &scratch.qkv, target, log: &productLog)
                } else {
                    block.projectHeadInput(input, head: h, scratch.sharedNormed, rows: rows, positions: positions,
                                           into: &scratch.qkv, target, log: &productLog)
                }
            }
            let sender = graph.headSender(layer: layer, head: h).rawValue
            if let active = lastLayerRows(layer) {
                // Last layer: queries (and so z and the head's output) only at the read rows; keys and values
                // cover every position.
                let T = batch.length
                for b in 0..<batch.batch {
                    block.attend(
                        q: scratch.qkv, .init(offset: b * T * 3 * dh, rowStride: 3 * dh),
                        k: scratch.qkv, .init(offset: b * T * 3 * dh + dh, rowStride: 3 * dh),
                        v: scratch.qkv, .init(offset: b * T * 3 * dh + 2 * dh, rowStride: 3 * dh),
                        batch: 1, length: T, queryPositions: activePositions[b], pattern: &scratch.pattern,
                        patternOffset: nil, z: &scratch.z, .init(offset: b * T * dh, rowStride: dh))
                }
                for (i, row) in active.enumerated() {
                    scratch.compactZ.copy(from: scratch.z, range: (i * dh)..<((i + 1) * dh), otherOffset: row * dh)
                }
                block.headOutput(scratch.compactZ, MatrixSlice(scratch.compactZ), head: h, into: &scratch.compactOut,
                                 MatrixSlice(scratch.compactOut), log: &productLog)
                store(sender: sender, rows: active)
            } else {
                block.attend(
                    q: scratch.qkv, .init(offset: 0, rowStride: 3 * dh),
                    k: scratch.qkv, .init(offset: dh, rowStride: 3 * dh),
                    v: scratch.qkv, .init(offset: 2 * dh, rowStride: 3 * dh),
                    batch: batch.batch, length: batch.length, pattern: &scratch.pattern, patternOffset: nil,
                    z: &scratch.z, .init(offset: 0, rowStride: dh))
                block.headOutput(scratch.z, MatrixSlice(scratch.z), head: h, into: &scratch.out,
                                 MatrixSlice(scratch.out), log: &productLog)
                store(sender: sender)
            }
        }
        changed = true
    }

    /// The token rows the last layer is computed at: only the read rows matter for the logits there, so when they
    /// are fewer than all rows, the last layer's queries, head outputs and MLP are computed only at them. Nil for
    /// other layers (every row feeds the next layer's keys and values).
    func lastLayerRows(_ layer: Int) -> [Int]? {
        layer == model.config.nLayers - 1 && activeRows.count < batch.rows ? activeRows : nil
    }

    /// Records a recomputed sender at some rows only, its output at `scratch.compactOut` row i for token row
    /// `rows[i]`; its other rows are never read (see `lastLayerRows`).
    mutating func store(sender s: Int, rows: [Int]) {
        let w = senderWidth, d = model.config.dModel
        for (i, row) in rows.enumerated() {
            let at = s * w + row * d
            delta.setDifference(scratch.compactOut, aOffset: i * d, patch, bOffset: at, count: d, offset: at)
            scratch.residChange.addDifference(delta, aOffset: at, cleanDelta, bOffset: at, count: d, offset: row * d)
        }
        deltaDirty[s] = true
    }

    /// Whether MLP `block.layer` must be recomputed: its input changed upstream or has ablated edges.
    func mlpNeedsRecompute(_ block: TransformerBlock, plan: AblationPlan, changed: Bool) -> Bool {
        guard let receiver = graph.mlpInputReceiver(layer: block.layer) else { return false }
        return changed || !plan.senders(into: receiver, graph: graph).isEmpty
    }

    /// Recomputes MLP `block.layer` when its input differs from the clean run. Under a parallel residual the
    /// caller has put the block input's live value in `scratch.mlpResidIn` already.
    mutating func mlpLayer(_ block: TransformerBlock, plan: AblationPlan, changed: inout Bool) {
        let layer = block.layer
        guard let receiver = graph.mlpInputReceiver(layer: layer), let sender = graph.mlpSender(layer: layer) else { return }
        let ablated = plan.senders(into: receiver, graph: graph)
        guard changed || !ablated.isEmpty else {
            restoreDelta(sender.rawValue)
            return
        }
        if let active = lastLayerRows(layer) {
            lastMLP(block, ablated: ablated, rows: active, sender: sender.rawValue)
            changed = true
            return
        }
        if !ablated.isEmpty { computeCorrections([ablated], senderLimit: sender.rawValue) }
        if !block.parallelResidual { liveResidual(base: cleanResidMid, baseRow: layer, forMLP: true) }
        if !ablated.isEmpty { patchedInput(from: scratch.mlpResidIn, correction: 0) }
        block.mlp(ablated.isEmpty ? scratch.mlpResidIn : scratch.input, rows: batch.rows, scratch: &scratch.mlp,
                  into: &scratch.out, log: &productLog)
        store(sender: sender.rawValue)
        changed = true
    }

    /// The last layer's MLP at `rows` only (see `lastLayerRows`).
    /// The ablated senders' deltas are subtracted row by row at the active rows only: a correction product over
    /// every row would read each ablated sender's whole store for a few rows' worth of use.
    mutating func lastMLP(_ block: TransformerBlock, ablated: [Int], rows: [Int], sender: Int) {
        let d = block.dModel, width = senderWidth, layer = block.layer
        for (i, row) in rows.enumerated() {
            let dst = (i * d)..<((i + 1) * d)
            if block.parallelResidual {
                scratch.compactIn.copy(from: scratch.mlpResidIn, range: dst, otherOffset: row * d)
            } else {
                scratch.compactIn.copy(from: cleanResidMid, range: dst, otherOffset: layer * width + row * d)
                scratch.compactIn.add(scratch.residChange, range: dst, otherOffset: row * d)
            }
            for s in ablated { scratch.compactIn.add(delta, scaledBy: -1, range: dst, otherOffset: s * width + row * d) }
        }
        block.mlp(scratch.compactIn, rows: rows.count, scratch: &scratch.compactMLP, into: &scratch.compactOut,
                  log: &productLog)
        store(sender: sender, rows: rows)
    }
}
