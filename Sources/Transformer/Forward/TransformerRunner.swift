import Tensor

/// Runs a model's forward pass on batches of equal-length prompts, reusing its scratch buffers between calls.
///
/// The pass follows Hugging Face's eager implementation of each family (`GPT2LMHeadModel`, `LlamaForCausalLM`,
/// `Qwen2ForCausalLM`, `GPTNeoXForCausalLM`, `Gemma2ForCausalLM`) and, for models without normalisation or MLPs
/// (tracr), TransformerLens's `HookedTransformer` with the same weights. Every block computation is the block
/// layer's (`TransformerBlock`); this type orders them, applies interventions and records activations.
///
/// A runner is a value owning its scratch: keep one per thread of work and call `run` repeatedly. Only recording
/// allocates per call.
public struct TransformerRunner {
    public let model: TransformerModel

    /// `[rows, dModel]`: the residual stream.
    private var resid = Tensor(shape: [0])
    /// `[rows, dModel]`: LayerNorm output.
    private var normed = Tensor(shape: [0])
    /// `[rows, 3·nHeads·dHead]`: every head's q, k, v (the ungrouped layout of `HeadInputLayout`).
    private var qkv = Tensor(shape: [0])
    /// `[rows, nHeads·dHead]`: heads' z side by side.
    private var z = Tensor(shape: [0])
    /// `[rows, dModel]`: attention output and, later, MLP output.
    private var blockOut = Tensor(shape: [0])
    /// The MLP's scratch.
    private var mlpScratch = MLPScratch(config: .gpt2Small, rows: 0)
    /// `[rows, dModel]`: the MLP's input under a parallel residual (the block's input).
    private var mlpInput = Tensor(shape: [0])
    /// `[rows, (nHeads + 2·nKVHeads)·dHead]`: grouped q, k, v before they are copied per query head.
    private var grouped = Tensor(shape: [0])
    /// The products issued (not recorded unless a benchmark asks).
    private var log = MatrixProductLog()
    /// `[batch, nHeads, length, length]`: attention pattern scratch (written only when recorded).
    private var pattern = Tensor(shape: [0])
    /// `[read rows, dModel]`: final-LayerNorm rows at the read positions.
    private var finalRows = Tensor(shape: [0])
    /// `[read rows, dVocabOut]`: the logits of the last run.
    private var logits = Tensor(shape: [0])

    public init(model: TransformerModel) {
        self.model = model
    }

    /// The logits at `readPositions` (and, when asked, the recorded activations) for `batch`.
    public mutating func run(
        _ batch: TokenBatch, readPositions: ReadPositions = .last, recording: ActivationRecording = []
    ) throws -> ForwardResult {
        try pass(batch, readPositions: readPositions, recording: recording, interventions: nil)
    }

    /// The same pass with `interventions` applied: replaced activations feed everything downstream, recorded head
    /// activations come back in `ForwardResult.headRecords` (see `ForwardInterventions`). An empty
    /// `ForwardInterventions` gives exactly the plain pass.
    ///
    /// - Throws: `TransformerError.interventionShapeMismatch` when a replacement's values do not have one row per
    ///   token row of `batch`, `.positionOutOfRange` for positions outside the prompts.
    public mutating func run(
        _ batch: TokenBatch, readPositions: ReadPositions = .last, recording: ActivationRecording = [],
        interventions: ForwardInterventions
    ) throws -> ForwardResult {
        try pass(batch, readPositions: readPositions, recording: recording,
                 interventions: interventions.isEmpty ? nil : interventions)
    }

    private mutating func pass(
        _ batch: TokenBatch, readPositions: ReadPositions, recording: ActivationRecording,
        interventions: ForwardInterventions?
    ) throws -> ForwardResult {
        let config = model.config
        let rows = batch.rows
        let dModel = config.dModel
        let positions = try readPositions.resolve(batch: batch.batch, length: batch.length)
        let readCount = positions.first?.count ?? 0
        let plan = try interventions.map { try InterventionPlan($0, config: config, batch: batch) }
        prepareScratch(rows: rows, batch: batch.batch, length: batch.length)
        let firstLayer = plan?.firstLayer ?? 0
        let lastLayer = plan?.lastLayer ?? config.nLayers - 1
        var records = plan.map { HeadRecordings(nLayers: $0.nLayers, nHeads: $0.nHeads) } ?? HeadRecordings()

        var store = ActivationStore(batch: batch.batch, length: batch.length, layers: config.nLayers)
        if recording.contains(.residuals) {
            var te = Tensor(shape: [rows, dModel])
            model.embedding.embed(batch, into: &te, positions: false)
            var pe = Tensor(shape: [rows, dModel])
            model.embedding.embed(batch, into: &pe, tokens: false)
            store.tokenEmbedding = te
            store.positionEmbedding = pe
        }
        if let resume = plan?.resumeResidual {
            resid.copy(from: resume, range: 0..<(rows * dModel), otherOffset: 0)
        } else {
            model.embedding.embed(batch, into: &resid)
        }

        for layer in firstLayer...lastLayer {
            let block = model.blocks[layer]
            // Only layers with interventions look them up; the others run the plain code.
            let local = plan?.touches(layer: layer) == true ? plan : nil
            local?.apply(.residPre, layer: layer, to: &resid)
            if recording.contains(.residuals) { store.layers[layer].residPre = resid }
            // GPT-NeoX's parallel residual: the MLP reads the block's input, not the attention's output.
            if block.parallelResidual && block.hasMLP { mlpInput.copy(from: resid, range: 0..<(rows * dModel), otherOffset: 0) }
            attentionBlock(block, batch: batch, recording: recording, into: &store.layers[layer],
                           plan: local, records: &records)
            resid.add(blockOut)
            local?.apply(.residMid, layer: layer, to: &resid)
            if recording.contains(.residuals) { store.layers[layer].residMid = resid }
            if block.hasMLP {
                block.mlp(block.parallelResidual ? mlpInput : resid, rows: rows, scratch: &mlpScratch,
                          into: &blockOut, log: &log)
                local?.apply(.mlpOut, layer: layer, to: &blockOut)
                if recording.contains(.outputs) { store.layers[layer].mlpOut = blockOut }
                resid.add(blockOut)
            }
            local?.apply(.residPost, layer: layer, to: &resid)
        }
        guard lastLayer == config.nLayers - 1 else {
            return ForwardResult(
                logits: Tensor(shape: [batch.batch, readCount, 0]), readPositions: positions, activations: store,
                headRecords: records)
        }
        if recording.contains(.residuals) { store.residPost = resid }
        let head = model.unembedding
        if recording.contains(.outputs) {
            var normalised = Tensor(shape: [rows, dModel])
            head.norm.apply(resid, rows: rows, into: &normalised)
            store.lnFinal = normalised
        }

        // Final normalisation and unembedding only at the read positions.
        let readRows = batch.batch * readCount
        finalRows.resize(to: [readRows, dModel])
        for b in 0..<batch.batch {
            for (r, p) in positions[b].enumerated() {
                head.norm.apply(resid, inputRow: b * batch.length + p, rows: 1, into: &finalRows,
                                outputRow: b * readCount + r)
            }
        }
        // The logits buffer is reused: the result shares it, and the next run writes in place once the caller has
        // let the previous result go (copy-on-write otherwise).
        logits.resize(to: [readRows, config.dVocabOut])
        head.project(finalRows, rows: readRows, into: &logits, log: &log)
        return ForwardResult(
            logits: logits.reshaped([batch.batch, readCount, config.dVocabOut]),
            readPositions: positions, activations: store, headRecords: records)
    }

    /// Sizes the scratch buffers for `rows` token rows (no allocation when the shape is unchanged).
    private mutating func prepareScratch(rows: Int, batch: Int, length: Int) {
        let c = model.config
        resid.resize(to: [rows, c.dModel])
        normed.resize(to: [rows, c.dModel])
        let layout = HeadInputLayout(config: c)
        qkv.resize(to: [rows, layout.activationWidth])
        z.resize(to: [rows, layout.headsWidth])
        blockOut.resize(to: [rows, c.dModel])
        if c.parallelResidual && c.hasMLP { mlpInput.resize(to: [rows, c.dModel]) }
        if mlpScratch.normed.count != rows * c.dModel { mlpScratch = MLPScratch(config: c, rows: rows) }
        pattern.resize(to: [batch, c.nHeads, length, length])
    }

    /// `blockOut = attention(norm₁(resid))` including b_O (and Gemma 2's post-attention norm).
    private mutating func attentionBlock(
        _ block: TransformerBlock, batch: TokenBatch, recording: ActivationRecording,
        into record: inout LayerActivations, plan: InterventionPlan?, records: inout HeadRecordings
    ) {
        let layer = block.layer
        let rows = batch.rows
        let layout = block.layout
        let dh = block.dHead, width = layout.activationWidth
        let recordPattern = recording.contains(.attention)
        // When every head's z is replaced everywhere and nothing reads q, k or v, the heads need not run at all.
        let zOnly = !recordPattern && plan?.replacesEveryZ(layer: layer) == true
        if !zOnly {
            block.attentionNorm.apply(resid, rows: rows, into: &normed)
            block.projectHeadInputs(normed, rows: rows, positions: RowPositions(length: batch.length), into: &qkv,
                                    grouped: &grouped, log: &log)
            plan?.applyQKV(layer: layer, layout: layout, to: &qkv, records: &records)
        }

        let T = batch.length
        for h in 0..<block.nHeads where !zOnly {
            // A head whose z is replaced at every position need not attend (unless its pattern is recorded).
            if !recordPattern, plan?.replacesEveryRow(.z, layer: layer, head: h) == true { continue }
            let patternReplaced = plan?.replacesPattern(layer: layer, head: h) == true
            block.attend(
                q: qkv, .init(offset: layout.activationColumn(.q, head: h), rowStride: width),
                k: qkv, .init(offset: layout.activationColumn(.k, head: h), rowStride: width),
                v: qkv, .init(offset: layout.activationColumn(.v, head: h), rowStride: width),
                batch: batch.batch, length: T,
                pattern: &pattern, patternOffset: recordPattern || patternReplaced ? h * T * T : nil,
                patternBatchStride: block.nHeads * T * T,
                z: &z, .init(offset: h * dh, rowStride: layout.headsWidth))
            if patternReplaced {
                plan?.applyPattern(layer: layer, head: h, length: T, layout: layout, qkv: qkv, pattern: &pattern, z: &z)
            }
        }
        plan?.applyZ(layer: layer, to: &z, records: &records)

        block.attentionOutput(z, rows: rows, into: &blockOut, normed: &normed, log: &log)
        plan?.apply(.attnOut, layer: layer, to: &blockOut)

        if recording.contains(.attention) {
            record.q = Self.columns(of: qkv, from: layout.activationColumn(.q, head: 0), width: layout.headsWidth, rows: rows)
            record.k = Self.columns(of: qkv, from: layout.activationColumn(.k, head: 0), width: layout.headsWidth, rows: rows)
            record.v = Self.columns(of: qkv, from: layout.activationColumn(.v, head: 0), width: layout.headsWidth, rows: rows)
            record.z = z
            record.pattern = pattern
        }
        if recording.contains(.outputs) { record.attnOut = blockOut }
        if recording.contains(.headResults) {
            let d = block.dModel
            var results = Tensor(shape: [rows, block.nHeads, d])
            for h in 0..<block.nHeads {
                block.headOutput(z, MatrixSlice(offset: h * dh, rows: rows, cols: dh, rowStride: layout.headsWidth),
                                 head: h, into: &results,
                                 MatrixSlice(offset: h * d, rows: rows, cols: d, rowStride: block.nHeads * d), log: &log)
            }
            record.headResults = results
        }
    }

    /// Columns `from ..< from + width` of a `[rows, *]` tensor as a new `[rows, width]` tensor.
    static func columns(of t: Tensor, from: Int, width: Int, rows: Int) -> Tensor {
        let stride = t.count / max(rows, 1)
        var out = Tensor(shape: [rows, width])
        for r in 0..<rows {
            out.copy(from: t, range: (r * width)..<((r + 1) * width), otherOffset: r * stride + from)
        }
        return out
    }
}
