import Tensor

/// Building `TransformerWeights` from safetensors files through the architecture file of the configuration's family
/// (`Architectures/`), which maps the checkpoint's tensor names into circuitry's layout and validates every shape.
/// GPT-2 configurations accept both Hugging Face and TransformerLens tensor names (the checkpoint decides, as
/// TransformerLens exports of GPT-2-like models keep the GPT-2 dialect's keys). Every tensor read is checked for
/// NaN and ±Inf; tensors of layers beyond the configuration's are an error; other unused tensors are reported.
extension TransformerWeights {
    /// The tensor naming convention of a checkpoint.
    public enum NameScheme: Sendable, Equatable {
        /// Hugging Face names; `prefix` is the model's module prefix (`transformer.`, `model.`, `gpt_neox.` or "").
        case huggingFace(prefix: String)
        case transformerLens
    }

    /// Loads the weights described by `config` from `files` (one file, or the shards of a sharded checkpoint).
    public init(loading files: [SafetensorsFile], config: ModelConfig) throws {
        self = try Self.load(from: files, config: config).weights
    }

    /// Loads the weights described by `config` from one file.
    public init(loading file: SafetensorsFile, config: ModelConfig) throws {
        try self.init(loading: [file], config: config)
    }

    /// Loads the weights and also returns the naming scheme found, whether the checkpoint has an unembedding bias,
    /// and the (sorted) names of tensors that were not used, for debug output.
    public static func load(
        from files: [SafetensorsFile], config: ModelConfig
    ) throws -> (weights: TransformerWeights, scheme: NameScheme, hasUnembedBias: Bool, unusedTensors: [String]) {
        var reader = WeightReader(files: files)
        let architecture: any ModelArchitecture.Type
        let lens = (config.architecture == "gpt2" || config.architecture == "transformer_lens")
            && reader.contains("embed.W_E")
        if config.architecture == "gpt2" || config.architecture == "transformer_lens" {
            architecture = lens ? TransformerLensExport.self : GPT2.self
        } else if let registered = ModelArchitectures.architecture(modelType: config.architecture) {
            architecture = registered
        } else {
            throw TransformerError.unsupportedArchitecture(
                file: reader.fileNames, modelType: config.architecture, supported: ModelArchitectures.supportedModelTypes)
        }
        let weights = try architecture.weights(&reader, config: config)
        let scheme: NameScheme
        switch config.architecture {
        case _ where lens: scheme = .transformerLens
        case "gpt2", "transformer_lens": scheme = .huggingFace(prefix: reader.used.contains("transformer.wte.weight") ? "transformer." : "")
        case "gpt_neox": scheme = .huggingFace(prefix: "gpt_neox.")
        default: scheme = .huggingFace(prefix: reader.used.contains("model.embed_tokens.weight") ? "model." : "")
        }
        let hasBias = reader.used.contains("unembed.b_U") || reader.used.contains("lm_head.bias")
        return (weights, scheme, hasBias, reader.unused)
    }
}
