import Tensor
import Transformer

/// The gradient methods on one chunk (see `AttributionMethod` for the formulas). Each forward pass that the
/// method differentiates keeps its tape in `tape`; its backward's receiver gradients are reduced against Δ into the
/// scores as they come (`ScoreAccumulator`).
extension AttributionState {
    mutating func run(_ a: GradientAttribution, _ chunk: AttributionChunk, progress: (String) -> Void) throws {
        sum = a.sumsGradients ? GradientSum() : nil
        switch a.settings.method {
        case .eap: try eap(a, chunk, progress)
        case .eapIGInputs: try integratedInputs(a, chunk, progress)
        case .cleanCorrupted: try cleanCorrupted(a, chunk, progress)
        case .eapIGActivations: try integratedActivations(a, chunk, progress)
        case .exact: preconditionFailure("exact scores come from the executor")
        }
        if var pending = sum {
            pending.flush(into: &accumulator, delta: delta)
            sum = nil
        }
    }

    /// EAP: Δ from the patch and the clean run, the gradient at the clean run.
    private mutating func eap(_ a: GradientAttribution, _ chunk: AttributionChunk, _ progress: (String) -> Void) throws {
        try patchValues(a, chunk, keepingZ: true)
        let logits = try runner.forward(chunk.clean, readPositions: chunk.reads, tape: &tape, senders: &delta,
                                        recording: .subtract)
        forwardPasses += 1
        let metric = try a.chunkMetric(chunk, cleanLogits: logits)
        try backward(logits, chunk, metric, factor: 1, what: "the clean run")
        progress("clean-run gradient")
    }

    /// EAP-IG-inputs: m steps from the corrupted input (k = 0) towards the clean one (k = m − 1), a left Riemann
    /// sum that never evaluates the clean end.
    private mutating func integratedInputs(
        _ a: GradientAttribution, _ chunk: AttributionChunk, _ progress: (String) -> Void
    ) throws {
        let corrupted = try a.requireCorrupted(chunk)
        let width = chunk.clean.rows * a.model.config.dModel
        var none = Tensor(shape: [0])
        let cleanLogits = try runner.forward(chunk.clean, readPositions: chunk.reads, tape: &tape, senders: &delta,
                                             recording: .assignKeepingZ)
        forwardPasses += 1
        let metric = try a.chunkMetric(chunk, cleanLogits: cleanLogits)
        a.embeddingSum(of: delta, width: width, into: &clean)
        // Step 0 is the corrupted run itself; its pass also turns the store into Δ = corrupted − clean.
        let m = a.settings.steps
        let logits = try runner.forward(corrupted, readPositions: chunk.reads, tape: &tape, senders: &delta,
                                        recording: .differenceFrom)
        forwardPasses += 1
        try backward(logits, chunk, metric, factor: 1 / Double(m), what: "step 1 of \(m)")
        progress("step 1/\(m)")
        var deltaEmbedding = Tensor(shape: [0])
        a.embeddingSum(of: delta, width: width, into: &deltaEmbedding)
        for k in 1..<max(m, 1) {
            // corrupted + (k/m)(clean − corrupted) = clean + (1 − k/m)·Δ.
            values.resize(to: [width])
            values.setCombination(clean, aOffset: 0, deltaEmbedding, bOffset: 0, factor: 1 - Float(k) / Float(m),
                                  count: width, offset: 0)
            let logits = try runner.forward(chunk.clean, readPositions: chunk.reads, embedding: values, tape: &tape,
                                            senders: &none)
            forwardPasses += 1
            try backward(logits, chunk, metric, factor: 1 / Double(m), what: "step \(k + 1) of \(m)")
            progress("step \(k + 1)/\(m)")
        }
    }

    /// clean-corrupted: the gradients of the corrupted and of the clean run, averaged.
    private mutating func cleanCorrupted(
        _ a: GradientAttribution, _ chunk: AttributionChunk, _ progress: (String) -> Void
    ) throws {
        let corrupted = try a.requireCorrupted(chunk)
        var none = Tensor(shape: [0])
        let cleanLogits = try runner.forward(chunk.clean, readPositions: chunk.reads, tape: &tape, senders: &delta,
                                             recording: .assignKeepingZ)
        forwardPasses += 1
        let metric = try a.chunkMetric(chunk, cleanLogits: cleanLogits)
        let logits = try runner.forward(corrupted, readPositions: chunk.reads, tape: &tape, senders: &delta,
                                        recording: .differenceFrom)
        forwardPasses += 1
        try backward(logits, chunk, metric, factor: 0.5, what: "the corrupted run")
        progress("corrupted-run gradient")
        let again = try runner.forward(chunk.clean, readPositions: chunk.reads, tape: &tape, senders: &none)
        forwardPasses += 1
        try backward(again, chunk, metric, factor: 0.5, what: "the clean run")
        progress("clean-run gradient")
    }

    /// EAP-IG-activations: for each group (the input, each layer's heads, each MLP) and k = 1 … m, the group
    /// outputs (k/m)·clean + (1 − k/m)·patch as a constant, everything downstream is recomputed, and the gradient
    /// is taken at every receiver (a right Riemann sum that includes the clean end).
    private mutating func integratedActivations(
        _ a: GradientAttribution, _ chunk: AttributionChunk, _ progress: (String) -> Void
    ) throws {
        let c = a.model.config
        let width = chunk.clean.rows * c.dModel
        var none = Tensor(shape: [0])
        let cleanLogits = try runner.forward(chunk.clean, readPositions: chunk.reads, tape: &cleanTape,
                                             senders: &clean, recording: .assign)
        forwardPasses += 1
        let metric = try a.chunkMetric(chunk, cleanLogits: cleanLogits)
        try patchValues(a, chunk)
        delta.add(clean, scaledBy: -1, range: 0..<delta.count, otherOffset: 0)
        var groups: [GradientAttribution.OutputGroup] = [.embedding]
        for layer in 0..<c.nLayers {
            groups.append(.heads(layer))
            if c.hasMLP { groups.append(.mlp(layer)) }
        }
        let m = a.settings.steps
        let factor = 1 / Double(groups.count * m)
        var cleanEmbedding = Tensor(shape: [0]), deltaEmbedding = Tensor(shape: [0])
        a.embeddingSum(of: clean, width: width, into: &cleanEmbedding)
        a.embeddingSum(of: delta, width: width, into: &deltaEmbedding)
        for (g, group) in groups.enumerated() {
            for k in 1...m {
                // (k/m)·clean + (1 − k/m)·patch = clean + (1 − k/m)·Δ.
                let beta = 1 - Float(k) / Float(m)
                let logits: Tensor
                switch group {
                case .embedding:
                    values.resize(to: [width])
                    values.setCombination(cleanEmbedding, aOffset: 0, deltaEmbedding, bOffset: 0, factor: beta,
                                          count: width, offset: 0)
                    logits = try runner.forward(chunk.clean, readPositions: chunk.reads, embedding: values,
                                                tape: &tape, senders: &none)
                case .heads(let layer):
                    let first = a.layout.head(layer: layer, head: 0)
                    values.resize(to: [c.nHeads, width])
                    values.setCombination(clean, aOffset: first * width, delta, bOffset: first * width, factor: beta,
                                          count: c.nHeads * width, offset: 0)
                    tape.shareLayers(below: layer + 1, of: cleanTape)
                    logits = try runner.forward(chunk.clean, readPositions: chunk.reads,
                                                replacing: .heads(layer: layer, values: values), tape: &tape,
                                                senders: &none)
                case .mlp(let layer):
                    let row = a.layout.mlp(layer: layer) ?? 0
                    values.resize(to: [width])
                    values.setCombination(clean, aOffset: row * width, delta, bOffset: row * width, factor: beta,
                                          count: width, offset: 0)
                    tape.shareLayers(below: layer + 1, of: cleanTape)
                    logits = try runner.forward(chunk.clean, readPositions: chunk.reads,
                                                replacing: .mlp(layer: layer, values: values), tape: &tape,
                                                senders: &none)
                }
                forwardPasses += 1
                try backward(logits, chunk, metric, factor: factor,
                             what: "group \(g + 1) of \(groups.count), step \(k) of \(m)")
                progress("group \(g + 1)/\(groups.count), step \(k)/\(m)")
            }
        }
    }

    /// The patch values into `delta`: the corrupted run's outputs, zeros, or the per-position means. `keepingZ`:
    /// the corrupted run's heads are left for the clean pass to difference (`SenderRecording.assignKeepingZ`).
    private mutating func patchValues(_ a: GradientAttribution, _ chunk: AttributionChunk, keepingZ: Bool = false) throws {
        let width = chunk.clean.rows * a.model.config.dModel
        switch a.settings.ablation {
        case .resample:
            let corrupted = try a.requireCorrupted(chunk)
            // Its tape is not needed: written into the working tape, which the next pass overwrites.
            _ = try runner.forward(corrupted, readPositions: chunk.reads, tape: &tape, senders: &delta,
                                   recording: keepingZ ? .assignKeepingZ : .assign, logits: false)
            forwardPasses += 1
        case .zero:
            delta.resize(to: [a.layout.count, width])
            delta.fill(0)
        case .mean:
            guard let mean = a.means[chunk.clean.length] else {
                throw CircuitsError.executor(.sourceShapeMismatch(
                    kind: .mean, expected: "\(chunk.clean.length) tokens long",
                    found: "no reference prompt of that length"))
            }
            delta.resize(to: [a.layout.count, width])
            let block = chunk.clean.length * a.model.config.dModel
            for sender in 0..<a.layout.count {
                for b in 0..<chunk.indices.count {
                    let start = sender * width + b * block
                    delta.copy(from: mean, range: start..<(start + block), otherOffset: sender * block)
                }
            }
        }
    }

    /// The backward of the pass that gave `logits` (its tape in `tape`), reduced into the scores.
    private mutating func backward(
        _ logits: Tensor, _ chunk: AttributionChunk, _ metric: Metric, factor: Double, what: String
    ) throws {
        guard logits.allFinite() else { throw CircuitsError.attribution(.nonFinite(what: "the logits of \(what)")) }
        let (_, gradient) = try metric.lossGradient(
            logits, prompts: Array(0..<chunk.indices.count), weights: chunk.weights.map { $0 * factor })
        guard gradient.allFinite() else {
            throw CircuitsError.attribution(.nonFinite(what: "the metric's gradient in \(what)"))
        }
        if var summing = sum {
            sum = nil
            Self.backward(runner: &runner, tape: tape, gradient: gradient, sum: &summing)
            sum = summing
        } else {
            let store = delta
            Self.backward(runner: &runner, tape: tape, gradient: gradient, accumulator: &accumulator, delta: store)
        }
        backwardPasses += 1
    }

    private static func backward(
        runner: inout GradientRunner, tape: ForwardTape, gradient: Tensor, accumulator: inout ScoreAccumulator,
        delta: Tensor
    ) {
        runner.backward(tape, logitGradient: gradient) { accumulator.add($0, delta: delta) }
    }

    private static func backward(runner: inout GradientRunner, tape: ForwardTape, gradient: Tensor, sum: inout GradientSum) {
        runner.backward(tape, logitGradient: gradient) { sum.add($0) }
    }
}

extension GradientAttribution {
    enum OutputGroup {
        case embedding
        case heads(Int)
        case mlp(Int)
    }

    /// The metric of the chunk, bound to its clean logits (KL's reference distribution, l2's reference outputs).
    func chunkMetric(_ chunk: AttributionChunk, cleanLogits: Tensor) throws -> Metric {
        guard cleanLogits.allFinite() else { throw CircuitsError.attribution(.nonFinite(what: "the clean run's logits")) }
        return try Metric(kind: settings.metric, promptSet: chunk.prompts, fullLogits: cleanLogits)
    }

    func requireCorrupted(_ chunk: AttributionChunk) throws -> TokenBatch {
        guard let corrupted = chunk.corrupted else { throw CircuitsError.executor(.missingSource(kind: .resample)) }
        return corrupted
    }

    /// `out = Σ` of the embedding senders' rows of `store` (the token and the position embedding when apart).
    func embeddingSum(of store: Tensor, width: Int, into out: inout Tensor) {
        out.resize(to: [width])
        out.copy(from: store, range: 0..<width, otherOffset: 0)
        for row in 1..<layout.embedCount { out.add(store, range: 0..<width, otherOffset: row * width) }
    }
}
