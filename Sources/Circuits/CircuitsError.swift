/// Every error the Circuits module throws on bad input (hypothesis files, circuit JSON, prompt sets, metric
/// inputs, …). Messages name the file or context, the line and the offending token, and suggest valid names where that helps.
///
/// One enum for the module; new concerns add cases here (with a nested `…Problem` payload enum when a concern has
/// many variants, as `hypothesis`, `promptSet` and `metric` do).
public enum CircuitsError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A hypothesis file line could not be understood. `file` is the source's name when known, `line` is 1-based,
    /// `token` the offending text, `suggestions` up to three nearby valid node names (edit distance).
    case hypothesis(file: String?, line: Int, token: String, problem: HypothesisProblem, suggestions: [String])
    /// A node name that the graph does not have in the expected role (e.g. in circuit JSON).
    case unknownNode(name: String, role: NodeRole, context: String, suggestions: [String])
    /// Two valid node names that the graph does not connect (the sender does not precede the receiver).
    case edgeNotInGraph(sender: String, receiver: String, context: String)
    /// Circuit JSON that is not of the form `{"edges": [{"sender": …, "receiver": …}, …]}`.
    case malformedCircuitJSON(context: String, reason: String)
    /// A file that could not be read (missing, unreadable, not UTF-8).
    case unreadableFile(path: String, reason: String)
    /// The edge-patching executor could not run as asked.
    case executor(ExecutorProblem)
    /// A saved ACDC state that cannot be resumed here.
    case acdcState(reason: String)
    /// A prompt set that breaks its invariants (see `PromptSet.validate()`) or a prompt-set file that cannot be read.
    case promptSet(PromptSetProblem)
    /// Logits or answers a metric cannot score (wrong shapes, answer ids outside the vocabulary, missing baselines).
    case metric(MetricProblem)
    /// A scores or graph file from another tool (EAP-IG / MIB graph JSON, a flat score list, an ACDC report used as
    /// a ranking) that cannot be read against this graph. `file` names it.
    case interchange(file: String, problem: InterchangeProblem)
    /// A circuit evaluation (faithfulness curve, ROC) that cannot give a number.
    case evaluation(EvaluationProblem)
    /// Edge attribution (EAP, EAP-IG) that cannot run as asked.
    case attribution(AttributionProblem)
    // issue 15
    /// A saved ACDC state from a run with another setting; resuming would blend two runs.
    case acdcStateMismatch(setting: String, saved: String, current: String)

    public var description: String {
        switch self {
        case .hypothesis(let file, let line, let token, let problem, let suggestions):
            let location = "\(file ?? "hypothesis"):\(line)"
            return "\(location): '\(token)': \(problem)" + Self.suggestionText(suggestions)
        case .unknownNode(let name, let role, let context, let suggestions):
            return "\(context): unknown \(role.rawValue) node '\(name)'" + Self.suggestionText(suggestions)
        case .edgeNotInGraph(let sender, let receiver, let context):
            return "\(context): the graph has no edge \(sender) -> \(receiver) (a sender must write to the residual "
                + "stream before the receiver reads it)"
        case .malformedCircuitJSON(let context, let reason):
            return "\(context): malformed circuit JSON: \(reason)"
        case .unreadableFile(let path, let reason):
            return "\(path): cannot read: \(reason)"
        case .executor(let problem):
            return problem.description
        case .acdcState(let reason):
            return "cannot resume ACDC: \(reason)"
        case .promptSet(let problem):
            return problem.description
        case .metric(let problem):
            return problem.description
        case .interchange(let file, let problem):
            return "\(file): \(problem)"
        case .evaluation(let problem):
            return problem.description
        case .attribution(let problem):
            return problem.description
        case .acdcStateMismatch(let setting, let saved, let current):
            return "cannot resume ACDC: the state was saved with \(setting) \(saved), this run has \(setting) "
                + "\(current); resume with the same settings, or start again without --resume"
        }
    }

    private static func suggestionText(_ suggestions: [String]) -> String {
        suggestions.isEmpty ? "" : " (did you mean \(suggestions.joined(separator: ", "))?)"
    }
}
