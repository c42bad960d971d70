/// What is wrong with a scores or graph file from another tool (carried by `CircuitsError.interchange`).
public enum InterchangeProblem: Sendable, Equatable, CustomStringConvertible {
    /// Not valid JSON, or not of the expected shape; `line` is 1-based (EAP-IG writes its whole file on line 1).
    case malformed(line: Int, reason: String)
    /// None of the score formats: EAP-IG graph JSON, a flat `[{"sender", "receiver", "score"}]` list, or a circuitry
    /// ACDC report.
    case unknownFormat
    /// The file's `cfg` describes another model shape.
    case shapeMismatch(file: String, model: String)
    /// The graph cannot be written in EAP-IG's names (separate position embedding, no MLPs).
    case incompatibleGraph(reason: String)
    /// An EAP-IG file with `parallel_attn_mlp: true`, whose MLPs read their own layer's residual before the heads.
    case parallelAttentionMLP
    /// A node or edge name that this graph does not have.
    case unknownEdge(name: String, suggestions: [String])
    /// The same edge twice.
    case duplicateEdge(name: String)
    /// A score that is not a finite number.
    case badScore(edge: String, found: String)
    /// A ranking must score every edge of the graph; `first` is the first unscored edge in graph order.
    case missingScores(count: Int, first: String)
    /// Neuron-level EAP-IG graphs (some neurons of a node out of the circuit) have no edge-level equivalent here.
    case neuronLevel(node: String)
    /// An ACDC report that cannot be a ranking: a stopped run, or written before reports listed every tested edge.
    case acdcReport(reason: String)

    public var description: String {
        switch self {
        case .malformed(let line, let reason):
            "line \(line): \(reason)"
        case .unknownFormat:
            "not a scores file: expected EAP-IG / MIB graph JSON ({\"cfg\", \"nodes\", \"edges\"}), a list of "
                + "{\"sender\", \"receiver\", \"score\"} objects, or a circuitry ACDC report (discover --json)"
        case .shapeMismatch(let file, let model):
            "the file is for a model of \(file), this model is \(model)"
        case .incompatibleGraph(let reason):
            "cannot use EAP-IG's graph format: \(reason)"
        case .parallelAttentionMLP:
            "parallel_attn_mlp is true (MLPs beside the heads); circuitry's graph has heads of layer L feeding MLP L"
        case .unknownEdge(let name, let suggestions):
            "unknown edge '\(name)'" + (suggestions.isEmpty ? "" : " (did you mean \(suggestions.joined(separator: ", "))?)")
        case .duplicateEdge(let name):
            "edge '\(name)' appears twice"
        case .badScore(let edge, let found):
            "the score of '\(edge)' is \(found), not a finite number"
        case .missingScores(let count, let first):
            "\(count) edge\(count == 1 ? " has" : "s have") no score (first: \(first)); a ranking scores every edge"
        case .neuronLevel(let node):
            "node '\(node)' keeps only some of its neurons; neuron-level circuits are not supported"
        case .acdcReport(let reason):
            "cannot rank edges from this ACDC report: \(reason)"
        }
    }
}
