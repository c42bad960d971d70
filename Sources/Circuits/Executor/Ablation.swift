/// What an ablated edge's receiver sees from the sender instead of its live output.
///
/// Conmy et al. 2023 (ACDC) and auto-circuit call the value a sender contributes through an ablated edge its
/// "patch" value. circuitry offers the three in common use.
public enum AblationKind: String, Sendable, CaseIterable, Codable {
    /// The sender's output on the corrupted prompt paired with each clean prompt (ACDC's default; the IOI paper's
    /// path patching). Needs corrupted prompts of the clean prompts' lengths.
    case resample
    /// Zero (ACDC's tracr experiments).
    case zero
    /// The sender's output averaged over a reference set of prompts, per position (the IOI paper's mean ablation
    /// over the ABC distribution). Needs reference prompts of the clean prompts' length.
    case mean
}

/// Problems the edge-patching executor reports.
public enum ExecutorProblem: Sendable, Equatable, CustomStringConvertible {
    /// The clean prompts and the ablation source's prompts differ in count or length.
    case sourceShapeMismatch(kind: AblationKind, expected: String, found: String)
    /// The ablation needs prompts that were not given (corrupted prompts for resample, reference prompts for mean).
    case missingSource(kind: AblationKind)
    /// The graph was built for another model shape.
    case graphMismatch(graph: String, model: String)
    /// A self-check failed: the patched run did not reproduce a reference run.
    case selfCheckFailed(check: String, maxDifference: Float, tolerance: Float)
    /// The model's architecture has no edge graph (the reason says why).
    case unsupportedModel(String)

    public var description: String {
        switch self {
        case let .sourceShapeMismatch(kind, expected, found):
            "\(kind.rawValue) ablation: the source prompts are \(found), the clean prompts \(expected)"
        case let .missingSource(kind):
            kind == .resample
                ? "resample ablation needs corrupted prompts" : "mean ablation needs reference prompts"
        case let .graphMismatch(graph, model): "the graph (\(graph)) does not fit the model (\(model))"
        case let .selfCheckFailed(check, diff, tol):
            diff.isNaN
                ? "self-check failed: \(check): the logits hold NaN or infinite values"
                : "self-check failed: \(check): logits differ by up to \(diff) (tolerance \(tol))"
        case let .unsupportedModel(reason): "circuit graphs are not available for \(reason)"
        }
    }
}
