import Circuits
import Cluster

/// The messages of speculative ACDC over MPI (`discover --parallel mpi`): rank 0 sends each worker the run's
/// current state and the candidates it should test; the worker answers with the objective's value and loss as exact
/// bit patterns. States and changes travel as integer edge and node ids of the graph every rank built from the same
/// model.
enum SpeculationTag {
    /// Rank 0 → worker: a `WorkMessage`.
    static let work = 1
    /// Worker → rank 0: a `ResultMessage`.
    static let results = 2
    /// Rank 0 → worker: no more work; the worker answers with its `statistics` and ends.
    static let stop = 3
    /// Worker → rank 0: the worker's test work (tests, FLOPs done, FLOPs the dense tests would have done).
    static let statistics = 4
}

/// A state of the run and the candidates to test on it.
struct WorkMessage: Equatable {
    /// True: `removedEdges`/`severedInputs` are the state's from the full circuit. False: they are what the state
    /// removes and severs beyond the last state sent to this worker (ACDC only ever removes).
    var fromFull: Bool
    var removedEdges: [Int]
    var severedInputs: [Int]
    /// Each candidate's position in the window and its change (relative to the state).
    var candidates: [(index: Int, change: StateChange)]

    static func == (a: WorkMessage, b: WorkMessage) -> Bool {
        a.fromFull == b.fromFull && a.removedEdges == b.removedEdges && a.severedInputs == b.severedInputs
            && a.candidates.map(\.index) == b.candidates.map(\.index) && a.candidates.map(\.change) == b.candidates.map(\.change)
    }

    var bytes: [UInt8] {
        var w = MessageWriter()
        w.write(fromFull ? 1 : 0)
        w.write(removedEdges)
        w.write(severedInputs)
        w.write(candidates.count)
        for c in candidates {
            w.write(c.index)
            w.write(c.change.removedEdges.map(\.rawValue))
            w.write(c.change.severedInputs.map(\.rawValue))
        }
        return w.bytes
    }

    /// Decodes and checks every id against `graph` (edges in range; severed nodes are head inputs).
    init(bytes: [UInt8], graph: CircuitGraph) throws {
        var r = MessageReader(bytes)
        let flag = try r.readInt()
        guard flag == 0 || flag == 1 else { throw ClusterError.malformedMessage("work: state flag \(flag)") }
        fromFull = flag == 1
        removedEdges = try Self.edges(r.readInts(), graph: graph)
        severedInputs = try Self.inputs(r.readInts(), graph: graph)
        let count = try r.readInt()
        guard count >= 0, count <= graph.edgeCount + graph.nodeCount else {
            throw ClusterError.malformedMessage("work: \(count) candidates")
        }
        candidates = try (0..<count).map { _ in
            let index = try r.readInt()
            let edges = try Self.edges(r.readInts(), graph: graph).map(EdgeID.init)
            let inputs = try Self.inputs(r.readInts(), graph: graph).map(NodeID.init)
            return (index, StateChange(removedEdges: edges, severedInputs: inputs))
        }
        guard r.isAtEnd else { throw ClusterError.malformedMessage("work: \(bytes.count) bytes, trailing data") }
    }

    init(fromFull: Bool, removedEdges: [Int], severedInputs: [Int], candidates: [(index: Int, change: StateChange)]) {
        self.fromFull = fromFull
        self.removedEdges = removedEdges
        self.severedInputs = severedInputs
        self.candidates = candidates
    }

    private static func edges(_ ids: [Int], graph: CircuitGraph) throws -> [Int] {
        for id in ids where !(0..<graph.edgeCount).contains(id) {
            throw ClusterError.malformedMessage("work: edge id \(id) outside 0..<\(graph.edgeCount)")
        }
        return ids
    }

    private static func inputs(_ ids: [Int], graph: CircuitGraph) throws -> [Int] {
        for id in ids {
            guard (0..<graph.nodeCount).contains(id), case .headInput = graph[NodeID(id)].kind else {
                throw ClusterError.malformedMessage("work: node id \(id) is not a head input")
            }
        }
        return ids
    }
}

/// A worker's results: per candidate its window position, value and loss (bit patterns).
struct ResultMessage: Equatable {
    var entries: [(index: Int, value: Double, loss: Double)]

    static func == (a: ResultMessage, b: ResultMessage) -> Bool {
        a.entries.map(\.index) == b.entries.map(\.index)
            && a.entries.map(\.value.bitPattern) == b.entries.map(\.value.bitPattern)
            && a.entries.map(\.loss.bitPattern) == b.entries.map(\.loss.bitPattern)
    }

    var bytes: [UInt8] {
        var w = MessageWriter()
        w.write(entries.count)
        for e in entries {
            w.write(e.index)
            w.write(e.value)
            w.write(e.loss)
        }
        return w.bytes
    }

    init(entries: [(index: Int, value: Double, loss: Double)]) {
        self.entries = entries
    }

    init(bytes: [UInt8]) throws {
        var r = MessageReader(bytes)
        let count = try r.readInt()
        guard count >= 0, count <= bytes.count / 24 else { throw ClusterError.malformedMessage("results: \(count) entries") }
        entries = try (0..<count).map { _ in (try r.readInt(), try r.readDouble(), try r.readDouble()) }
        guard r.isAtEnd else { throw ClusterError.malformedMessage("results: trailing data") }
    }
}

extension EdgeTestStatistics {
    /// As a `SpeculationTag.statistics` message.
    var messageBytes: [UInt8] {
        var w = MessageWriter()
        w.write(tests)
        w.write(flops)
        w.write(denseFLOPs)
        return w.bytes
    }

    init(messageBytes: [UInt8]) throws {
        var r = MessageReader(messageBytes)
        self.init(tests: try r.readInt(), flops: try r.readDouble(), denseFLOPs: try r.readDouble())
        guard r.isAtEnd else { throw ClusterError.malformedMessage("statistics: trailing data") }
    }
}
