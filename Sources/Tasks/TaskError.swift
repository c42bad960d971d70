/// What is wrong with one line of a user prompt file (see `JSONLPrompts`).
public enum JSONLIssue: Equatable, CustomStringConvertible, Sendable {
    case malformedJSON(String)
    case missingField(String)
    case wrongType(field: String, expected: String)
    case unknownAnswer(field: String, text: String)
    case unequalLength(clean: Int, corrupted: Int)
    case emptyPrompt(field: String)
    case tokenizerNeeded(field: String)
    case tokenOutOfRange(field: String, token: Int, vocabularySize: Int)
    // issue 15
    /// A token id the model has no embedding (prompt) or logit (answer) for.
    case tokenOutsideModel(field: String, token: Int, vocabularySize: Int)
    /// A prompt longer than the model's context.
    case tooLong(field: String, length: Int, context: Int)
    /// `"correct": []` or `"incorrect": []`.
    case emptyList(field: String)
    /// Text the tokenizer cannot encode (a word-level vocabulary without the word).
    case untokenizable(field: String, reason: String)
    /// A byte that is not UTF-8 (`column` counts bytes from 1).
    case notUTF8(column: Int, byte: UInt8)

    public var description: String {
        switch self {
        case let .malformedJSON(reason): reason
        case let .missingField(field): "missing field '\(field)'"
        case let .wrongType(field, expected): "field '\(field)' must be \(expected)"
        case let .unknownAnswer(field, text):
            "\(field) answer \"\(text)\" is not a single token of the tokenizer (unknown or several tokens)"
        case let .unequalLength(clean, corrupted):
            "clean prompt has \(clean) tokens but corrupted has \(corrupted); they must be equally long"
        case let .emptyPrompt(field): "field '\(field)' has no tokens"
        case let .tokenOutOfRange(field, token, vocabularySize):
            "field '\(field)' has token id \(token), outside the tokenizer's \(vocabularySize) ids"
        case let .tokenizerNeeded(field): "field '\(field)' is text, which needs a tokenizer; give token ids or a model"
        case let .tokenOutsideModel(field, token, vocabularySize):
            "field '\(field)' has token id \(token), but the model has only \(vocabularySize) "
                + (field == "clean" || field == "corrupted" ? "input tokens (ids 0–\(vocabularySize - 1))"
                    : "output logits (ids 0–\(vocabularySize - 1))")
        case let .tooLong(field, length, context):
            "field '\(field)' has \(length) tokens, more than the model's context of \(context)"
        case let .emptyList(field):
            field == "incorrect"
                ? "field 'incorrect' is an empty list; give at least one token or leave the field out"
                : "field '\(field)' is an empty list; give at least one token"
        case let .untokenizable(field, reason): "field '\(field)': \(reason)"
        case let .notUTF8(column, byte):
            "byte \(column) (0x" + String(byte, radix: 16, uppercase: true) + ") is not UTF-8 text; save the file as UTF-8"
        }
    }
}

/// Every error the Tasks module reports. Each message names the file, line, prompt or token that was wrong.
public enum TaskError: Error, Equatable, CustomStringConvertible {
    case dataFileUnreadable(file: String, reason: String)
    case dataFileInvalid(file: String, reason: String)
    case tooFewNames(available: Int, needed: Int, dropped: Int)
    case namePositionNotFound(prompt: Int, name: String, text: String)
    case corruptedLengthMismatch(prompt: Int, clean: Int, corrupted: Int, text: String)
    case tokenizerRequired(task: String)
    case unsupportedTokenizer(task: String, reason: String)
    case invalidOption(task: String, reason: String)
    case jsonl(file: String, line: Int, issue: JSONLIssue)
    case emptyFile(file: String)
    case missingSplit(task: String, split: String)
    case unknownTask(String)
    // issue 15
    /// A task run on a model it was not made for (a tracr program on a language model, a tokenizer larger than the
    /// model's vocabulary); `reason` says what does not match.
    case modelDoesNotFit(task: String, reason: String)

    public var description: String {
        switch self {
        case let .dataFileUnreadable(file, reason): "cannot read task data \(file): \(reason)"
        case let .dataFileInvalid(file, reason): "task data \(file): \(reason)"
        case let .tooFewNames(available, needed, dropped):
            "only \(available) names are single tokens (\(dropped) dropped); the task needs at least \(needed)"
        case let .namePositionNotFound(prompt, name, text):
            "prompt \(prompt): cannot find the token of name '\(name)' where the template puts it in \"\(text)\""
        case let .corruptedLengthMismatch(prompt, clean, corrupted, text):
            "prompt \(prompt): corrupted prompt \"\(text)\" has \(corrupted) tokens, the clean one \(clean)"
        case let .tokenizerRequired(task): "task \(task) needs a tokenizer"
        case let .unsupportedTokenizer(task, reason): "task \(task) cannot use this tokenizer: \(reason)"
        case let .invalidOption(task, reason): "task \(task): \(reason)"
        case let .jsonl(file, line, issue): "\(file):\(line): \(issue)"
        case let .emptyFile(file): "\(file): the file holds no prompts"
        case let .missingSplit(task, split): "task \(task) has no \(split) split"
        case let .modelDoesNotFit(task, reason): "task \(task) does not fit this model: \(reason)"
        case let .unknownTask(name):
            "unknown task '\(name)'; known: \(CircuitTask.allCases.map(\.rawValue).joined(separator: ", "))"
        }
    }
}
