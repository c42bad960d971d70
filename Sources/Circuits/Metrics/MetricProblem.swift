/// What a metric found wrong (carried by `CircuitsError.metric`); each message names the prompt, token or shape that
/// was wrong.
public enum MetricProblem: Sendable, Equatable, CustomStringConvertible {
    case shapeMismatch(what: String, expected: [Int], found: [Int])
    case noAnswers(prompt: Int, kind: String)
    case answerOutOfRange(prompt: Int, token: Int, vocabularySize: Int)
    case outputDimOutOfRange(dim: Int, vocabularySize: Int)
    case missingBaseline(metric: String, baseline: String)
    case degenerateBaseline(clean: Double, corrupted: Double)
    // issue 15
    /// Logits of an unpatched run that are NaN or infinite (`what`: which run), at a prompt and read position.
    case nonFiniteLogits(what: String, prompt: Int, read: Int, nan: Int, infinite: Int)
    /// A metric value that is NaN or infinite for a prompt of a patched run.
    case nonFiniteValue(metric: String, prompt: Int, value: Double)
    /// A prompt whose correct and incorrect answers are the same tokens, for a metric that compares them.
    case identicalAnswers(prompt: Int, tokens: [Int], metric: String)

    public var description: String {
        switch self {
        case let .shapeMismatch(what, expected, found): "\(what) has shape \(found), expected \(expected)"
        case let .noAnswers(prompt, kind): "prompt \(prompt) has no \(kind) answer tokens, which the metric needs"
        case let .answerOutOfRange(prompt, token, vocabularySize):
            "prompt \(prompt): answer token \(token) is outside the \(vocabularySize) output logits"
        case let .outputDimOutOfRange(dim, vocabularySize):
            "output dimension \(dim) is outside the \(vocabularySize) output logits"
        case let .missingBaseline(metric, baseline): "metric \(metric) needs the \(baseline)"
        case let .degenerateBaseline(clean, corrupted):
            "the clean (\(clean)) and corrupted (\(corrupted)) logit differences are equal; the normalised metric is undefined"
        case let .nonFiniteLogits(what, prompt, read, nan, infinite):
            "\(what) are not finite at prompt \(prompt), read position \(read) (\(nan) NaN, \(infinite) infinite "
                + "values): the model computes NaN or infinity there; check its weights"
        case let .nonFiniteValue(metric, prompt, value):
            "the \(metric) metric is \(value) for prompt \(prompt) of a patched run: the patched model computes NaN or "
                + "infinity"
        case let .identicalAnswers(prompt, tokens, metric):
            "prompt \(prompt): the correct and incorrect answers are the same token"
                + (tokens.count == 1 ? " (\(tokens[0]))" : "s (\(tokens.map(String.init).joined(separator: ", ")))")
                + ", so \(metric) is 0 whatever is patched; give different answers"
        }
    }
}
