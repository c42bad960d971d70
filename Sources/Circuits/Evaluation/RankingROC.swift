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

extension EdgeRanking {
    /// EAP-IG's `Graph.apply_greedy(n)` without its final prune: grow the circuit from the output. The candidates
    /// start as the edges into `resid_post`; repeatedly the best candidate (by |score| with `absolute`) joins the
    /// circuit, and when its sender joins for the first time, the edges into that sender (a head's q, k and v
    /// inputs, an MLP's input) become candidates. EAP-IG merges sorted candidate lists with `heapq.merge`, whose
    /// order among equal scores depends on Python's set order; here ties go to the edge earlier in EAP-IG's order
    /// (graph order for graphs EAP-IG cannot describe).
    public func greedy(_ n: Int, absolute: Bool, graph: CircuitGraph) -> Circuit {
        precondition(scores.count == graph.edgeCount, "ranking of another graph")
        // Rank of every edge in the total order (score descending, then EAP-IG order): a min-heap of ranks pops the
        // best candidate.
        let eapigPosition = graph.eapigIncompatibility == nil
            ? Self.positions(graph.edgesInEAPIGOrder, count: graph.edgeCount) : Array(0..<graph.edgeCount)
        let keys = absolute ? scores.map(\.magnitude) : scores
        let sorted = keys.indices.sorted { a, b in
            keys[a] != keys[b] ? keys[a] > keys[b] : eapigPosition[a] < eapigPosition[b]
        }
        let rank = Self.positions(sorted.map(EdgeID.init), count: graph.edgeCount)
        var heap = MinHeap()
        for edge in graph.incomingEdges(of: graph.residPost) { heap.push(rank[edge.rawValue]) }
        var joined = [Bool](repeating: false, count: graph.senderCount)
        var circuit = Circuit.empty(graph)
        var left = n
        while left > 0, let best = heap.pop() {
            left -= 1
            let edge = EdgeID(sorted[best])
            circuit.insert(edge)
            let sender = graph[edge].sender
            guard !joined[sender.rawValue] else { continue }
            joined[sender.rawValue] = true
            for input in graph.inputReceivers(of: sender) {
                for e in graph.incomingEdges(of: input) { heap.push(rank[e.rawValue]) }
            }
        }
        return circuit
    }

    /// `positions[id] = index of id in order`.
    private static func positions(_ order: [EdgeID], count: Int) -> [Int] {
        var positions = [Int](repeating: 0, count: count)
        for (index, edge) in order.enumerated() { positions[edge.rawValue] = index }
        return positions
    }
}

/// A binary min-heap of integers.
struct MinHeap {
    private var items: [Int] = []

    mutating func push(_ value: Int) {
        items.append(value)
        var i = items.count - 1
        while i > 0, items[(i - 1) / 2] > items[i] {
            items.swapAt(i, (i - 1) / 2)
            i = (i - 1) / 2
        }
    }

    mutating func pop() -> Int? {
        guard let top = items.first else { return nil }
        items[0] = items[items.count - 1]
        items.removeLast()
        var i = 0
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < items.count, items[l] < items[m] { m = l }
            if r < items.count, items[r] < items[m] { m = r }
            if m == i { return top }
            items.swapAt(i, m)
            i = m
        }
    }
}
