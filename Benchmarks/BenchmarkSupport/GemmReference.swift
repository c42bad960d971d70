import Benchmark
import Tensor
import Transformer

/// One matrix product shape `[m, k] · [k, n]`.
public struct GemmShape: Sendable, Hashable {
    public var m: Int, k: Int, n: Int
    public var transposeB: Bool
    public init(m: Int, k: Int, n: Int, transposeB: Bool = false) {
        self.m = m
        self.k = k
        self.n = n
        self.transposeB = transposeB
    }
    public var flops: Double { 2 * Double(m) * Double(k) * Double(n) }
}

/// The plain-sgemm yardstick: the same products a workload does, with no other work between them, on buffers
/// allocated once per distinct shape. Benchmarks report their own rate next to this one, measured in the same run,
/// because the machines are shared and absolute rates swing by 2× between runs.
public struct GemmReference {
    /// Distinct shapes with how often the workload issued each.
    public let shapes: [(shape: GemmShape, count: Int)]
    private var operands: [(Tensor, Tensor, Tensor)]

    public init(shapes list: [GemmShape]) {
        var counts: [GemmShape: Int] = [:]
        var order: [GemmShape] = []
        for s in list {
            if counts[s] == nil { order.append(s) }
            counts[s, default: 0] += 1
        }
        shapes = order.map { ($0, counts[$0]!) }
        var g = SeededGenerator(seed: 7)
        operands = order.map { s in
            let a = Tensor(shape: [s.m, s.k], scalars: (0..<(s.m * s.k)).map { _ in g.unitFloat() - 0.5 })
            let bShape = s.transposeB ? [s.n, s.k] : [s.k, s.n]
            let b = Tensor(shape: bShape, scalars: (0..<(s.k * s.n)).map { _ in g.unitFloat() - 0.5 })
            return (a, b, Tensor(shape: [s.m, s.n]))
        }
    }

    public var flops: Double { shapes.reduce(0) { $0 + $1.shape.flops * Double($1.count) } }

    /// Runs every product as often as the workload did.
    public mutating func run() {
        for i in operands.indices {
            let (s, count) = shapes[i]
            var c = operands[i].2
            operands[i].2 = Tensor(shape: [0])
            for _ in 0..<count {
                // OpenBLAS's own threaded sgemm: the yardstick (circuitry's tiled products are the workload).
                BLAS.referenceGemm(operands[i].0, MatrixSlice(operands[i].0), operands[i].1, MatrixSlice(operands[i].1),
                                   transposeB: s.transposeB, into: &c, MatrixSlice(c), threads: BLAS.threads)
            }
            operands[i].2 = c
        }
    }

    /// The products of one GPT-2-family forward pass over `rows` token rows with logits at `readRows` rows.
    public static func forwardShapes(config c: ModelConfig, rows: Int, readRows: Int) -> [GemmShape] {
        var shapes: [GemmShape] = []
        for _ in 0..<c.nLayers {
            shapes.append(GemmShape(m: rows, k: c.dModel, n: 3 * c.dAttention))
            shapes.append(GemmShape(m: rows, k: c.dAttention, n: c.dModel))
            if c.hasMLP {
                shapes.append(GemmShape(m: rows, k: c.dModel, n: c.dMLP))
                shapes.append(GemmShape(m: rows, k: c.dMLP, n: c.dModel))
            }
        }
        shapes.append(GemmShape(m: readRows, k: c.dModel, n: c.dVocabOut, transposeB: true))
        return shapes
    }
}

/// Custom metrics shared by the benchmarks.
public enum RateMetric {
    /// Achieved GFLOP/s of the workload.
    public static let workload = BenchmarkMetric.custom("workload GFLOP/s", polarity: .prefersLarger, useScalingFactor: false)
    /// GFLOP/s of the plain sgemm reference in the same iteration.
    public static let sgemm = BenchmarkMetric.custom("sgemm GFLOP/s", polarity: .prefersLarger, useScalingFactor: false)
    /// Workload rate as a percentage of the sgemm rate.
    public static let ratio = BenchmarkMetric.custom("% of sgemm", polarity: .prefersLarger, useScalingFactor: false)

    /// Times `work` and `reference` back to back and records both rates and their ratio.
    public static func measure(
        _ benchmark: Benchmark, flops: Double, reference: inout GemmReference, work: () throws -> Void
    ) rethrows {
        let clock = ContinuousClock()
        let t0 = clock.now
        try work()
        let t1 = clock.now
        reference.run()
        let t2 = clock.now
        let w = flops / seconds(t1 - t0) / 1e9
        let s = reference.flops / seconds(t2 - t1) / 1e9
        benchmark.measurement(workload, Int(w.rounded()))
        benchmark.measurement(sgemm, Int(s.rounded()))
        benchmark.measurement(ratio, Int((100 * w / s).rounded()))
    }

    /// Records a workload already timed (`workloadSeconds` for `flops`) against one run of `reference`.
    public static func record(
        _ benchmark: Benchmark, flops: Double, workloadSeconds: Double, reference: inout GemmReference
    ) {
        let clock = ContinuousClock()
        let t0 = clock.now
        reference.run()
        let s = reference.flops / seconds(clock.now - t0) / 1e9
        let w = flops / workloadSeconds / 1e9
        benchmark.measurement(workload, Int(w.rounded()))
        benchmark.measurement(sgemm, Int(s.rounded()))
        benchmark.measurement(ratio, Int((100 * w / s).rounded()))
    }

    public static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }
}
