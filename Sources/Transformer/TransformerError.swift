/// Every error the Transformer module reports. Each message names the file, tensor, token or value that was wrong.
public enum TransformerError: Error, Equatable, CustomStringConvertible {
    // Configuration
    case configUnreadable(file: String, reason: String)
    case configMissingKey(file: String, key: String)
    case configInvalid(file: String, key: String, reason: String)
    // Weights
    case weightsUnreadable(file: String, reason: String)
    case missingTensor(file: String, tensor: String)
    case tensorShapeMismatch(file: String, tensor: String, expected: [Int], found: [Int])
    // Forward pass input
    case emptyBatch
    case raggedBatch(prompt: Int, length: Int, expected: Int)
    case sequenceTooLong(length: Int, maximum: Int)
    case tokenOutOfRange(token: Int, prompt: Int, position: Int, vocabularySize: Int)
    case positionOutOfRange(position: Int, length: Int)
    /// An intervention's values do not fit the batch (`site` names the activation, e.g. `blocks.2.attn.hook_q[3]`).
    case interventionShapeMismatch(site: String, expected: [Int], found: [Int])
    // Model resolution and download
    case modelNotFound(String, searched: [String])
    case downloadFailed(url: String, reason: String)
    case checksumMismatch(file: String, expected: String, found: String)
    // Output
    case fileWriteFailed(file: String, reason: String)
    // issue 15
    /// A text input (prompts, hypothesis, state, task data) that cannot be read or is not UTF-8; `reason` says why.
    case textUnreadable(file: String, reason: String)
    /// `HF_HUB_OFFLINE` is set, so nothing is fetched from the network.
    case offline(String)

    public var description: String {
        switch self {
        case let .configUnreadable(file, reason): "cannot read model configuration \(file): \(reason)"
        case let .configMissingKey(file, key): "model configuration \(file) has no key '\(key)'"
        case let .configInvalid(file, key, reason): "model configuration \(file): '\(key)' \(reason)"
        case let .weightsUnreadable(file, reason): "cannot read weights \(file): \(reason)"
        case let .missingTensor(file, tensor): "weights \(file) have no tensor '\(tensor)'"
        case let .tensorShapeMismatch(file, tensor, expected, found):
            "weights \(file): tensor '\(tensor)' has shape \(found), the configuration needs \(expected)"
        case .emptyBatch: "the batch holds no prompts"
        case let .raggedBatch(prompt, length, expected):
            "prompt \(prompt) has \(length) tokens, the batch's first prompt has \(expected); a batch needs equal lengths"
        case let .sequenceTooLong(length, maximum): "a prompt of \(length) tokens is longer than the model's context of \(maximum)"
        case let .tokenOutOfRange(token, prompt, position, vocabularySize):
            "token id \(token) (prompt \(prompt), position \(position)) is outside the vocabulary of \(vocabularySize)"
        case let .positionOutOfRange(position, length): "position \(position) is outside prompts of \(length) tokens"
        case let .interventionShapeMismatch(site, expected, found):
            "intervention on \(site): values of shape \(found), the batch needs \(expected)"
        case let .modelNotFound(model, searched):
            "model '\(model)' not found; looked in: \(searched.joined(separator: ", "))"
                + (ModelResolver.isRepositoryID(model)
                    ? ". To fetch it from the Hugging Face Hub, run `circuitry download \(model)`" : "")
        case let .downloadFailed(url, reason): "download of \(url) failed: \(reason)"
        case let .checksumMismatch(file, expected, found): "\(file): checksum \(found), expected \(expected)"
        case let .fileWriteFailed(file, reason): "cannot write \(file): \(reason)"
        case let .textUnreadable(file, reason): "cannot read \(file): \(reason)"
        case let .offline(message): message
        }
    }
}
