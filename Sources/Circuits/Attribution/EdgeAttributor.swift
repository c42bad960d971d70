import Tensor
import Transformer

/// Edge attribution that keeps its buffers between runs, as `TransformerRunner` keeps its scratch.
///
/// A gradient attribution holds large buffers: on GPT-2 small with 100 prompts × 15 tokens, the senders' Δ
/// (0.7 GB), the forward tape (0.5 GB) and two layers' receiver gradients (0.3 GB), about 1.75 GB in all. A fresh
/// buffer costs a page fault and a page cleared by the kernel for every 4 KiB it holds, the first time it is
/// written: about 0.3 s of a 2 s forward pass for those 1.75 GB on the development machine. `EdgeAttribution.run`
/// pays that on every call; an attributor pays it on its first run only, so a researcher attributing several
/// tasks, metrics or methods on one model (or a benchmark timing a run after a run, as it times a forward pass
/// after a forward pass) does not pay it again. Results do not depend on what ran before: every buffer a run
/// reads is written by that run first (tests compare a reused attributor's scores with a fresh one's, bit for
/// bit).
///
/// Memory stays held until the attributor is released; it grows to the largest chunk run so far.
public struct EdgeAttributor {
    public let model: TransformerModel
    public let graph: CircuitGraph
    var state: AttributionState

    /// An attributor for `graph` (the model's graph by default). Allocates nothing large until it runs.
    public init(model: TransformerModel, graph: CircuitGraph? = nil) {
        self.model = model
        self.graph = graph ?? CircuitGraph(config: model.config)
        state = AttributionState(model: model, graph: self.graph)
    }

    /// Scores every edge of the graph on `prompts`.
    ///
    /// - Parameters:
    ///   - progress: called after every backward pass (every edge for `exact`).
    /// - Throws: `CircuitsError.attribution` for settings the method does not support and for NaN or infinite
    ///   values; `CircuitsError.executor` for models without an edge graph (Gemma 2) or missing ablation sources;
    ///   `CircuitsError.metric` and `TransformerError` for prompts the model or the metric cannot take.
    public mutating func run(
        prompts: PromptSet, settings: AttributionSettings, progress: (AttributionProgress) -> Void = { _ in }
    ) throws -> AttributionResult {
        let c = model.config
        try EdgeAttribution.validate(model: model, graph: graph, prompts: prompts, settings: settings)
        if settings.method == .exact {
            return try EdgeAttribution.exact(model: model, graph: graph, prompts: prompts, settings: settings,
                                             progress: progress)
        }

        let layout = SenderLayout(config: c)
        let means = settings.ablation == .mean
            ? try EdgeAttribution.positionMeans(model: model, graph: graph, prompts: prompts) : [:]
        let weights = EdgeAttribution.eapigWeights(count: prompts.count, batchSize: settings.eapigBatchSize)
        // Integrating methods sum their passes' gradients when every prompt fits in one chunk that way.
        let summing = (settings.method == .eapIGInputs || settings.method == .eapIGActivations)
            && EdgeAttribution.chunkSize(config: c, graph: graph, prompts: prompts, settings: settings, summing: true)
                >= prompts.count
        let attribution = GradientAttribution(model: model, graph: graph, settings: settings, layout: layout,
                                              means: means, sumsGradients: summing)
        let perChunk = EdgeAttribution.chunkSize(config: c, graph: graph, prompts: prompts, settings: settings,
                                                 summing: summing)
        let chunks = prompts.batches(maxBatchSize: perChunk)
        let (forwardPerChunk, backwardPerChunk) = attribution.passes()
        state.startRun()
        var largest = 0
        var done = 0
        for (index, batch) in chunks.enumerated() {
            let chunk = try EdgeAttribution.makeChunk(batch, prompts: prompts, config: c, weights: weights)
            largest = max(largest, EdgeAttribution.estimatedBytes(
                config: c, graph: graph, method: settings.method, prompts: batch.indices.count, length: batch.length,
                reads: prompts.readCount, summing: summing))
            let label = chunks.count > 1 ? "chunk \(index + 1)/\(chunks.count), " : ""
            try state.run(attribution, chunk) { what in
                done += 1
                progress(AttributionProgress(pass: done, passes: backwardPerChunk * chunks.count, what: label + what))
            }
        }
        let scores = state.accumulator.scores
        guard scores.allSatisfy(\.isFinite) else { throw CircuitsError.attribution(.nonFinite(what: "the edge scores")) }
        precondition(state.forwardPasses == forwardPerChunk * chunks.count, "attribution ran an unexpected number of passes")
        return AttributionResult(
            settings: settings, scores: scores, prompts: prompts.count, chunks: chunks.count,
            forwardPasses: state.forwardPasses, backwardPasses: state.backwardPasses, estimatedBytes: largest)
    }
}
