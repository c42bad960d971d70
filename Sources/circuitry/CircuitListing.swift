import Circuits

/// The circuit as `discover` prints it, whichever method found it: one line per receiver with its senders, in the
/// circuit's edge order (receivers in graph order).
enum CircuitListing {
    /// `  receiver <- sender, sender, …` lines.
    static func receiverLines(_ circuit: Circuit, graph: CircuitGraph) -> [String] {
        var byReceiver: [(receiver: String, senders: [String])] = []
        for edge in circuit.edges {
            let e = graph[edge]
            let receiver = graph[e.receiver].name
            if byReceiver.last?.receiver == receiver {
                byReceiver[byReceiver.count - 1].senders.append(graph[e.sender].name)
            } else {
                byReceiver.append((receiver, [graph[e.sender].name]))
            }
        }
        return byReceiver.map { "  \($0.receiver) <- \($0.senders.joined(separator: ", "))" }
    }
}
