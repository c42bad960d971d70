import Tensor
import Transformer

extension LinearPathPatcher {
    /// `[batch, readPositions, dVocabOut]`: the clean run with `destination`'s `input` replaced by its clean value
    /// plus the linearised change in `changes`, at `destinationPositions` (TransformerLens's patched run).
    ///
    /// Precondition: `destination` after `changes.source`.
    /// - Throws: `TransformerError` for bad positions.
    public mutating func linearLogits(
        changes: LinearInputChanges, destination: AttentionHead, input: HeadInput,
        destinationPositions: InterventionPositions = .all
    ) throws -> Tensor {
        let c = model.config
        let rows = patcher.clean.rows
        let delta = changes.change(of: destination, input: input)
        let layout = changes.layout
        var values = Tensor(shape: [rows, c.dHead])
        values.copyBlocks(from: cleanQKV[destination.layer],
                          sourceOffset: layout.activationColumn(input, head: destination.head),
                          sourceStride: layout.activationWidth, offset: 0, stride: c.dHead, blockLength: c.dHead,
                          blocks: rows)
        values.add(delta)
        var patch = ForwardInterventions(config: c)
        patch.resume(fromLayer: destination.layer, residPre: patcher.cleanResidPre[destination.layer])
        patch.replace(input.activation, of: destination, with: values, positions: destinationPositions)
        return try patcher.runner.run(
            patcher.clean, readPositions: .perPrompt(patcher.readPositions), interventions: patch).logits
    }

    /// The metric of `linearLogits`.
    public mutating func linearMetric(
        changes: LinearInputChanges, destination: AttentionHead, input: HeadInput,
        destinationPositions: InterventionPositions = .all
    ) throws -> Double {
        try patcher.metric(linearLogits(
            changes: changes, destination: destination, input: input, destinationPositions: destinationPositions))
    }

    /// The exact column: the metric with the single edge `source` → `destination.input` ablated under resample
    /// ablation — the edge-patching executor at every position, positional residual path patching otherwise.
    public mutating func exactMetric(
        source: AttentionHead, destination: AttentionHead, input: HeadInput,
        sourcePositions: InterventionPositions = .all, destinationPositions: InterventionPositions = .all
    ) throws -> Double {
        let receiver = PathPatchingReceiver.heads([destination], input: input)
        if sourcePositions == .all && destinationPositions == .all {
            return try patcher.metric(senders: [source], receiver: receiver, path: .residual)
        }
        return try patcher.metric(
            senders: [source], receiver: receiver, path: .residual, sourcePositions: sourcePositions,
            destinationPositions: destinationPositions)
    }

    /// The report for one source head: every destination head after it (or those of `destinations` after it) and
    /// every input of `inputs`, linear and exact. `progress(done, total)` after each row.
    ///
    /// Precondition: heads inside the model.
    /// - Throws: `TransformerError` for bad positions; the metric's errors.
    public mutating func report(
        source: AttentionHead, destinations: [AttentionHead]? = nil, inputs: [HeadInput] = HeadInput.allCases,
        sourcePositions: InterventionPositions = .all, destinationPositions: InterventionPositions = .all,
        progress: (_ done: Int, _ total: Int) -> Void = { _, _ in }
    ) throws -> LinearPathPatchingReport {
        let c = model.config
        let later = (destinations ?? (0..<c.nLayers).flatMap { l in (0..<c.nHeads).map { AttentionHead(layer: l, head: $0) } })
            .filter { $0.layer > source.layer }
        let targets = Array(Set(later)).sorted()
        let changes = try changes(source: source, sourcePositions: sourcePositions)
        let destinationMask = PositionalRows.mask(
            try PositionalRows.rows(destinationPositions, batch: patcher.clean.batch, length: patcher.clean.length),
            rows: patcher.clean.rows)
        let sortedInputs = Array(Set(inputs)).sorted()
        var rows: [LinearPathPatchingRow] = []
        let total = targets.count * sortedInputs.count
        for destination in targets {
            for input in sortedInputs {
                let linear = changes.change(of: destination, input: input)
                let exact = changes.change(of: destination, input: input, exact: true)
                let norms = Self.norms(linear: linear, exact: exact, mask: destinationMask, width: c.dHead)
                rows.append(LinearPathPatchingRow(
                    destination: destination, input: input,
                    linearMetric: try linearMetric(
                        changes: changes, destination: destination, input: input,
                        destinationPositions: destinationPositions),
                    exactMetric: try exactMetric(
                        source: source, destination: destination, input: input, sourcePositions: sourcePositions,
                        destinationPositions: destinationPositions),
                    linearChangeNorm: norms.linear, exactChangeNorm: norms.exact, changeErrorNorm: norms.error))
                progress(rows.count, total)
            }
        }
        return LinearPathPatchingReport(
            source: source, rows: rows, cleanMetric: cleanMetric, corruptedMetric: corruptedMetric,
            promptCount: patcher.clean.batch)
    }

    /// Frobenius norms of the linear change, the exact change and their difference over the rows where `mask` is 1.
    static func norms(linear: Tensor, exact: Tensor, mask: [Float], width: Int)
        -> (linear: Double, exact: Double, error: Double) {
        var l = 0.0, e = 0.0, d = 0.0
        for r in 0..<mask.count where mask[r] != 0 {
            for j in 0..<width {
                let a = Double(linear.scalars[r * width + j]), b = Double(exact.scalars[r * width + j])
                l += a * a
                e += b * b
                d += (a - b) * (a - b)
            }
        }
        return (l.squareRoot(), e.squareRoot(), d.squareRoot())
    }

    /// The report over a whole prompt set with the logit-difference metric (as `PathPatcher.logitDifferenceSweep`),
    /// per-prompt positions optional (`nil`: every position); length groups are merged by
    /// `LinearPathPatchingReport.combining`.
    ///
    /// - Throws: as `PathPatcher.positionalLogitDifferenceSweep`.
    public static func logitDifferenceReport(
        model: TransformerModel, promptSet set: PromptSet, source: AttentionHead, destinations: [AttentionHead]? = nil,
        inputs: [HeadInput] = HeadInput.allCases, sourcePositions: [[Int]]? = nil, destinationPositions: [[Int]]? = nil,
        progress: (_ done: Int, _ total: Int) -> Void = { _, _ in }
    ) throws -> LinearPathPatchingReport {
        let everywhere = (0..<set.count).map { Array(0..<set.clean[$0].count) }
        try PathPatcher.checkPositionLists(
            set: set, source: sourcePositions ?? everywhere, destination: destinationPositions ?? everywhere)
        let groups = set.batches().count
        var group = 0
        let parts = try PathPatcher.groupedLogitDifference(model: model, promptSet: set) { patcher, indices in
            defer { group += 1 }
            var linear = try LinearPathPatcher(patcher: patcher)
            func positions(_ lists: [[Int]]?) -> InterventionPositions {
                lists.map { l in .perPrompt(indices.map { l[$0] }) } ?? .all
            }
            return try linear.report(
                source: source, destinations: destinations, inputs: inputs,
                sourcePositions: positions(sourcePositions), destinationPositions: positions(destinationPositions)
            ) { done, total in progress(group * total + done, groups * total) }
        }
        return LinearPathPatchingReport.combining(parts)
    }
}
