import Foundation

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
    /// A weight tensor holds NaN or ±Inf values.
    case nonFiniteWeights(file: String, tensor: String, count: Int, total: Int)
    /// The checkpoint has tensors of a layer beyond the configuration's `nLayers`.
    case layerCountMismatch(file: String, configLayers: Int, tensor: String)
    /// The configuration names a `model_type` circuitry cannot run.
    case unsupportedArchitecture(file: String, modelType: String, supported: [String])
    /// A configuration value circuitry does not implement (named with the feature it would need).
    case unsupportedFeature(file: String, key: String, reason: String)
    /// The model (and what will be built on it) needs more memory than the machine has available.
    case insufficientMemory(what: String, needed: Int, available: Int)
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
        case let .nonFiniteWeights(file, tensor, count, total):
            "weights \(file): tensor '\(tensor)' holds \(count) NaN or infinite value\(count == 1 ? "" : "s") (of \(total))"
        case let .layerCountMismatch(file, layers, tensor):
            "weights \(file) hold tensor '\(tensor)' of a layer beyond the configuration's \(layers) layers; "
                + "the config.json does not describe these weights"
        case let .unsupportedArchitecture(file, modelType, supported):
            "model configuration \(file): model_type '\(modelType)' is not supported; circuitry reads "
                + supported.joined(separator: ", ")
        case let .unsupportedFeature(file, key, reason): "model configuration \(file): '\(key)' \(reason)"
        case let .insufficientMemory(what, needed, available):
            "\(what) needs about \(ByteCount.format(needed)) of memory, but only \(ByteCount.format(available)) "
                + "is available on this machine"
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

/// Human-readable byte counts for messages (`2.6 GB`, decimal units as `ls -h --si` prints them).
public enum ByteCount {
    public static func format(_ bytes: Int) -> String {
        let units = ["bytes", "kB", "MB", "GB", "TB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1000 && unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        return unit == 0 ? "\(bytes) bytes" : String(format: value < 10 ? "%.1f" : "%.0f", value) + " " + units[unit]
    }
}
