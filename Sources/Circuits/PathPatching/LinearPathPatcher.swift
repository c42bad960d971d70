import Tensor
import Transformer

/// Linearised direct path patching (Neel Nanda's proposal in TransformerLens issue #111, implemented as
/// `get_act_patch_direct_path` in TransformerLens's `tools/analysis/direct_path_patching.py`): the effect of one
/// source head's output on one input (q, k or v) of a later head through the residual stream only, with the
/// destination's LayerNorm linearised so that the change of every later head's input follows from one projection.
///
/// **What TransformerLens computes.** It runs the *corrupted* prompt and, for source A and destination B, adds to
/// B's `hook_q` (or k, v) `(clean_result_A − corrupted_result_A) / ln1_scale · W_Q[B]`, where `ln1_scale` is
/// `blocks.{L_B}.ln1.hook_scale` of the corrupted run — the run being patched — and the model has LayerNorm folded
/// (`fold_ln`, `center_writing_weights`), so γ sits inside W_Q and every head's output is already mean-free. The
/// metric of that one patched run is the result for B.
///
/// **What circuitry computes.** The same formula in circuitry's direction (the one of `PathPatcher` and the
/// edge-patching executor): the *clean* prompt is the run being patched and the source's corrupted output is
/// patched in, so for destination layer L and token row r
///
///     δ_r      = corrupted_result_A,r − clean_result_A,r                           [rows, dModel]
///     Δinput_r = γ_L ⊙ (δ_r − mean(δ_r)) / σ_L,r(clean) · W_{Q|K|V}[B]            [rows, dHead]
///
/// with σ_L,r = sqrt(var(resid_pre_L,r) + ε) the clean run's ln1 scale (TL's `hook_scale` of the patched run) and
/// the centring and γ applied explicitly because circuitry's weights are not folded (that is what TL's folding does
/// inside the weights). The patched run is the clean run with B's input replaced by clean + Δinput. Swapping the
/// clean and corrupted prompts gives TransformerLens's direction exactly. Without LayerNorm (tracr) σ = 1, γ = 1, no
/// centring: the formula is exact.
///
/// **Per destination** (`LinearPathPatchingRow`): the metric of that linearly patched run next to the metric of the
/// exact direct-path patch — the edge-patching executor ablating the single edge A → B.input under resample
/// ablation (`PathPatcher`'s `.residual` path), which recomputes LayerNorm exactly — so the two columns measure the
/// same thing and their difference is the linearisation's error in metric units. Alongside, the activation-level
/// change: ‖Δinput_linear‖, ‖Δinput_exact‖ with Δinput_exact = (LN(resid + δ) − LN(resid))·W, and
/// ‖Δinput_linear − Δinput_exact‖ over the patched rows, which depends on the model alone, not on the metric.
///
/// `changes(source:)` computes every later head's Δinput, linear and exact, in one pass per source head: per later
/// layer one projection of the normalised δ through the fused W_Q|W_K|W_V.
public struct LinearPathPatcher {
    /// The path patcher holding the clean and corrupted runs, the metric and the exact column's executor.
    public internal(set) var patcher: PathPatcher
    /// Per layer `[rows, 3·nHeads·dHead]`: the clean run's q, k, v side by side (the ungrouped activation layout of
    /// `HeadInputLayout`).
    let cleanQKV: [Tensor]

    public var model: TransformerModel { patcher.model }
    public var cleanMetric: Double { patcher.cleanMetric }
    public var corruptedMetric: Double { patcher.corruptedMetric }

    /// Runs the clean and corrupted prompts (as `PathPatcher`) and keeps the clean q, k, v.
    ///
    /// - Throws: as `PathPatcher.init`.
    public init(
        model: TransformerModel, clean: [[Int]], corrupted: [[Int]], readPositions: ReadPositions = .last,
        metric: @escaping PathPatcher.MetricFunction
    ) throws {
        try self.init(patcher: PathPatcher(
            model: model, clean: clean, corrupted: corrupted, readPositions: readPositions, metric: metric))
    }

    /// Wraps an existing path patcher (its clean run is repeated once to record q, k, v).
    public init(patcher: PathPatcher) throws {
        var runner = TransformerRunner(model: patcher.model)
        let run = try runner.run(patcher.clean, readPositions: .perPrompt(patcher.readPositions), recording: .attention)
        let layout = HeadInputLayout(config: patcher.model.config)
        let rows = patcher.clean.rows
        cleanQKV = run.activations.layers.map { layer in
            var fused = Tensor(shape: [rows, layout.activationWidth])
            for (input, t) in zip(HeadInput.allCases, [layer.q, layer.k, layer.v]) {
                fused.copyBlocks(from: t, sourceOffset: 0, sourceStride: layout.headsWidth,
                                 offset: layout.activationColumn(input, head: 0), stride: layout.activationWidth,
                                 blockLength: layout.headsWidth, blocks: rows)
            }
            return fused
        }
        self.patcher = patcher
    }

    /// `[rows, dModel]`: δ, the source's corrupted minus clean result (z·W_O[h], without b_O), zero outside
    /// `sourcePositions`.
    ///
    /// - Throws: `TransformerError.positionOutOfRange` / `.interventionShapeMismatch` for bad positions.
    public func sourceDelta(_ source: AttentionHead, sourcePositions: InterventionPositions = .all) throws -> Tensor {
        let p = patcher
        let rows = p.clean.rows
        let mask = PositionalRows.mask(
            try PositionalRows.rows(sourcePositions, batch: p.clean.batch, length: p.clean.length), rows: rows)
        let corrupted = PositionalRows.headResult(
            z: p.corruptedZ[source.layer], head: source.head, layer: source.layer, model: p.model, rows: rows)
        let clean = PositionalRows.headResult(
            z: p.cleanZ[source.layer], head: source.head, layer: source.layer, model: p.model, rows: rows)
        return PositionalRows.maskedDifference(corrupted, clean, mask: mask, width: p.model.config.dModel)
    }

    /// Every later head's input change for `source`: per layer after the source's, `[rows, 3·nHeads·dHead]` in the
    /// fused q|k|v layout, linear and exact (see the type's overview). One projection per layer and kind of change.
    ///
    /// Precondition: `source` inside the model.
    public func changes(
        source: AttentionHead, sourcePositions: InterventionPositions = .all
    ) throws -> LinearInputChanges {
        let c = model.config
        precondition((0..<c.nLayers).contains(source.layer) && (0..<c.nHeads).contains(source.head),
                     "LinearPathPatcher: source \(source) outside \(c.nLayers) layers × \(c.nHeads) heads")
        let delta = try sourceDelta(source, sourcePositions: sourcePositions)
        let rows = patcher.clean.rows
        let positions = RowPositions(length: patcher.clean.length)
        var linear: [Tensor] = [], exact: [Tensor] = []
        var grouped = Tensor(shape: [0])
        var log = MatrixProductLog()
        for layer in (source.layer + 1)..<max(c.nLayers, source.layer + 1) {
            let block = model.blocks[layer]
            let resid = patcher.cleanResidPre[layer]
            // Linear: the normalisation's Jacobian at the clean input applied to δ, through the projections.
            var linearChange = Tensor(shape: [rows, block.layout.activationWidth])
            block.projectHeadInputs(block.attentionNorm.linearizedChange(delta, at: resid), rows: rows,
                                    positions: positions, into: &linearChange, grouped: &grouped, includeBias: false,
                                    log: &log)
            linear.append(linearChange)
            // Exact: norm(resid + δ) − norm(resid), through the same weights.
            var shifted = resid
            shifted.add(delta)
            var after = Tensor(shape: [rows, c.dModel]), before = Tensor(shape: [rows, c.dModel])
            block.attentionNorm.apply(shifted, rows: rows, into: &after)
            block.attentionNorm.apply(resid, rows: rows, into: &before)
            after.add(before, scaledBy: -1, range: 0..<after.count, otherOffset: 0)
            var exactChange = Tensor(shape: [rows, block.layout.activationWidth])
            block.projectHeadInputs(after, rows: rows, positions: positions, into: &exactChange, grouped: &grouped,
                                    includeBias: false, log: &log)
            exact.append(exactChange)
        }
        return LinearInputChanges(
            source: source, firstLayer: source.layer + 1, layout: HeadInputLayout(config: c), linear: linear,
            exact: exact)
    }
}

/// Every later head's input change caused by one source head (`LinearPathPatcher.changes(source:)`).
public struct LinearInputChanges: Sendable {
    public let source: AttentionHead
    /// The first layer covered (the source's layer + 1).
    public let firstLayer: Int
    /// Where each head's inputs sit in the changes.
    public let layout: HeadInputLayout
    /// Per layer from `firstLayer`, `[rows, 3·nHeads·dHead]` in the activation layout of `layout`:
    /// the linearised and the exact change of the heads' inputs.
    public let linear: [Tensor]
    public let exact: [Tensor]

    /// `[rows, dHead]`: one head input's linear (or exact) change.
    public func change(of head: AttentionHead, input: HeadInput, exact useExact: Bool = false) -> Tensor {
        precondition(head.layer >= firstLayer && head.layer < firstLayer + linear.count,
                     "LinearInputChanges: \(head) is not after the source \(source)")
        let layer = (useExact ? exact : linear)[head.layer - firstLayer]
        let rows = layer.count / layout.activationWidth
        var out = Tensor(shape: [rows, layout.dHead])
        out.copyBlocks(from: layer, sourceOffset: layout.activationColumn(input, head: head.head),
                       sourceStride: layout.activationWidth, offset: 0, stride: layout.dHead,
                       blockLength: layout.dHead, blocks: rows)
        return out
    }
}
