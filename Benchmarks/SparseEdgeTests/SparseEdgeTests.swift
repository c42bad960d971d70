import Benchmark
import Circuits
import Tasks
import Tensor
import Transformer

/// Sparse against dense edge tests, per receiver layer and over ACDC's first tests.
let benchmarks: @Sendable () -> Void = {
    layerBenchmarks()
    acdcBenchmarks()
}

/// Sparse against dense edge tests (issue 17) in the state ACDC is in when it works on a layer: the canonical IOI
/// circuit's edges into every layer above the receiver's (`IOICanonicalCircuit`), every edge into the receiver's
/// layer and below present. The test removes embed → a{L}.0.q for L = 0, 6, 11 on a GPT-2-small-shaped model with
/// random weights (fixed seed), 100 prompts × 15 tokens, logits at the last position (ACDC's IOI preset's shape).
/// Dense and sparse tests of each layer are timed in the same iteration; the speed-up is their ratio.
let layerBenchmarks: @Sendable () -> Void = {
    let layers = [0, 6, 11]
    let denseMetrics = layers.map {
        BenchmarkMetric.custom("layer \($0) dense ms", polarity: .prefersSmaller, useScalingFactor: false)
    }
    let sparseMetrics = layers.map {
        BenchmarkMetric.custom("layer \($0) sparse ms", polarity: .prefersSmaller, useScalingFactor: false)
    }
    let speedups = layers.map {
        BenchmarkMetric.custom("layer \($0) speed-up (%)", polarity: .prefersLarger, useScalingFactor: false)
    }
    let skipped = BenchmarkMetric.custom("FLOPs skipped (%)", polarity: .prefersLarger, useScalingFactor: false)

    let config = ModelConfig.gpt2Small
    let model = TransformerModel.random(config: config, seed: 42)
    var g = SeededGenerator(seed: 1)
    let clean = (0..<100).map { _ in (0..<15).map { _ in g.uniform(config.dVocab) } }
    let corrupted = (0..<100).map { _ in (0..<15).map { _ in g.uniform(config.dVocab) } }
    let graph = CircuitGraph(config: config)
    let canonical = IOICanonicalCircuit.hypothesis(graph: graph).circuit

    /// The state at layer L and the tested edge.
    let cases: [(state: Circuit, edge: EdgeID)] = layers.map { layer in
        var state = canonical
        for edge in graph.edges where graph[edge.receiver].layer <= layer { state.insert(edge.id) }
        let receiver = graph.headInputReceiver(layer: layer, head: 0, input: .q)
        return (state, graph.edge(sender: graph.embed, receiver: receiver)!)
    }

    Benchmark(
        "Sparse vs dense edge tests, canonical-IOI state, layers 0, 6, 11",
        configuration: .init(metrics: [.wallClock] + denseMetrics + sparseMetrics + speedups + [skipped],
                             warmupIterations: 1, maxDuration: .seconds(600), maxIterations: 8)
    ) { benchmark in
        var executor = try EdgePatchingExecutor(
            model: model, graph: graph, clean: clean, corrupted: corrupted, ablation: .resample)
        for _ in benchmark.scaledIterations {
            let clock = ContinuousClock()
            var flops = 0.0, dense = 0.0
            for (i, c) in cases.enumerated() {
                var candidate = c.state
                candidate.remove(c.edge)
                let d0 = clock.now
                blackHole(executor.logits(keeping: candidate))
                let denseTime = clock.now - d0

                executor.setState(circuit: c.state)
                let before = executor.testStatistics
                let s0 = clock.now
                blackHole(executor.test(.removing(c.edge)))
                let sparseTime = clock.now - s0
                executor.discardTest()
                let work = executor.testStatistics.since(before)
                flops += work.flops
                dense += work.denseFLOPs

                benchmark.measurement(denseMetrics[i], Int((1000 * seconds(denseTime)).rounded()))
                benchmark.measurement(sparseMetrics[i], Int((1000 * seconds(sparseTime)).rounded()))
                benchmark.measurement(speedups[i], Int((100 * seconds(denseTime) / seconds(sparseTime)).rounded()))
            }
            benchmark.measurement(skipped, Int((100 * (1 - flops / dense)).rounded()))
        }
    }
}

/// ACDC's first 600 tests on the GPT-2-small shape (random weights, 20 prompts × 16 tokens, KL at the last
/// position, threshold 0.01) with sparse and with dense tests in the same iteration: time per test, and whether the
/// two runs kept the same circuit (1) or not (0). Within the budget the run works its way from `resid_post` down to
/// MLP 5, pruning most receivers untested, so it sees both the cheap tests at the top and the middle layers'.
let acdcBenchmarks: @Sendable () -> Void = {
    let config = ModelConfig.gpt2Small
    let model = TransformerModel.random(config: config, seed: 42)
    var g = SeededGenerator(seed: 1)
    let clean = (0..<20).map { _ in (0..<16).map { _ in g.uniform(config.dVocab) } }
    let corrupted = (0..<20).map { _ in (0..<16).map { _ in g.uniform(config.dVocab) } }
    let graph = CircuitGraph(config: config)
    let dense = BenchmarkMetric.custom("dense ms per test", polarity: .prefersSmaller, useScalingFactor: false)
    let sparse = BenchmarkMetric.custom("sparse ms per test", polarity: .prefersSmaller, useScalingFactor: false)
    let speedup = BenchmarkMetric.custom("speed-up (%)", polarity: .prefersLarger, useScalingFactor: false)
    let same = BenchmarkMetric.custom("same circuit (1 = yes)", polarity: .prefersLarger, useScalingFactor: false)
    let skipped = BenchmarkMetric.custom("FLOPs skipped (%)", polarity: .prefersLarger, useScalingFactor: false)
    Benchmark(
        "ACDC, 600 edge tests, sparse vs dense",
        configuration: .init(metrics: [.wallClock, dense, sparse, speedup, same, skipped], warmupIterations: 0,
                             maxDuration: .seconds(300), maxIterations: 3)
    ) { benchmark in
        let prompts = try PromptSet(
            task: "benchmark", clean: clean, corrupted: corrupted, readPositions: Array(repeating: [15], count: 20))
        for _ in benchmark.scaledIterations {
            var results: [PruningResult] = []
            for mode in [EdgeTestMode.dense, .sparse] {
                var executor = try EdgePatchingExecutor(
                    model: model, graph: graph, clean: clean, corrupted: corrupted, ablation: .resample)
                executor.edgeTests = mode
                let metric = try Metric(kind: .kl, promptSet: prompts, fullLogits: executor.cleanLogits)
                results.append(try ACDCPruner.prune(
                    executor: &executor, objective: PruningObjective(metric: metric),
                    configuration: ACDCConfiguration(threshold: 0.01, maximumTests: 600)))
            }
            let (d, s) = (results[0].testing, results[1].testing)
            benchmark.measurement(dense, Int((1000 / d.testsPerSecond).rounded()))
            benchmark.measurement(sparse, Int((1000 / s.testsPerSecond).rounded()))
            benchmark.measurement(speedup, Int((100 * s.testsPerSecond / d.testsPerSecond).rounded()))
            let identical = results[0].circuit == results[1].circuit && results[0].statistics == results[1].statistics
                && results[0].severedInputs == results[1].severedInputs
            benchmark.measurement(same, identical ? 1 : 0)
            benchmark.measurement(skipped, Int((100 * s.work.skippedFLOPs / s.work.denseFLOPs).rounded()))
        }
    }
}

private func seconds(_ d: Duration) -> Double {
    Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
}
