import Foundation
import Testing
import Tensor
import Transformer
@testable import Circuits

/// Edge attribution beyond the EAP-IG reference: every architecture against a plain edge-by-edge sum, chunking,
/// the ablations EAP-IG's reference does not cover, the metric gradients, and the errors.
@Suite struct AttributionTests {
    /// Prompts of `ArchitectureCircuitTests` as a prompt set (logit difference of its chosen answers).
    static func prompts(_ model: TransformerModel) throws -> PromptSet {
        let p = try ArchitectureCircuitTests.prompts(model)
        return try PromptSet(
            task: "random", clean: p.clean, corrupted: p.corrupted,
            readPositions: Array(repeating: [p.clean[0].count - 1], count: p.clean.count),
            correct: p.answer.map { [$0] }, incorrect: p.wrong.map { [$0] })
    }

    /// EAP written out plainly: Δ from recorded runs of the forward runner, the receiver gradients of the
    /// backward, and ⟨Δ_s, g_r⟩ summed edge by edge in Double — on every family with an edge graph (GQA, rotary,
    /// parallel residual, gated MLPs), against the BLAS reduction of `ScoreAccumulator` (Float products, so to
    /// rounding relative to the sum of the terms' magnitudes).
    static let plainSumCases: [(String, AblationKind)] = ArchitectureCircuitTests.families.map { ($0, .resample) }
        + AblationKind.allCases.map { ("tiny-gpt2", $0) }

    @Test(arguments: plainSumCases)
    func eapEqualsThePlainSum(family: String, ablation: AblationKind) throws {
        let model = family == "tiny-gpt2" ? try ExecutorFixtures.tinyGPT2() : try ArchitectureCircuitTests.model(family)
        let c = model.config
        let graph = CircuitGraph(config: c)
        let prompts = try Self.prompts(model)
        let result = try EdgeAttribution.run(model: model, graph: graph, prompts: prompts,
                                             settings: AttributionSettings(method: .eap, metric: .logitDiff, ablation: ablation))

        let clean = try TokenBatch(prompts.clean, config: c), corrupted = try TokenBatch(prompts.corrupted, config: c)
        var runner = TransformerRunner(model: model)
        let recording: ActivationRecording = [.residuals, .headResults, .outputs]
        let cleanRun = try runner.run(clean, readPositions: .perPrompt(prompts.readPositions), recording: recording)
        let corruptedRun = try runner.run(corrupted, recording: recording)
        let cleanValues = SenderValues.collect(cleanRun.activations, graph: graph, config: c)
        // The patch: the corrupted outputs, zero, or their mean over the prompts at each position.
        var patchValues = SenderValues.collect(corruptedRun.activations, graph: graph, config: c)
        let rowsPerPrompt = prompts.clean[0].count * c.dModel
        for s in 0..<graph.senderCount {
            for i in 0..<rowsPerPrompt {
                var mean = 0.0
                for b in 0..<prompts.count { mean += Double(patchValues[flat: (s * prompts.count + b) * rowsPerPrompt + i]) }
                mean /= Double(prompts.count)
                for b in 0..<prompts.count {
                    let at = (s * prompts.count + b) * rowsPerPrompt + i
                    patchValues[flat: at] = ablation == .zero ? 0 : ablation == .mean ? Float(mean) : patchValues[flat: at]
                }
            }
        }
        let metric = try Metric(kind: .logitDiff, promptSet: prompts, fullLogits: cleanRun.logits)
        let n = Double(prompts.count)
        let (_, seed) = try metric.lossGradient(cleanRun.logits, prompts: Array(0..<prompts.count),
                                                weights: Array(repeating: 1 / (n * n), count: prompts.count))
        var gradient = GradientRunner(model: model)
        var tape = ForwardTape()
        var none = Tensor(shape: [0])
        try gradient.forward(clean, readPositions: prompts.readPositions, tape: &tape, senders: &none)
        let rows = clean.rows, d = c.dModel, width = rows * d
        var byReceiver: [NodeID: [Float]] = [:]
        gradient.backward(tape, logitGradient: seed) { received in
            switch received {
            case let .final(g, readRows):
                var full = [Float](repeating: 0, count: width)
                for (i, row) in readRows.enumerated() { for j in 0..<d { full[row * d + j] = g[flat: i * d + j] } }
                byReceiver[graph.residPost] = full
            case .layers:
                for (layer, g) in received.perLayer {
                    for h in 0..<c.nHeads {
                        for input in HeadInput.allCases {
                            let o = (3 * h + input.index) * width
                            byReceiver[graph.headInputReceiver(layer: layer, head: h, input: input)] = Array(g.scalars[o..<(o + width)])
                        }
                    }
                    if let mlp = graph.mlpInputReceiver(layer: layer) {
                        byReceiver[mlp] = Array(g.scalars[(3 * c.nHeads * width)..<((3 * c.nHeads + 1) * width)])
                    }
                }
            }
        }
        var largest = 0.0
        for edge in graph.edges {
            let s = edge.sender.rawValue
            let g = try #require(byReceiver[edge.receiver])
            var plain = 0.0, magnitude = 0.0
            for i in 0..<width {
                let patch = Double(patchValues[flat: s * width + i]), clean = Double(cleanValues[flat: s * width + i])
                plain += (patch - clean) * Double(g[i])
                magnitude += (abs(patch) + abs(clean)) * abs(Double(g[i]))
            }
            largest = max(largest, abs(plain))
            // Float differences and products summed over rows·dModel terms: rounding relative to Σ|terms|.
            #expect(abs(result.scores[edge.id.rawValue] - plain) <= 2e-6 * magnitude + 1e-12,
                    "\(family) \(ablation) \(graph.name(of: edge.id)): \(result.scores[edge.id.rawValue]) vs \(plain)")
        }
        #expect(largest > 1e-4, "\(family): scores not all negligible")
    }

    /// Chunks of prompts (a memory budget too small for the whole set) give the same scores.
    @Test(arguments: [AttributionMethod.eap, .eapIGInputs, .eapIGActivations, .cleanCorrupted])
    func chunkingDoesNotChangeTheScores(method: AttributionMethod) throws {
        let model = try ExecutorFixtures.tinyGPT2()
        let prompts = try AttributionReferenceTests.prompts()
        let whole = try EdgeAttribution.run(model: model, prompts: prompts,
                                            settings: AttributionSettings(method: method, steps: 3))
        let graph = CircuitGraph(config: model.config)
        let three = EdgeAttribution.estimatedBytes(config: model.config, graph: graph, method: method, prompts: 3,
                                                   length: 12, reads: 1)
        let chunked = try EdgeAttribution.run(model: model, prompts: prompts,
                                              settings: AttributionSettings(method: method, steps: 3, memoryBudget: three))
        #expect(whole.chunks == 1 && chunked.chunks == 3)
        #expect(chunked.estimatedBytes <= three)
        // Float sums over other row groupings: rounding, relative to the largest score.
        let largest = whole.scores.map(abs).max() ?? 0
        for (a, b) in zip(whole.scores, chunked.scores) { #expect(abs(a - b) <= 1e-6 * largest) }
    }

    /// An `EdgeAttributor` reused after other runs — longer and shorter prompts, other methods and ablations, a
    /// chunked run — scores bit for bit as a fresh one: nothing a run reads is left over from an earlier run.
    @Test(arguments: [(AttributionMethod.eap, AblationKind.resample), (.eap, .zero), (.eap, .mean),
                      (.eapIGInputs, .resample), (.eapIGActivations, .mean), (.cleanCorrupted, .resample)])
    func aReusedAttributorScoresAsAFreshOne(method: AttributionMethod, ablation: AblationKind) throws {
        let model = try ExecutorFixtures.tinyGPT2()
        let prompts = try AttributionReferenceTests.prompts()
        let short = try PromptSet(
            task: "short", clean: prompts.clean.prefix(5).map { Array($0.prefix(7)) },
            corrupted: prompts.corrupted.prefix(5).map { Array($0.prefix(7)) },
            readPositions: Array(repeating: [6], count: 5), correct: Array(prompts.correct.prefix(5)),
            incorrect: Array(prompts.incorrect.prefix(5)))
        let settings = AttributionSettings(method: method, ablation: ablation, steps: 3)
        let fresh = try EdgeAttribution.run(model: model, prompts: prompts, settings: settings)
        var attributor = EdgeAttributor(model: model)
        let first = try attributor.run(prompts: prompts, settings: settings)
        let graph = CircuitGraph(config: model.config)
        let oneChunkOfThree = EdgeAttribution.estimatedBytes(config: model.config, graph: graph, method: .eap,
                                                             prompts: 3, length: 12, reads: 1)
        for other in [AttributionSettings(method: .eapIGActivations, ablation: .zero, steps: 2),
                      AttributionSettings(method: .eap, memoryBudget: oneChunkOfThree)] {
            _ = try attributor.run(prompts: short, settings: other)
            _ = try attributor.run(prompts: prompts, settings: other)
        }
        _ = try attributor.run(prompts: short, settings: settings)
        let again = try attributor.run(prompts: prompts, settings: settings)
        #expect(fresh.scores.contains { $0 != 0 })
        #expect(first.scores == fresh.scores)
        #expect(again.scores == fresh.scores)
        #expect(again.forwardPasses == fresh.forwardPasses && again.backwardPasses == fresh.backwardPasses)
    }

    /// When every corrupted prompt is the same sequence, its per-position mean over the corrupted prompts is each
    /// prompt's own corrupted output: mean ablation must then score exactly as resample ablation, through every
    /// method that takes both (Δ and, for EAP-IG-activations, the interpolation's end point).
    @Test(arguments: [AttributionMethod.eap, .eapIGActivations, .exact])
    func meanAblationOfIdenticalPromptsIsResampling(method: AttributionMethod) throws {
        let model = try ExecutorFixtures.tinyGPT2()
        let base = try AttributionReferenceTests.prompts()
        let prompts = try PromptSet(
            task: "same", clean: base.clean, corrupted: Array(repeating: base.corrupted[0], count: base.count),
            readPositions: base.readPositions, correct: base.correct, incorrect: base.incorrect)
        let resample = try EdgeAttribution.run(model: model, prompts: prompts,
                                               settings: AttributionSettings(method: method, ablation: .resample, steps: 2))
        let mean = try EdgeAttribution.run(model: model, prompts: prompts,
                                           settings: AttributionSettings(method: method, ablation: .mean, steps: 2))
        let largest = resample.scores.map(abs).max() ?? 0
        #expect(largest > 1e-4)
        for (a, b) in zip(resample.scores, mean.scores) { #expect(abs(a - b) <= 1e-6 * largest) }
    }

    /// Zero and mean ablation patch with the executor's values: zero, and the per-position mean over the reference
    /// prompts (its `patch` store). EAP's Δ is patch − clean.
    @Test func meanAblationUsesTheExecutorsMeans() throws {
        let model = try ExecutorFixtures.tinyGPT2()
        let graph = CircuitGraph(config: model.config)
        let prompts = try AttributionReferenceTests.prompts()
        let means = try EdgeAttribution.positionMeans(model: model, graph: graph, prompts: prompts)
        let executor = try EdgePatchingExecutor(
            model: model, graph: graph, clean: prompts.clean, corrupted: prompts.corrupted,
            reference: prompts.corrupted, ablation: .mean)
        let mean = try #require(means[12])
        let width = prompts.count * 12 * model.config.dModel, block = 12 * model.config.dModel
        for s in 0..<graph.senderCount {
            for b in 0..<prompts.count {
                for i in stride(from: 0, to: block, by: 7) {
                    #expect(abs(executor.patch[flat: s * width + b * block + i] - mean[flat: s * block + i]) <= 1e-6)
                }
            }
        }
    }

    /// EAP-IG's batch normalisation: batches of B prompts scale the scores by N/B (the reference's batch-4 file is
    /// twice its one-batch file); uneven batches weigh their prompts by their own sizes.
    @Test func eapigBatchWeights() {
        #expect(EdgeAttribution.eapigWeights(count: 8, batchSize: nil) == Array(repeating: 1.0 / 64, count: 8))
        #expect(EdgeAttribution.eapigWeights(count: 8, batchSize: 4) == Array(repeating: 1.0 / 32, count: 8))
        #expect(EdgeAttribution.eapigWeights(count: 5, batchSize: 2) == [0.1, 0.1, 0.1, 0.1, 0.2])
    }

    /// Every metric's loss gradient against central differences of the metric itself (Double).
    @Test(arguments: [MetricKind.logitDiff, .probDiff, .kl, .l2])
    func metricGradientMatchesFiniteDifferences(kind: MetricKind) throws {
        var g = SeededGenerator(seed: 3)
        let vocab = 11, reads = 2, n = 3
        let full = Tensor(shape: [n, reads, vocab], scalars: (0..<(n * reads * vocab)).map { _ in 2 * g.normal() })
        let x = (0..<(n * reads * vocab)).map { _ in 2 * g.normal() }
        let prompts = try PromptSet(
            task: "t", clean: Array(repeating: [0, 1, 2], count: n), corrupted: Array(repeating: [0, 1, 2], count: n),
            readPositions: Array(repeating: [1, 2], count: n), correct: [[3], [4, 5], [3, 3]],
            incorrect: [[6], [7], [8, 9]], outputDims: kind == .kl || kind == .l2 ? [0, 2, 3, 5, 7] : nil)
        let metric = try Metric(kind: kind, promptSet: prompts, fullLogits: full)
        let weights = [0.5, 1.5, -2.0]
        let (_, gradient) = try metric.lossGradient(Tensor(shape: [n, reads, vocab], scalars: x),
                                                    prompts: [0, 1, 2], weights: weights)
        func objective(_ values: [Float]) throws -> Double {
            let per = try metric.evaluate(Tensor(shape: [n, reads, vocab], scalars: values)).perPrompt
            return zip(per, weights).reduce(0) { $0 + kind.loss($1.0) * $1.1 }
        }
        for i in 0..<x.count {
            var up = x, down = x
            let h: Float = 1e-2
            up[i] += h
            down[i] -= h
            let numeric = (try objective(up) - objective(down)) / Double(2 * h)
            #expect(abs(Double(gradient[flat: i]) - numeric) <= 2e-3 * max(1, abs(numeric)), "\(kind) element \(i)")
        }
    }

    @Test func settingsTheMethodDoesNotSupportAreRefused() throws {
        let model = try ExecutorFixtures.tinyGPT2()
        let prompts = try AttributionReferenceTests.prompts()
        func problem(_ settings: AttributionSettings) -> CircuitsError? {
            do {
                _ = try EdgeAttribution.run(model: model, prompts: prompts, settings: settings)
                return nil
            } catch let error as CircuitsError {
                return error
            } catch {
                return nil
            }
        }
        #expect(problem(AttributionSettings(method: .eapIGInputs, ablation: .zero))
                == .attribution(.unsupportedAblation(method: "eap-ig-inputs", ablation: "zero", supported: ["resample"])))
        #expect(problem(AttributionSettings(method: .cleanCorrupted, ablation: .mean)) != nil)
        #expect(problem(AttributionSettings(method: .eapIGInputs, steps: 0))
                == .attribution(.invalidSetting(name: "the number of steps", value: 0)))
        if case .attribution(.unsupportedMetric(let name, _))? = problem(AttributionSettings(method: .eap, metric: .ioiNormalized)) {
            #expect(name == "ioi-normalized")
        } else {
            Issue.record("ioi-normalized must be refused for gradient attribution")
        }
        // Gemma 2's post-attention norm leaves edges undefined, as for the executor.
        let gemma = try ArchitectureCircuitTests.model("gemma2")
        #expect(throws: CircuitsError.self) {
            _ = try EdgeAttribution.run(model: gemma, prompts: Self.prompts(gemma), settings: AttributionSettings(method: .eap))
        }
    }
}
