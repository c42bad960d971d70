/// MIB's faithfulness curve of an edge ranking (Mueller et al. 2025, arXiv 2504.13151, §3; `hannamw/MIB-circuit-track`
/// `MIB_circuit_track/evaluation.py`, `evaluate_area_under_curve` with `level='edge'`, `log_scale=False`):
///
/// 1. m(full) = the metric of the unpatched model, m(∅) = the metric with every edge ablated;
/// 2. for each budget k: keep the `int(k·N)` best edges of the ranking (N = the graph's edges), prune them as EAP-IG
///    does (`Circuit.prunedAsEAPIG`), and measure m(C) with every other edge ablated;
/// 3. f(k) = (m(C) − m(∅)) / (m(full) − m(∅));
/// 4. CPR = Σ (k_{j+1} − k_j)·(f_j + f_{j+1})/2 and CMD = Σ (k_{j+1} − k_j)·(|1 − f_j| + |1 − f_{j+1}|)/2 over
///    consecutive budgets, on the linear k axis as given (not rescaled, starting at the first budget); the average of
///    the f's is reported too.
///
/// MIB's metric is the mean logit difference; any metric works (KL and l2, where the full model scores 0, give
/// f = 1 − m(C)/m(∅)). Each m is the mean over the prompt set, as MIB's `.mean()` over prompts.
public struct FaithfulnessCurve: Sendable {
    /// MIB's budgets: fractions of the graph's edges.
    public static let mibBudgets: [Double] = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1]

    public struct Point: Sendable {
        /// The budget: a fraction of the graph's edges.
        public let budget: Double
        /// `int(budget · N)`: the top edges taken from the ranking.
        public let requestedEdges: Int
        /// The circuit after EAP-IG's pruning (MIB's `weighted_edge_count`).
        public let circuit: Circuit
        /// EAP-IG forward nodes (input, heads, MLPs) the pruned circuit keeps.
        public let nodes: Int
        /// m(C): the metric's mean over prompts with every edge outside `circuit` ablated.
        public let metric: Double
        public let faithfulness: Double

        public var keptEdges: Int { circuit.count }
    }

    public let rankingName: String
    /// Whether edges were ranked by |score|.
    public let absolute: Bool
    public let fullMetric: Double
    public let emptyMetric: Double
    public let points: [Point]
    /// Area under the curve (higher is better).
    public let cpr: Double
    /// Area between the curve and 1 (lower is better).
    public let cmd: Double
    /// Mean of the faithfulness values.
    public let average: Double

    /// Builds the curve from measured points; CPR, CMD and the average follow from them.
    public init(rankingName: String, absolute: Bool, fullMetric: Double, emptyMetric: Double, points: [Point]) {
        self.rankingName = rankingName
        self.absolute = absolute
        self.fullMetric = fullMetric
        self.emptyMetric = emptyMetric
        self.points = points
        (cpr, cmd) = Self.areas(budgets: points.map(\.budget), faithfulness: points.map(\.faithfulness))
        average = points.isEmpty ? .nan : points.map(\.faithfulness).reduce(0, +) / Double(points.count)
    }

    /// MIB's `area_under` and `area_from_1`: trapezoids between consecutive budgets, in the order given.
    public static func areas(budgets: [Double], faithfulness f: [Double]) -> (cpr: Double, cmd: Double) {
        precondition(budgets.count == f.count, "one faithfulness per budget")
        var under = 0.0, from1 = 0.0
        for j in 0..<max(0, budgets.count - 1) {
            let width = budgets[j + 1] - budgets[j]
            under += width * ((f[j] + f[j + 1]) / 2)
            from1 += width * ((abs(1 - f[j]) + abs(1 - f[j + 1])) / 2)
        }
        return (under, from1)
    }

    /// Measures the curve of `ranking` on `executor`'s prompts and ablation, scoring with `metric`.
    ///
    /// - Parameters:
    ///   - budgets: fractions of the graph's edges in (0, 1], ascending (MIB's by default).
    ///   - progress: called after each budget with the point measured.
    /// - Throws: `CircuitsError.evaluation` when m(full) = m(∅) (faithfulness undefined) or a metric is not finite.
    public static func measure(
        executor: inout EdgePatchingExecutor, metric: Metric, ranking: EdgeRanking, absolute: Bool,
        budgets: [Double] = mibBudgets, progress: (Point) -> Void = { _ in }
    ) throws -> FaithfulnessCurve {
        let graph = executor.graph
        precondition(ranking.scores.count == graph.edgeCount, "ranking of another graph")
        var measured: [Circuit: Double] = [:]
        func m(_ circuit: Circuit, _ what: @autoclosure () -> String) throws -> Double {
            if let value = measured[circuit] { return value }
            let value = try metric.evaluate(executor.logits(keeping: circuit)).mean
            guard value.isFinite else { throw CircuitsError.evaluation(.nonFiniteMetric(what: what(), value: value)) }
            measured[circuit] = value
            return value
        }
        let full = try metric.evaluate(executor.cleanLogits).mean
        guard full.isFinite else { throw CircuitsError.evaluation(.nonFiniteMetric(what: "the full model", value: full)) }
        let empty = try m(.empty(graph), "the empty circuit")
        guard full != empty else { throw CircuitsError.evaluation(.degenerate(full: full, empty: empty)) }
        let order = ranking.order(absolute: absolute)
        var points: [Point] = []
        for k in budgets {
            let n = EdgeRanking.mibCount(budget: k, total: graph.edgeCount)
            let circuit = Circuit(graph: graph, edges: order.prefix(n)).prunedAsEAPIG(in: graph)
            let value = try m(circuit, "the circuit at budget \(k)")
            let point = Point(
                budget: k, requestedEdges: n, circuit: circuit, nodes: circuit.sendingNodes(in: graph).count,
                metric: value, faithfulness: (value - empty) / (full - empty))
            progress(point)
            points.append(point)
        }
        return FaithfulnessCurve(
            rankingName: ranking.name, absolute: absolute, fullMetric: full, emptyMetric: empty, points: points)
    }
}
