import Benchmark
import BenchmarkSupport
import Circuits
import Tensor
import Transformer

/// Edge tests of the executor and a budgeted ACDC run on a GPT-2-small-shaped model (random weights, fixed seed),
/// 50 prompts × 16 tokens, each against a plain sgemm of exactly the matrix products the workload issued, timed in
/// the same iteration.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, RateMetric.workload, RateMetric.sgemm, RateMetric.ratio],
        warmupIterations: 1, maxDuration: .seconds(60), maxIterations: 10)

    let config = ModelConfig.gpt2Small
    let model = TransformerModel.random(config: config, seed: 42)
    var g = SeededGenerator(seed: 1)
    let clean = (0..<50).map { _ in (0..<16).map { _ in g.uniform(config.dVocab) } }
    let corrupted = (0..<50).map { _ in (0..<16).map { _ in g.uniform(config.dVocab) } }
    let graph = CircuitGraph(config: config)

    /// One edge test per layer: the edge embed → a{L}.0.q removed from the full circuit.
    let layers = [0, 6, 11]
    let circuits: [Circuit] = layers.map { layer in
        var c = Circuit.full(graph)
        c.remove(graph.edge(sender: graph.embed, receiver: graph.headInputReceiver(layer: layer, head: 0, input: .q))!)
        return c
    }
    let testsPerLayer = BenchmarkMetric.custom("layer 0 / layer 11 time (x)", polarity: .prefersLarger, useScalingFactor: false)
    let layerRates = layers.map {
        BenchmarkMetric.custom("layer \($0) ms per test", polarity: .prefersSmaller, useScalingFactor: false)
    }

    Benchmark(
        "Edge tests in layers 0, 6, 11 vs sgemm",
        configuration: .init(metrics: [.wallClock, RateMetric.workload, RateMetric.sgemm, RateMetric.ratio,
                                       testsPerLayer] + layerRates)
    ) { benchmark in
        var executor = try EdgePatchingExecutor(model: model, graph: graph, clean: clean, corrupted: corrupted, ablation: .resample)
        _ = executor.logits(keeping: circuits[0])
        for _ in benchmark.scaledIterations {
            executor.recordProducts(true)
            let clock = ContinuousClock()
            var times: [Double] = []
            let t0 = clock.now
            for circuit in circuits {
                let s = clock.now
                blackHole(executor.logits(keeping: circuit))
                times.append(RateMetric.seconds(clock.now - s))
            }
            let total = RateMetric.seconds(clock.now - t0)
            let shapes = executor.takeRecordedProducts()
            var reference = GemmReference(shapes: shapes.map { GemmShape(m: $0.m, k: $0.k, n: $0.n, transposeB: $0.transposeB) })
            RateMetric.record(benchmark, flops: reference.flops, workloadSeconds: total, reference: &reference)
            for (i, t) in times.enumerated() { benchmark.measurement(layerRates[i], Int((1000 * t).rounded())) }
            benchmark.measurement(testsPerLayer, Int((times[0] / times[2]).rounded()))
        }
    }

    Benchmark(
        "ACDC, 300 edge tests, vs sgemm (fraction of ideal)",
        configuration: .init(metrics: [.wallClock, RateMetric.workload, RateMetric.sgemm, RateMetric.ratio,
                                       .custom("ms per test", polarity: .prefersSmaller, useScalingFactor: false)],
                             maxDuration: .seconds(60), maxIterations: 3)
    ) { benchmark in
        let tests = BenchmarkMetric.custom("ms per test", polarity: .prefersSmaller, useScalingFactor: false)
        for _ in benchmark.scaledIterations {
            var executor = try EdgePatchingExecutor(model: model, graph: graph, clean: clean, corrupted: corrupted, ablation: .resample)
            // Dense tests, whose products this compares with sgemm (sparse tests: the SparseEdgeTests benchmarks).
            executor.edgeTests = .dense
            // KL at the last position, as `discover` scores it.
            let prompts = try PromptSet(
                task: "benchmark", clean: clean, corrupted: corrupted, readPositions: Array(repeating: [15], count: 50))
            let objective = PruningObjective(metric: try Metric(kind: .kl, promptSet: prompts, fullLogits: executor.cleanLogits))
            executor.recordProducts(true)
            let clock = ContinuousClock()
            let t0 = clock.now
            let result = try ACDCPruner.prune(
                executor: &executor, objective: objective,
                configuration: ACDCConfiguration(threshold: 0.01, maximumTests: 300))
            let seconds = RateMetric.seconds(clock.now - t0)
            let shapes = executor.takeRecordedProducts()
            var reference = GemmReference(shapes: shapes.map { GemmShape(m: $0.m, k: $0.k, n: $0.n, transposeB: $0.transposeB) })
            RateMetric.record(benchmark, flops: reference.flops, workloadSeconds: seconds, reference: &reference)
            benchmark.measurement(tests, Int((1000 * seconds / Double(result.statistics.tests)).rounded()))
        }
    }
}
