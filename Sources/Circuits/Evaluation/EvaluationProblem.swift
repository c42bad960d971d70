/// Why a circuit evaluation cannot give a number (carried by `CircuitsError.evaluation`).
public enum EvaluationProblem: Sendable, Equatable, CustomStringConvertible {
    /// m(full) = m(∅): faithfulness (m(C) − m(∅)) / (m(full) − m(∅)) is undefined.
    case degenerate(full: Double, empty: Double)
    /// A metric came out NaN or infinite.
    case nonFiniteMetric(what: String, value: Double)
    /// ROC against a reference that has no edges (no true positives possible) or every edge (no negatives).
    case degenerateReference(edges: Int, total: Int)

    public var description: String {
        switch self {
        case .degenerate(let full, let empty):
            "the full model (\(full)) and the empty circuit (\(empty)) score the same; faithfulness is undefined"
        case .nonFiniteMetric(let what, let value):
            "the metric of \(what) is \(value)"
        case .degenerateReference(let edges, let total):
            "the reference circuit has \(edges) of \(total) edges; a ROC curve needs some edges in it and some out"
        }
    }
}
