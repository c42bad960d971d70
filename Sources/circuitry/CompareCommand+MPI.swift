import Circuits
import Cluster

/// One row of `compare --sweep`'s output: the threshold, the circuit's ROC point and edge precision against the
/// reference, and its metric.
struct SweepRow {
    var threshold: Double
    var roc: ROCPoint
    var precision: Double
    var circuitMetric: Double

    init(threshold: Double, circuit: Circuit, circuitMetric: Double, reference: Circuit, graph: CircuitGraph) {
        self.threshold = threshold
        roc = ROCPoint(found: circuit, truth: reference, threshold: threshold)
        precision = CircuitComparison(candidate: circuit, reference: reference, graph: graph).edges.precision
        self.circuitMetric = circuitMetric
    }
}

/// What one rank found at one threshold of a sweep (its position in the ascending list), as `compare --sweep
/// --parallel mpi` sends it to rank 0: the circuit's edge ids and the metric's bit pattern.
struct SweepFinding {
    static let tag = 5

    var index: Int
    var circuit: Circuit
    var circuitMetric: Double

    /// On rank 0: every rank's findings, its own included. On the other ranks: sends them to rank 0, returns nil.
    static func gather(_ mine: [SweepFinding], world: MPIWorld, graph: CircuitGraph) throws -> [SweepFinding]? {
        guard world.rank == 0 else {
            var w = MessageWriter()
            w.write(mine.count)
            for f in mine {
                w.write(f.index)
                w.write(f.circuitMetric)
                w.write(f.circuit.edges.map(\.rawValue))
            }
            try world.send(w.bytes, to: 0, tag: tag)
            return nil
        }
        var all = mine
        for rank in 1..<world.size {
            var r = MessageReader(try world.receive(from: rank, tag: tag).bytes)
            let count = try r.readInt()
            guard (0...10_000).contains(count) else { throw ClusterError.malformedMessage("sweep: \(count) findings") }
            for _ in 0..<count {
                let index = try r.readInt()
                let metric = try r.readDouble()
                let ids = try r.readInts()
                guard ids.allSatisfy({ (0..<graph.edgeCount).contains($0) }) else {
                    throw ClusterError.malformedMessage("sweep: an edge id outside 0..<\(graph.edgeCount)")
                }
                all.append(SweepFinding(index: index, circuit: Circuit(graph: graph, edges: ids.map(EdgeID.init)),
                                        circuitMetric: metric))
            }
            guard r.isAtEnd else { throw ClusterError.malformedMessage("sweep: trailing data") }
        }
        return all
    }
}
