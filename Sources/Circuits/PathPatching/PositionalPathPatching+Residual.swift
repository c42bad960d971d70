import Tensor
import Transformer

extension PathPatcher {
    /// `.residual` at positions: the edge-patching executor's resample ablation of the edges sender → receiver input
    /// (Conmy et al. 2023), restricted to source and destination positions and spelled out with interventions.
    ///
    /// A receiver head of layer L reads, at the destination rows,
    ///
    ///     input = resid_pre(L) + Σ_{senders s below L} mask_src ⊙ (corrupted(s) − live(s))
    ///
    /// where resid_pre(L) and live(s) (the head result z_s·W_O[s], without b_O) come from the run with the
    /// receivers of earlier layers already patched, so receivers compose downstream as in the executor; its q/k/v
    /// is then `norm₁(input)·W + b` (rotated for q and k in rotary models). Receiver layers are handled in increasing order, one partial pass each (the
    /// first needs none: below it everything is clean). The final residual receiver reads the same sum on the clean
    /// run's resid_post.
    mutating func positionalResidual(
        senders: [AttentionHead], receiver: PathPatchingReceiver, sourceMask: [Float],
        destination: InterventionPositions
    ) throws -> Double {
        let c = model.config
        let rows = clean.rows
        let read = ReadPositions.perPrompt(readPositions)
        // corrupted(s) for every sender, computed once.
        var corruptedResult: [AttentionHead: Tensor] = [:]
        for s in senders {
            corruptedResult[s] = PositionalRows.headResult(
                z: corruptedZ[s.layer], head: s.head, layer: s.layer, model: model, rows: rows)
        }
        /// resid + Σ_{s below `layer`} mask ⊙ (corrupted(s) − live(s)), live results from `liveZ`.
        func patchedInput(_ resid: Tensor, below layer: Int, liveZ: (Int) -> Tensor) -> Tensor? {
            var input = resid
            var any = false
            for s in senders where s.layer < layer {
                guard let corrupted = corruptedResult[s] else { continue }
                let live = PositionalRows.headResult(z: liveZ(s.layer), head: s.head, layer: s.layer, model: model, rows: rows)
                input.add(PositionalRows.maskedDifference(corrupted, live, mask: sourceMask, width: c.dModel))
                any = true
            }
            return any ? input : nil
        }

        guard case let .heads(heads, input) = receiver else {
            let last = c.nLayers - 1
            var plain = ForwardInterventions(config: c)
            plain.resume(fromLayer: last, residPre: cleanResidPre[last])
            let cleanRun = try runner.run(clean, readPositions: read, recording: .residuals, interventions: plain)
            guard let patched = patchedInput(cleanRun.activations.residPost, below: c.nLayers, liveZ: { cleanZ[$0] })
            else { return cleanMetric }
            var patch = ForwardInterventions(config: c)
            patch.resume(fromLayer: last, residPre: cleanResidPre[last])
            patch.replace(.residPost, layer: last, with: patched, positions: destination)
            return try metric(runner.run(clean, readPositions: read, interventions: patch).logits)
        }

        let layers = Set(heads.map(\.layer)).sorted()
        guard let firstReceiver = layers.first, senders.contains(where: { s in heads.contains { s.layer < $0.layer } })
        else { return cleanMetric }
        let kind = input.activation
        var patch = ForwardInterventions(config: c)
        patch.resume(fromLayer: firstReceiver, residPre: cleanResidPre[firstReceiver])
        var patchedAny = false
        for layer in layers {
            let resid: Tensor
            let liveZ: (Int) -> Tensor
            if !patchedAny {
                // Nothing patched yet: the run up to this layer is the clean one.
                resid = cleanResidPre[layer]
                let z = cleanZ
                liveZ = { z[$0] }
            } else {
                var partial = patch
                partial.stop(afterLayer: layer)
                let run = try runner.run(clean, readPositions: read, recording: [.residuals, .attention],
                                         interventions: partial)
                resid = run.activations.layers[layer].residPre
                let store = run.activations.layers
                let z = cleanZ
                // Layers below the resumed one were not computed: they are clean.
                liveZ = { $0 < firstReceiver ? z[$0] : store[$0].z }
            }
            guard let patched = patchedInput(resid, below: layer, liveZ: liveZ) else { continue }
            for head in heads where head.layer == layer {
                let values = PositionalRows.headInput(
                    input, head: head.head, layer: layer, from: patched, model: model, rows: rows, length: clean.length)
                patch.replace(kind, of: head, with: values, positions: destination)
                patchedAny = true
            }
        }
        guard patchedAny else { return cleanMetric }
        return try metric(runner.run(clean, readPositions: read, interventions: patch).logits)
    }
}
