import Foundation

/// A model family circuitry can load: how its `config.json` reads (a `Decodable` configuration with the family's
/// own `CodingKeys`, decoded with `decodeIfPresent(...) ?? default` as Hugging Face's config classes default them)
/// and how its checkpoint's tensors map into circuitry's canonical layout (`BlockWeights`). Following
/// mlx-swift-lm's `Models/*.swift` and `LLMModelFactory`, a family is one file plus one line in
/// `ModelArchitectures.registered`.
protocol ModelArchitecture {
    associatedtype Configuration: Decodable
    /// The Hugging Face `model_type` values this file reads.
    static var modelTypes: [String] { get }
    /// The configuration in circuitry's terms; throws `TransformerError.configInvalid` for unsupported values.
    static func modelConfig(_ configuration: Configuration, file: String) throws -> ModelConfig
    /// The weights of `config` from a checkpoint.
    static func weights(_ reader: inout WeightReader, config: ModelConfig) throws -> TransformerWeights
}

extension ModelArchitecture {
    /// Decodes `data` as this family's configuration.
    static func decodeConfig(_ data: Data, file: String) throws -> ModelConfig {
        let configuration: Configuration
        do {
            configuration = try JSONDecoder().decode(Configuration.self, from: data)
        } catch let error as DecodingError {
            throw ConfigDecoding.translate(error, file: file)
        } catch let error as TransformerError {
            throw error
        } catch {
            throw TransformerError.configUnreadable(file: file, reason: "\(error)")
        }
        return try modelConfig(configuration, file: file)
    }
}

/// The registered model families, by `model_type`.
public enum ModelArchitectures {
    /// One line per family.
    static var registered: [any ModelArchitecture.Type] {
        [
            GPT2.self,
            Llama.self,
            Qwen2.self,
            GPTNeoX.self,
            Gemma2.self,
            TransformerLensExport.self,
        ]
    }

    /// Every `model_type` circuitry reads, sorted.
    public static var supportedModelTypes: [String] {
        registered.flatMap { $0.modelTypes }.sorted()
    }

    /// The family of a `model_type`.
    static func architecture(modelType: String) -> (any ModelArchitecture.Type)? {
        registered.first { $0.modelTypes.contains(modelType) }
    }

    /// The family of the configuration in `data`: its `model_type`, or — for configurations without one, as
    /// older GPT-2 checkpoints and TransformerLens exports (tracr) have — the dialect its keys belong to.
    static func architecture(configData data: Data, file: String) throws -> any ModelArchitecture.Type {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw TransformerError.configUnreadable(file: file, reason: "not valid JSON (\(ConfigDecoding.describe(error)))")
        }
        guard let keys = object as? [String: Any] else {
            throw TransformerError.configUnreadable(file: file, reason: "the top level is not a JSON object")
        }
        if let type = keys["model_type"] {
            guard let name = type as? String else {
                throw TransformerError.configInvalid(file: file, key: "model_type", reason: "is not a string")
            }
            guard let architecture = architecture(modelType: name) else {
                throw TransformerError.unsupportedArchitecture(
                    file: file, modelType: name, supported: supportedModelTypes)
            }
            return architecture
        }
        if keys["n_layer"] != nil || keys["n_embd"] != nil || keys["n_head"] != nil { return GPT2.self }
        if keys["n_layers"] != nil || keys["d_model"] != nil || keys["n_heads"] != nil {
            return TransformerLensExport.self
        }
        throw TransformerError.configMissingKey(file: file, key: "model_type (or the GPT-2 key n_layer, or the TransformerLens key n_layers)")
    }
}

extension ModelConfig {
    /// Decodes `data`, the contents of a `config.json`, with the family its `model_type` names; `file` names it in
    /// errors. An unknown `model_type` is an error listing the supported ones.
    public static func decode(from data: Data, file: String) throws -> ModelConfig {
        try ModelArchitectures.architecture(configData: data, file: file).decodeConfig(data, file: file)
    }

    /// Reads and decodes the `config.json` at `url`.
    public init(contentsOf url: URL) throws {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw TransformerError.configUnreadable(file: url.path, reason: ConfigDecoding.describe(error))
        }
        self = try Self.decode(from: data, file: url.path)
    }
}

/// Turning decoder errors into messages that name the key and say what was expected.
enum ConfigDecoding {
    static func translate(_ error: DecodingError, file: String) -> TransformerError {
        switch error {
        case let .typeMismatch(type, context):
            if !context.codingPath.isEmpty {
                return .configInvalid(file: file, key: keyPath(context), reason: "is not a valid \(typeName(type))")
            }
            return .configUnreadable(file: file, reason: "the top level is not a JSON object")
        case let .valueNotFound(type, context):
            return .configInvalid(file: file, key: keyPath(context), reason: "is null, expected \(typeName(type))")
        case let .keyNotFound(key, context):
            let parent = context.codingPath.map(\.stringValue)
            return .configMissingKey(file: file, key: (parent + [key.stringValue]).joined(separator: "."))
        case let .dataCorrupted(context):
            if !context.codingPath.isEmpty {
                return .configInvalid(file: file, key: keyPath(context), reason: context.debugDescription)
            }
            let underlying = context.underlyingError.map { " (\(describe($0)))" } ?? ""
            return .configUnreadable(file: file, reason: "not valid JSON\(underlying)")
        @unknown default:
            return .configUnreadable(file: file, reason: "\(error)")
        }
    }

    /// `rope_parameters.rope_theta`-style path of the value a decoding error is about.
    static func keyPath(_ context: DecodingError.Context) -> String {
        context.codingPath.map(\.stringValue).joined(separator: ".")
    }

    static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is Int.Type: "integer"
        case is Double.Type, is Float.Type: "number"
        case is Bool.Type: "boolean"
        case is String.Type: "string"
        default: "\(type)"
        }
    }

    /// An underlying error's text, without Foundation's domain codes ("NSCocoaErrorDomain error 256").
    static func describe(_ error: Error) -> String {
        let ns = error as NSError
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? Error { return describe(underlying) }
        if ns.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(ns.code))) }
        switch ns.code {
        case NSFileReadNoSuchFileError, NSFileNoSuchFileError: return "no such file"
        case NSFileReadNoPermissionError: return "permission denied"
        case NSFileReadCorruptFileError, NSPropertyListReadCorruptError: return "malformed"
        default: return ns.localizedDescription
        }
    }
}
