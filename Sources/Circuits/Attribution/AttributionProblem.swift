/// Why an attribution cannot run as asked (carried by `CircuitsError.attribution`).
public enum AttributionProblem: Sendable, Equatable, CustomStringConvertible {
    /// The method is not defined for this ablation.
    case unsupportedAblation(method: String, ablation: String, supported: [String])
    /// The metric has no gradient attribution can use.
    case unsupportedMetric(metric: String, reason: String)
    /// Steps must be at least 1; batch sizes and budgets positive.
    case invalidSetting(name: String, value: Int)
    /// A NaN or infinity appeared in a pass (named) of the attribution.
    case nonFinite(what: String)

    public var description: String {
        switch self {
        case let .unsupportedAblation(method, ablation, supported):
            "\(method) is defined for \(supported.joined(separator: ", ")) ablation only, not \(ablation)"
        case let .unsupportedMetric(metric, reason):
            "attribution with the \(metric) metric is not supported: \(reason)"
        case let .invalidSetting(name, value):
            "\(name) must be at least 1, not \(value)"
        case let .nonFinite(what):
            "attribution produced NaN or infinite values in \(what)"
        }
    }
}
