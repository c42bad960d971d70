import Benchmark
import BenchmarkSupport
import Circuits
import Tensor
import Transformer

/// Edge attribution on a GPT-2-small-shaped model (random weights, fixed seed), 100 prompts × 15 tokens (the IOI
/// preset's shape) with the logit difference at the last position: EAP and EAP-IG-inputs with 5 steps, each timed
/// against one plain forward pass of the same prompts (`TransformerRunner`, logits at the last position) in the
/// same iteration (the mean of one pass just before and one just after). Targets: EAP ≤ 3.5 forward passes,
/// EAP-IG ≤ 15. Peak resident memory is the whole process's: the model's weights (0.5 GB), the benchmark's own
/// runner, and the attribution's buffers.
let benchmarks: @Sendable () -> Void = {
    let config = ModelConfig.gpt2Small
    let model = TransformerModel.random(config: config, seed: 42)
    var g = SeededGenerator(seed: 1)
    let n = 100, length = 15
    let clean = (0..<n).map { _ in (0..<length).map { _ in g.uniform(config.dVocab) } }
    let corrupted = (0..<n).map { _ in (0..<length).map { _ in g.uniform(config.dVocab) } }
    let prompts = try! PromptSet(
        task: "benchmark", clean: clean, corrupted: corrupted,
        readPositions: Array(repeating: [length - 1], count: n),
        correct: (0..<n).map { _ in [g.uniform(config.dVocab)] }, incorrect: (0..<n).map { _ in [g.uniform(config.dVocab)] })
    let batch = try! TokenBatch(clean, config: config)
    let graph = CircuitGraph(config: config)

    let forwardMs = BenchmarkMetric.custom("forward pass ms", polarity: .prefersSmaller, useScalingFactor: false)
    let workMs = BenchmarkMetric.custom("attribution ms", polarity: .prefersSmaller, useScalingFactor: false)
    let ratio = BenchmarkMetric.custom("attribution / forward (x100)", polarity: .prefersSmaller, useScalingFactor: false)

    for (name, method, steps) in [("EAP", AttributionMethod.eap, 1), ("EAP-IG-inputs, 5 steps", .eapIGInputs, 5)] {
        Benchmark(
            "\(name), GPT-2 small shape, 100x15, vs one forward pass",
            configuration: .init(metrics: [.wallClock, .peakMemoryResident, forwardMs, workMs, ratio],
                                 warmupIterations: 1, maxDuration: .seconds(600), maxIterations: 5)
        ) { benchmark in
            var runner = TransformerRunner(model: model)
            _ = try runner.run(batch)
            let clock = ContinuousClock()
            for _ in benchmark.scaledIterations {
                let t0 = clock.now
                blackHole(try runner.run(batch))
                let t1 = clock.now
                let result = try EdgeAttribution.run(
                    model: model, graph: graph, prompts: prompts,
                    settings: AttributionSettings(method: method, metric: .logitDiff, steps: steps))
                let t2 = clock.now
                blackHole(result)
                blackHole(try runner.run(batch))
                let t3 = clock.now
                // The forward pass before and after the attribution, averaged: on a shared machine the load drifts
                // during a long attribution, and one side alone would carry that drift into the ratio.
                let forward = (RateMetric.seconds(t1 - t0) + RateMetric.seconds(t3 - t2)) / 2
                let work = RateMetric.seconds(t2 - t1)
                benchmark.measurement(forwardMs, Int((1000 * forward).rounded()))
                benchmark.measurement(workMs, Int((1000 * work).rounded()))
                benchmark.measurement(ratio, Int((100 * work / forward).rounded()))
            }
        }
    }
}
