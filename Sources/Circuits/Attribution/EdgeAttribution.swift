import Tensor
import Transformer

/// Edge attribution: a score for every edge of the circuit graph from gradients (EAP, EAP-IG) or, as a check, from
/// ablating each edge alone (`exact`). Scores follow hannamw/EAP-IG's `attribute` exactly — sign, scaling (the loss
/// is a batch mean and the scores are divided by the prompt count again), interpolation end points — with all
/// prompts in one EAP-IG batch unless `AttributionSettings.eapigBatchSize` says otherwise (see `AttributionMethod`).
///
/// Memory: prompts are processed in chunks whose buffers fit `AttributionSettings.memoryBudget` (`estimatedBytes`):
/// per chunk the senders' Δ (`senders × rows × dModel` floats; EAP-IG-activations also keeps the clean outputs and
/// the clean run's tape), one forward tape (`GradientRunner.estimatedBytes`) and two layers' receiver gradients.
/// Scores are sums over prompts, so chunking changes only their rounding.
public enum EdgeAttribution {
    /// Scores every edge of `graph` (the model's graph by default) on `prompts`: one `EdgeAttributor.run` with
    /// fresh buffers (keep an `EdgeAttributor` to run several attributions on one model).
    public static func run(
        model: TransformerModel, graph: CircuitGraph? = nil, prompts: PromptSet, settings: AttributionSettings,
        progress: (AttributionProgress) -> Void = { _ in }
    ) throws -> AttributionResult {
        var attributor = EdgeAttributor(model: model, graph: graph)
        return try attributor.run(prompts: prompts, settings: settings, progress: progress)
    }

    /// Bytes a chunk of `prompts` prompts of `length` tokens holds (beyond the model's weights); `summing`: with the
    /// receiver gradients of every layer summed over the passes (`GradientSum`).
    public static func estimatedBytes(
        config c: ModelConfig, graph: CircuitGraph, method: AttributionMethod, prompts: Int, length: Int, reads: Int,
        summing: Bool = false
    ) -> Int {
        let rows = prompts * length
        let store = graph.senderCount * rows * c.dModel
        var floats = store + rows * c.dModel * (c.nHeads + 1)  // Δ, interpolated values
        switch method {
        case .eapIGActivations:
            floats += store + c.nLayers * BlockTape.floatCount(config: c, rows: rows)
        case .eapIGInputs:
            floats += 2 * rows * c.dModel
        case .eap, .cleanCorrupted, .exact:
            break
        }
        floats += graph.senderCount * (3 * c.nHeads + 1)
        if summing { floats += GradientSum.floatCount(config: c, rows: rows, reads: prompts * reads) }
        return floats * MemoryLayout<Float>.size + GradientRunner.estimatedBytes(config: c, rows: rows, reads: prompts * reads)
    }

    // MARK: Pieces

    static func validate(model: TransformerModel, graph: CircuitGraph, prompts: PromptSet, settings: AttributionSettings) throws {
        let c = model.config
        guard model.blocks.allSatisfy(\.headOutputsAreAdditive) else {
            throw CircuitsError.executor(.unsupportedModel(
                "\(c.architecture): its post-attention normalisation acts on the sum of the heads, so a head's "
                    + "contribution to the residual stream is not its own output and edges between heads are not defined"))
        }
        guard graph.nLayers == c.nLayers, graph.nHeads == c.nHeads, graph.hasMLP == c.hasMLP,
              graph.separatePositionEmbedding == c.separatePositionEmbedding,
              graph.parallelResidual == c.parallelResidual else {
            throw CircuitsError.executor(.graphMismatch(
                graph: "\(graph.nLayers) layers × \(graph.nHeads) heads", model: "\(c.nLayers) layers × \(c.nHeads) heads"))
        }
        let method = settings.method
        guard method.ablations.contains(settings.ablation) else {
            throw CircuitsError.attribution(.unsupportedAblation(
                method: method.cliName, ablation: settings.ablation.rawValue, supported: method.ablations.map(\.rawValue)))
        }
        if method.usesSteps && settings.steps < 1 {
            throw CircuitsError.attribution(.invalidSetting(name: "the number of steps", value: settings.steps))
        }
        if let b = settings.eapigBatchSize, b < 1 {
            throw CircuitsError.attribution(.invalidSetting(name: "EAP-IG's batch size", value: b))
        }
        if settings.memoryBudget < 1 {
            throw CircuitsError.attribution(.invalidSetting(name: "the memory budget", value: settings.memoryBudget))
        }
        if method != .exact && settings.metric == .ioiNormalized {
            throw CircuitsError.attribution(.unsupportedMetric(
                metric: settings.metric.cliName, reason: "its normalisation uses set-level baselines; use logit-diff, "
                    + "which ranks every edge the same way"))
        }
        if settings.ablation == .resample || method == .eapIGInputs || method == .cleanCorrupted {
            guard prompts.corrupted.count == prompts.count else {
                throw CircuitsError.executor(.missingSource(kind: .resample))
            }
        }
    }

    /// EAP-IG's normalisation per prompt: its loss is the mean over a batch of B prompts and its scores are divided
    /// by the N prompts once more, so prompt i weighs 1/(N·B_i) (batches of `batchSize` in prompt order, the last
    /// one possibly smaller, as a `DataLoader` without shuffling makes them).
    static func eapigWeights(count n: Int, batchSize: Int?) -> [Double] {
        let b = batchSize ?? n
        return (0..<n).map { i in
            let start = (i / b) * b
            let size = min(b, n - start)
            return 1 / (Double(n) * Double(size))
        }
    }

    /// The most prompts (of the set's longest length) per chunk that fit the budget, at least one.
    static func chunkSize(
        config c: ModelConfig, graph: CircuitGraph, prompts: PromptSet, settings: AttributionSettings, summing: Bool
    ) -> Int {
        let length = prompts.clean.map(\.count).max() ?? 1
        var low = 1, high = max(1, prompts.count)
        func fits(_ n: Int) -> Bool {
            estimatedBytes(config: c, graph: graph, method: settings.method, prompts: n, length: length,
                           reads: prompts.readCount, summing: summing) <= settings.memoryBudget
        }
        if fits(high) { return high }
        while low < high {
            let mid = (low + high + 1) / 2
            if fits(mid) { low = mid } else { high = mid - 1 }
        }
        return low
    }

    static func makeChunk(_ batch: PromptBatch, prompts: PromptSet, config: ModelConfig, weights: [Double]) throws -> AttributionChunk {
        let ids = batch.indices
        let subset = try PromptSet(
            task: prompts.task, clean: ids.map { prompts.clean[$0] }, corrupted: ids.map { prompts.corrupted[$0] },
            readPositions: ids.map { prompts.readPositions[$0] }, correct: ids.map { prompts.correct[$0] },
            incorrect: ids.map { prompts.incorrect[$0] }, outputDims: prompts.outputDims)
        let corrupted = prompts.corrupted.isEmpty ? nil : try TokenBatch(subset.corrupted, config: config)
        return AttributionChunk(
            indices: ids, clean: try TokenBatch(subset.clean, config: config), corrupted: corrupted,
            reads: subset.readPositions, weights: ids.map { weights[$0] }, prompts: subset)
    }

    /// Per prompt length, every sender's per-position mean over the reference prompts (the prompt set's
    /// `reference`, else its corrupted prompts), `[senders, length·dModel]` — the executor's mean ablation.
    static func positionMeans(model: TransformerModel, graph: CircuitGraph, prompts: PromptSet) throws -> [Int: Tensor] {
        let reference = prompts.reference ?? prompts.corrupted
        var byLength: [Int: [[Int]]] = [:]
        for prompt in reference { byLength[prompt.count, default: []].append(prompt) }
        var runner = TransformerRunner(model: model)
        var means: [Int: Tensor] = [:]
        for (length, group) in byLength {
            let batch = try TokenBatch(group, config: model.config)
            let run = try runner.run(batch, recording: [.residuals, .headResults, .outputs])
            let values = SenderValues.collect(run.activations, graph: graph, config: model.config)
            means[length] = SenderValues.positionMean(values, prompts: group.count, length: length,
                                                      width: model.config.dModel, broadcastTo: 1)
        }
        return means
    }

    /// `exact`: every edge ablated alone through the edge-patching executor, score = L(ablated) − L(clean).
    static func exact(
        model: TransformerModel, graph: CircuitGraph, prompts: PromptSet, settings: AttributionSettings,
        progress: (AttributionProgress) -> Void
    ) throws -> AttributionResult {
        var executor = try EdgePatchingExecutor(
            model: model, graph: graph, clean: prompts.clean, corrupted: prompts.corrupted,
            reference: prompts.reference ?? prompts.corrupted, ablation: settings.ablation,
            readPositions: .perPrompt(prompts.readPositions))
        let metric = try Metric(kind: settings.metric, promptSet: prompts, fullLogits: executor.cleanLogits,
                                corruptedLogits: executor.corruptedLogits)
        let base = try metric.loss(executor.cleanLogits)
        var circuit = Circuit.full(graph)
        var scores = [Double](repeating: 0, count: graph.edgeCount)
        for e in 0..<graph.edgeCount {
            let edge = EdgeID(e)
            circuit.remove(edge)
            let loss = try metric.loss(executor.logits(keeping: circuit))
            circuit.insert(edge)
            guard loss.isFinite else {
                throw CircuitsError.attribution(.nonFinite(what: "the metric with \(graph.name(of: edge)) ablated"))
            }
            scores[e] = loss - base
            progress(AttributionProgress(pass: e + 1, passes: graph.edgeCount, what: graph.name(of: edge)))
        }
        return AttributionResult(
            settings: settings, scores: scores, prompts: prompts.count, chunks: 1, forwardPasses: graph.edgeCount,
            backwardPasses: 0, estimatedBytes: EdgePatchingExecutor.estimatedBytes(
                config: model.config, rows: prompts.count * (prompts.clean.first?.count ?? 0),
                readRows: prompts.count * prompts.readCount))
    }
}
