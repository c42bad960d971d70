/// What is wrong with a prompt set (carried by `CircuitsError.promptSet`). Each message names the prompt index and
/// the offending values.
public enum PromptSetProblem: Sendable, Equatable, CustomStringConvertible {
    case empty
    case countMismatch(field: String, count: Int, expected: Int)
    case unequalLength(prompt: Int, cleanLength: Int, corruptedLength: Int)
    case emptyPrompt(prompt: Int)
    case readPositionOutOfRange(prompt: Int, position: Int, length: Int)
    case readCountMismatch(prompt: Int, count: Int, expected: Int)
    case wordPositionOutOfRange(prompt: Int, name: String, position: Int, length: Int)
    case negativeToken(prompt: Int, position: Int, token: Int)
    case negativeOutputDim(Int)
    case unreadable(file: String, reason: String)
    case unsupportedFormat(version: Int, supported: Int)
    // issue 15
    /// A prompt set the model cannot take (token, answer or length beyond it); `reason` names the prompt.
    case doesNotFitModel(reason: String)

    public var description: String {
        switch self {
        case .empty: "the prompt set holds no prompts"
        case let .countMismatch(field, count, expected):
            "prompt set field '\(field)' has \(count) entries, the set has \(expected) prompts"
        case let .unequalLength(prompt, cleanLength, corruptedLength):
            "prompt \(prompt): the clean prompt has \(cleanLength) tokens but the corrupted one has \(corruptedLength); "
                + "patching needs equal lengths"
        case let .emptyPrompt(prompt): "prompt \(prompt) has no tokens"
        case let .readPositionOutOfRange(prompt, position, length):
            "prompt \(prompt): read position \(position) is outside its \(length) tokens"
        case let .readCountMismatch(prompt, count, expected):
            "prompt \(prompt) reads \(count) positions, prompt 0 reads \(expected); every prompt must read equally many"
        case let .wordPositionOutOfRange(prompt, name, position, length):
            "prompt \(prompt): word position \(name)=\(position) is outside its \(length) tokens"
        case let .negativeToken(prompt, position, token):
            "prompt \(prompt), position \(position): token id \(token) is negative"
        case let .negativeOutputDim(dim): "output dimension \(dim) is negative"
        case let .unreadable(file, reason): "cannot read prompt set \(file): \(reason)"
        case let .unsupportedFormat(version, supported):
            "prompt set format version \(version) is not supported (this build reads version \(supported))"
        case let .doesNotFitModel(reason): "the prompts do not fit the model: \(reason)"
        }
    }
}
