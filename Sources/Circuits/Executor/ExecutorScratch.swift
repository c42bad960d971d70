import Tensor
import Transformer

/// The executor's scratch buffers, allocated once for a batch shape so that patched runs allocate nothing
/// proportional to the batch.
struct ExecutorScratch {
    /// `[rows, dModel]`: the live residual entering the current attention sublayer.
    var residIn: Tensor
    /// `[rows, dModel]`: the live residual the current MLP reads (`resid_mid`, or the block input under GPT-NeoX's
    /// parallel residual, taken before the block's heads change `residChange`).
    var mlpResidIn: Tensor
    /// `[rows, dModel]`: the running change of the residual stream against the clean run, Σ (live(s) − clean(s)).
    var residChange: Tensor
    /// `[rows, dModel]`: normalisation of the shared (unpatched) attention input.
    var sharedNormed: Tensor
    /// `[rows, dModel]`: one receiver's patched input and its normalisation.
    var input: Tensor
    var normed: Tensor
    /// `[3·nHeads (+1), rows·dModel]`: Σ of ablated senders' deltas per receiver of a layer.
    var corrections: Tensor
    /// `[rows, 3·nHeads·dHead]`: every head's q, k, v from the shared input (the fused projection, ungrouped).
    var layerQKV: Tensor
    /// `[rows, (nHeads + 2·nKVHeads)·dHead]`: the grouped projection before it is copied per query head.
    var grouped: Tensor
    /// `[rows, 3·dHead]`: one head's q | k | v.
    var qkv: Tensor
    /// `[rows, dHead]`: one head's z.
    var z: Tensor
    /// `[rows, dModel]`: a recomputed sender's output.
    var out: Tensor
    /// The MLP's scratch over every row.
    var mlp: MLPScratch
    /// Unused pattern buffer for the attention kernel (patterns are not recorded in patched runs).
    var pattern: Tensor
    /// `[readRows, dModel]`: resid_post input at the read rows, and its normalisation.
    var finalInput: Tensor
    var finalNormed: Tensor
    /// `[readRows, dVocabOut]`: the logits.
    var logits: Tensor
    /// The last layer computed at the read rows only (`activeRows` of them): `[active, dHead]` z rows,
    /// `[active, dModel]` MLP input, the MLP's scratch, `[active, dModel]` output.
    var compactZ: Tensor
    var compactIn: Tensor
    var compactMLP: MLPScratch
    var compactOut: Tensor

    init(config c: ModelConfig, rows: Int, readRows: Int, activeRows: Int) {
        let d = c.dModel
        let layout = HeadInputLayout(config: c)
        residIn = Tensor(shape: [rows, d])
        mlpResidIn = Tensor(shape: [c.hasMLP ? rows : 0, d])
        residChange = Tensor(shape: [rows, d])
        sharedNormed = Tensor(shape: [rows, d])
        input = Tensor(shape: [rows, d])
        normed = Tensor(shape: [rows, d])
        corrections = Tensor(shape: [3 * c.nHeads + 1, rows * d])
        layerQKV = Tensor(shape: [rows, layout.activationWidth])
        grouped = Tensor(shape: [layout.isGrouped ? rows : 0, layout.weightWidth])
        qkv = Tensor(shape: [rows, 3 * c.dHead])
        z = Tensor(shape: [rows, c.dHead])
        out = Tensor(shape: [rows, d])
        mlp = MLPScratch(config: c, rows: rows)
        pattern = Tensor(shape: [0])
        finalInput = Tensor(shape: [readRows, d])
        finalNormed = Tensor(shape: [readRows, d])
        logits = Tensor(shape: [readRows, c.dVocabOut])
        compactZ = Tensor(shape: [activeRows, c.dHead])
        compactIn = Tensor(shape: [activeRows, d])
        compactMLP = MLPScratch(config: c, rows: activeRows)
        compactOut = Tensor(shape: [activeRows, d])
    }

    /// The scratch size for a shape, without allocating it.
    static func floatCount(config c: ModelConfig, rows: Int, readRows: Int, activeRows: Int) -> Int {
        let d = c.dModel
        let layout = HeadInputLayout(config: c)
        let perRow = (c.hasMLP ? 7 : 6) * d + layout.activationWidth + (layout.isGrouped ? layout.weightWidth : 0)
            + 3 * c.dHead + c.dHead
        return rows * perRow + (3 * c.nHeads + 1) * rows * d + MLPScratch.floatCount(config: c, rows: rows)
            + 2 * readRows * d + readRows * c.dVocabOut
            + activeRows * (c.dHead + 2 * d) + MLPScratch.floatCount(config: c, rows: activeRows)
    }

    var floatCount: Int {
        residIn.count + mlpResidIn.count + residChange.count + sharedNormed.count + input.count + normed.count
            + corrections.count + layerQKV.count + grouped.count + qkv.count + z.count + out.count + mlp.floatCount
            + pattern.count + finalInput.count + finalNormed.count + logits.count + compactZ.count + compactIn.count
            + compactMLP.floatCount + compactOut.count
    }
}
