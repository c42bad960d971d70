import Circuits
import Cluster

/// Rank 0's side of speculative ACDC (issue 17): the window's candidates are dealt round-robin over the ranks —
/// candidate j to rank j mod N, so rank 0 tests the first, the one always used — each worker is sent the run's
/// state (as what changed since the state it last received) and its candidates, rank 0 tests its own, and the
/// results come back as exact bit patterns.
struct MPICandidateEvaluator: CandidateEvaluator {
    let world: MPIWorld
    let window: Int
    let graph: CircuitGraph
    /// Per rank, the last state sent (rank 0's entry unused).
    private var sentCircuit: [Circuit]
    private var sentSevered: [Set<NodeID>]
    private var stopped = false

    init(world: MPIWorld, window: Int, graph: CircuitGraph) {
        self.world = world
        self.window = window
        self.graph = graph
        sentCircuit = Array(repeating: .full(graph), count: world.size)
        sentSevered = Array(repeating: [], count: world.size)
    }

    var processes: Int { world.size }

    mutating func evaluate(
        _ changes: [StateChange], base: Circuit, severedInputs: Set<NodeID>, executor: inout EdgePatchingExecutor,
        objective: PruningObjective
    ) throws -> [(value: Double, loss: Double)] {
        var results = [(value: Double, loss: Double)?](repeating: nil, count: changes.count)
        var waiting: [Int] = []
        for rank in 1..<max(1, world.size) {
            let mine = stride(from: rank, to: changes.count, by: world.size).map { ($0, changes[$0]) }
            guard !mine.isEmpty else { continue }
            let message: WorkMessage
            if base.isSubset(of: sentCircuit[rank]) && sentSevered[rank].isSubset(of: severedInputs) {
                message = WorkMessage(
                    fromFull: false, removedEdges: sentCircuit[rank].subtracting(base).edges.map(\.rawValue),
                    severedInputs: severedInputs.subtracting(sentSevered[rank]).map(\.rawValue).sorted(),
                    candidates: mine)
            } else {
                message = WorkMessage(
                    fromFull: true, removedEdges: base.complement.edges.map(\.rawValue),
                    severedInputs: severedInputs.map(\.rawValue).sorted(), candidates: mine)
            }
            try world.send(message.bytes, to: rank, tag: SpeculationTag.work)
            sentCircuit[rank] = base
            sentSevered[rank] = severedInputs
            waiting.append(rank)
        }
        for j in stride(from: 0, to: changes.count, by: world.size) {
            results[j] = try objective.evaluate(
                executor.candidateLogits(changes[j], base: base, severedInputs: severedInputs))
        }
        for rank in waiting {
            let reply = try world.receive(from: rank, tag: SpeculationTag.results)
            for entry in try ResultMessage(bytes: reply.bytes).entries {
                guard entry.index % world.size == rank, results.indices.contains(entry.index),
                      results[entry.index] == nil else {
                    throw ClusterError.malformedMessage("results: rank \(rank) answered for candidate \(entry.index)")
                }
                results[entry.index] = (entry.value, entry.loss)
            }
        }
        return try results.enumerated().map { j, result in
            guard let result else { throw ClusterError.malformedMessage("results: no answer for candidate \(j)") }
            return result
        }
    }

    /// Ends every worker and returns their test work.
    mutating func finish() throws -> EdgeTestStatistics {
        guard !stopped else { return EdgeTestStatistics() }
        stopped = true
        var total = EdgeTestStatistics()
        for rank in 1..<max(1, world.size) { try world.send([], to: rank, tag: SpeculationTag.stop) }
        for rank in 1..<max(1, world.size) {
            let reply = try world.receive(from: rank, tag: SpeculationTag.statistics)
            let s = try EdgeTestStatistics(messageBytes: reply.bytes)
            total = EdgeTestStatistics(
                tests: total.tests + s.tests, flops: total.flops + s.flops, denseFLOPs: total.denseFLOPs + s.denseFLOPs)
        }
        return total
    }
}

/// A worker rank's side: keeps the run's state as rank 0 last sent it, tests the candidates it is given on its own
/// executor, and answers until told to stop.
struct SpeculationWorker {
    let world: MPIWorld
    private var base: Circuit
    private var severed: Set<NodeID> = []

    init(world: MPIWorld, graph: CircuitGraph) {
        self.world = world
        base = .full(graph)
    }

    mutating func serve(executor: inout EdgePatchingExecutor, objective: PruningObjective) throws {
        let graph = executor.graph
        let before = executor.testStatistics
        while true {
            let message = try world.receive(from: 0)
            switch message.tag {
            case SpeculationTag.work:
                let work = try WorkMessage(bytes: message.bytes, graph: graph)
                if work.fromFull {
                    base = .full(graph)
                    severed = []
                }
                for e in work.removedEdges { base.remove(EdgeID(e)) }
                severed.formUnion(work.severedInputs.map(NodeID.init))
                var entries: [(index: Int, value: Double, loss: Double)] = []
                for (index, change) in work.candidates {
                    for e in change.removedEdges where !base.contains(e) {
                        throw ClusterError.malformedMessage("work: candidate removes \(graph.name(of: e)), already absent")
                    }
                    for r in change.severedInputs where severed.contains(r) {
                        throw ClusterError.malformedMessage("work: candidate severs \(graph[r].name), already severed")
                    }
                    let result = try objective.evaluate(
                        executor.candidateLogits(change, base: base, severedInputs: severed))
                    entries.append((index, result.value, result.loss))
                }
                try world.send(ResultMessage(entries: entries).bytes, to: 0, tag: SpeculationTag.results)
            case SpeculationTag.stop:
                try world.send(executor.testStatistics.since(before).messageBytes, to: 0, tag: SpeculationTag.statistics)
                return
            default:
                throw ClusterError.malformedMessage("unexpected message tag \(message.tag) from rank \(message.source)")
            }
        }
    }
}
