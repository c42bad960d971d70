import Tensor
import Transformer

/// One chunk of equal-length prompts: its token batches, read positions and per-prompt loss weights.
struct AttributionChunk {
    /// Indices into the prompt set.
    let indices: [Int]
    let clean: TokenBatch
    let corrupted: TokenBatch?
    /// `[indices.count][nRead]`.
    let reads: [[Int]]
    /// Per prompt of the chunk: EAP-IG's normalisation 1/(N·B_i), B_i the size of the EAP-IG batch holding it.
    let weights: [Double]
    /// The chunk's prompts as a prompt set (answers, read positions) for its metric.
    let prompts: PromptSet
}

/// The buffers of a gradient attribution, reused from chunk to chunk and (`EdgeAttributor`) from run to run.
struct AttributionState {
    var runner: GradientRunner
    /// The tape of the pass being differentiated, and (EAP-IG-activations) the clean run's.
    var tape = ForwardTape()
    var cleanTape = ForwardTape()
    /// `[senders, rows·dModel]`: Δ = patch − clean of every sender.
    var delta = Tensor(shape: [0])
    /// `[senders, rows·dModel]`: the clean outputs (EAP-IG-activations), or the clean embedding (EAP-IG-inputs).
    var clean = Tensor(shape: [0])
    /// A replacement's values or an interpolated embedding.
    var values = Tensor(shape: [0])
    var accumulator: ScoreAccumulator
    /// Receiver gradients summed over an integration's passes, when the memory budget allows (`GradientSum`).
    var sum: GradientSum?
    var forwardPasses = 0
    var backwardPasses = 0

    init(model: TransformerModel, graph: CircuitGraph) {
        runner = GradientRunner(model: model)
        accumulator = ScoreAccumulator(graph: graph, dModel: model.config.dModel)
    }

    /// Zero scores and pass counts for a new run; the buffers stay.
    mutating func startRun() {
        accumulator.scores = [Double](repeating: 0, count: accumulator.scores.count)
        sum = nil
        forwardPasses = 0
        backwardPasses = 0
    }
}

/// The gradient methods, chunk by chunk.
struct GradientAttribution {
    let model: TransformerModel
    let graph: CircuitGraph
    let settings: AttributionSettings
    let layout: SenderLayout
    /// Per-position means of every sender over the reference prompts, by prompt length (mean ablation).
    let means: [Int: Tensor]
    /// Whether the integrating methods sum receiver gradients over their passes before reducing them.
    let sumsGradients: Bool

    /// The forward passes and backward passes one chunk takes.
    func passes() -> (forward: Int, backward: Int) {
        let m = settings.steps
        switch settings.method {
        case .eap: return (settings.ablation == .resample ? 2 : 1, 1)
        case .eapIGInputs: return (m + 1, m)
        case .cleanCorrupted: return (3, 2)
        case .eapIGActivations:
            let groups = 1 + graph.nLayers * (graph.hasMLP ? 2 : 1)
            return ((settings.ablation == .resample ? 2 : 1) + groups * m, groups * m)
        case .exact: return (0, 0)
        }
    }

}
