/// ROC of an edge ranking against a reference circuit, as MIB scores rankings on InterpBench, whose true circuit is
/// known (`hannamw/MIB-circuit-track`: `evaluate_area_under_roc` and `compare_graphs` in
/// `MIB_circuit_track/evaluation.py`, the area in `print_results.py`):
///
/// * at each budget k, the circuit is EAP-IG's greedy selection of `k·N` edges (`EdgeRanking.greedy`; `k·N` is a
///   float there and the selection loop runs ⌈k·N⌉ times), then EAP-IG's `prune`;
/// * over all N edges with the reference as the truth: TPR = TP/(TP+FN), FPR = FP/(FP+TN), precision = TP/(TP+FP)
///   (0 when nothing is selected);
/// * the area is the trapezoid rule over the points in budget order, FPR divided by the last point's FPR, with no
///   corner points added (`area_under_curve(FPR, TPR)`).
///
/// `cornerArea` is the area ACDC's plots and `compare --sweep` report for the same points (`ROCCurve.area`: (0, 0)
/// and (1, 1) added, sorted by FPR), for comparison with a threshold sweep.
public struct RankingROC: Sendable {
    public struct Point: Sendable {
        public let budget: Double
        /// ⌈budget · N⌉: the edges the greedy selection takes.
        public let requestedEdges: Int
        /// Edges after pruning.
        public let keptEdges: Int
        public let truePositiveRate: Double
        public let falsePositiveRate: Double
        public let precision: Double
    }

    public let rankingName: String
    public let absolute: Bool
    public let referenceEdges: Int
    public let points: [Point]
    /// MIB's area under the ROC curve.
    public let area: Double
    /// The area with (0, 0) and (1, 1) added (`ROCCurve.area`).
    public let cornerArea: Double

    /// - Throws: `CircuitsError.evaluation(.degenerateReference)` when the reference has no edges or all of them.
    public init(
        ranking: EdgeRanking, reference: Circuit, graph: CircuitGraph, absolute: Bool,
        budgets: [Double] = FaithfulnessCurve.mibBudgets
    ) throws {
        let total = graph.edgeCount
        guard reference.count > 0, reference.count < total else {
            throw CircuitsError.evaluation(.degenerateReference(edges: reference.count, total: total))
        }
        var points: [Point] = []
        for k in budgets {
            let n = min(total, Int((k * Double(total)).rounded(.up)))
            let circuit = ranking.greedy(n, absolute: absolute, graph: graph).prunedAsEAPIG(in: graph)
            let tp = circuit.intersection(reference).count
            let fp = circuit.count - tp
            let fn = reference.count - tp
            let tn = total - tp - fp - fn
            points.append(Point(
                budget: k, requestedEdges: n, keptEdges: circuit.count,
                truePositiveRate: Double(tp) / Double(tp + fn), falsePositiveRate: Double(fp) / Double(fp + tn),
                precision: tp + fp == 0 ? 0 : Double(tp) / Double(tp + fp)))
        }
        self.rankingName = ranking.name
        self.absolute = absolute
        self.referenceEdges = reference.count
        self.points = points
        self.area = Self.mibArea(fpr: points.map(\.falsePositiveRate), tpr: points.map(\.truePositiveRate))
        self.cornerArea = ROCCurve.area(points.map {
            ROCPoint(threshold: $0.budget, falsePositiveRate: $0.falsePositiveRate, truePositiveRate: $0.truePositiveRate,
                     edges: $0.keptEdges)
        })
    }

    /// MIB's `area_under_curve(X, Y)`: Σ (x_{i+1} − x_i)·(y_i + y_{i+1})/2 with x = FPR / FPR_last, in the order given.
    public static func mibArea(fpr: [Double], tpr: [Double]) -> Double {
        guard let last = fpr.last, last > 0 else { return .nan }
        var area = 0.0
        for i in 0..<max(0, fpr.count - 1) {
            area += (fpr[i + 1] / last - fpr[i] / last) * ((tpr[i + 1] + tpr[i]) / 2)
        }
        return area
    }
}
