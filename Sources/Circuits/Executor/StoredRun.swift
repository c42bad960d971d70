import Tensor
import Transformer

/// What the executor keeps of one source run (the clean prompts, or the ablation source), extracted from a
/// recorded forward pass whose activation store is released as soon as the extraction is done, so that building an
/// executor holds at most one recorded run at a time.
struct StoredRun {
    /// `[batch, read, dVocabOut]` logits of the run (nil for zero and mean ablation).
    var logits: Tensor?
    var readPositions: [[Int]]
    /// `[senders, rows·dModel]`: every sender's output.
    var values: Tensor
    /// Per layer `[rows, nHeads·dHead]`: q, k, v (the clean run's for sparse tests; the ablation source's for
    /// severed head inputs).
    var q: [Tensor] = []
    var k: [Tensor] = []
    var v: [Tensor] = []
    /// `[nLayers, rows·dModel]`, `[nLayers, rows·dModel]`, `[rows·dModel]`: the clean residual stream.
    var residPre = Tensor(shape: [0])
    var residMid = Tensor(shape: [0])
    var residPost = Tensor(shape: [0])
    /// `[2·nLayers + 1, rows·dModel]`: the ablation source's residual stream — resid_pre L at row L, resid_mid L at
    /// row nLayers + L, resid_post at row 2·nLayers — which is Σ patch(s) + biases (`patchedResiduals`).
    var sourceResiduals = Tensor(shape: [0])

    /// The clean run: logits, sender outputs, every head's q, k and v (what a sparse test reads for a head input
    /// the circuit leaves clean), and the residual stream at every layer boundary.
    static func clean(
        runner: inout TransformerRunner, batch: TokenBatch, readPositions: ReadPositions, graph: CircuitGraph
    ) throws -> StoredRun {
        let c = runner.model.config
        let run = try runner.run(
            batch, readPositions: readPositions, recording: [.residuals, .attention, .headResults, .outputs])
        let layers = run.activations.layers
        var stored = StoredRun(
            logits: run.logits, readPositions: run.readPositions,
            values: SenderValues.collect(run.activations, graph: graph, config: c),
            q: layers.map(\.q), k: layers.map(\.k), v: layers.map(\.v))
        let width = batch.rows * c.dModel
        var pre = Tensor(shape: [c.nLayers, width])
        var mid = Tensor(shape: [c.nLayers, width])
        for l in 0..<c.nLayers {
            pre.copy(from: run.activations.layers[l].residPre, range: (l * width)..<((l + 1) * width), otherOffset: 0)
            mid.copy(from: run.activations.layers[l].residMid, range: (l * width)..<((l + 1) * width), otherOffset: 0)
        }
        stored.residPre = pre
        stored.residMid = mid
        stored.residPost = run.activations.residPost
        return stored
    }

    /// The ablation source: the corrupted run (resample), zeros, or the per-position mean over `reference`.
    static func patch(
        _ ablation: AblationKind, runner: inout TransformerRunner, clean batch: TokenBatch, corrupted: [[Int]]?,
        reference: [[Int]]?, readPositions: [[Int]], graph: CircuitGraph
    ) throws -> StoredRun {
        let c = runner.model.config
        let recording: ActivationRecording = [.residuals, .attention, .headResults, .outputs]
        switch ablation {
        case .zero:
            let zero = Array(repeating: Tensor(shape: [batch.rows, c.dAttention]), count: c.nLayers)
            var stored = StoredRun(
                logits: nil, readPositions: readPositions,
                values: Tensor(shape: [graph.senderCount, batch.rows * c.dModel]), q: zero, k: zero, v: zero)
            stored.sourceResiduals = biasResiduals(runner.model, rows: batch.rows)
            return stored
        case .resample:
            guard let corrupted else { throw CircuitsError.executor(.missingSource(kind: .resample)) }
            let source = try TokenBatch.corrupted(corrupted, pairedWith: batch, config: c)
            let run = try runner.run(source, readPositions: .perPrompt(readPositions), recording: recording)
            let layers = run.activations.layers
            var stored = StoredRun(
                logits: run.logits, readPositions: readPositions,
                values: SenderValues.collect(run.activations, graph: graph, config: c),
                q: layers.map(\.q), k: layers.map(\.k), v: layers.map(\.v))
            stored.sourceResiduals = residualRows(run.activations, config: c)
            return stored
        case .mean:
            guard let reference, !reference.isEmpty else { throw CircuitsError.executor(.missingSource(kind: .mean)) }
            let source = try TokenBatch(reference, config: c)
            guard source.length == batch.length else {
                throw CircuitsError.executor(.sourceShapeMismatch(
                    kind: .mean, expected: "\(batch.length) tokens long", found: "\(source.length) tokens long"))
            }
            let run = try runner.run(source, recording: recording)
            let values = SenderValues.collect(run.activations, graph: graph, config: c)
            func mean(_ t: Tensor) -> Tensor {
                SenderValues.positionMean(t.reshaped([1, t.count]), prompts: source.batch, length: source.length,
                                          width: c.dAttention, broadcastTo: batch.batch)
                    .reshaped([batch.rows, c.dAttention])
            }
            let layers = run.activations.layers
            var stored = StoredRun(
                logits: nil, readPositions: readPositions,
                values: SenderValues.positionMean(values, prompts: source.batch, length: source.length,
                                                  width: c.dModel, broadcastTo: batch.batch),
                q: layers.map { mean($0.q) }, k: layers.map { mean($0.k) }, v: layers.map { mean($0.v) })
            stored.sourceResiduals = SenderValues.positionMean(
                residualRows(run.activations, config: c), prompts: source.batch, length: source.length,
                width: c.dModel, broadcastTo: batch.batch)
            return stored
        }
    }

    /// `[2·nLayers + 1, rows·dModel]`: resid_pre of every layer, resid_mid of every layer, resid_post.
    static func residualRows(_ acts: ActivationStore, config c: ModelConfig) -> Tensor {
        let w = acts.batch * acts.length * c.dModel
        var out = Tensor(shape: [2 * c.nLayers + 1, w])
        for l in 0..<c.nLayers {
            out.copy(from: acts.layers[l].residPre, range: (l * w)..<((l + 1) * w), otherOffset: 0)
            out.copy(from: acts.layers[l].residMid, range: ((c.nLayers + l) * w)..<((c.nLayers + l + 1) * w),
                     otherOffset: 0)
        }
        out.copy(from: acts.residPost, range: (2 * c.nLayers * w)..<((2 * c.nLayers + 1) * w), otherOffset: 0)
        return out
    }

    /// The residual stream of a run where every sender outputs zero: only the attention output biases b_O, which
    /// no graph node owns, accumulate (resid_pre L = Σ_{l<L} b_O(l), resid_mid L adds b_O(L)).
    static func biasResiduals(_ model: TransformerModel, rows: Int) -> Tensor {
        let c = model.config
        let d = c.dModel, w = rows * d
        var out = Tensor(shape: [2 * c.nLayers + 1, w])
        var running = Tensor(shape: [d])
        func write(row: Int) {
            for r in 0..<rows { out.copy(from: running, range: (row * w + r * d)..<(row * w + (r + 1) * d), otherOffset: 0) }
        }
        for l in 0..<c.nLayers {
            write(row: l)
            let bias = model.blocks[l].attentionOutputBias
            if bias.count == d { running.add(bias) }
            write(row: c.nLayers + l)
        }
        write(row: 2 * c.nLayers)
        return out
    }
}
