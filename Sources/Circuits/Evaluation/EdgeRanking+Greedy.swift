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
