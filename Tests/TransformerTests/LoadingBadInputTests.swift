import Foundation
import Tensor
import Testing
@testable import Transformer

/// Broken weights and configs: every failure is a typed error whose message names the file and the tensor, key
/// or shapes involved. Bad files are built at test time from raw bytes or with `SafetensorsWriter`.
@Suite struct LoadingBadInputTests {
    /// Parses `bytes` as a safetensors file named `bad.safetensors` and returns the error message.
    private func openFailure(_ bytes: Data) -> String? {
        LoadingFixtures.error { _ = try SafetensorsFile(data: bytes, fileName: "bad.safetensors") }?.description
    }

    private func entry(_ name: String, dtype: String = "F32", shape: [Int], offsets: (Int, Int)) -> String {
        let s = shape.map(String.init).joined(separator: ",")
        return "\"\(name)\":{\"dtype\":\"\(dtype)\",\"shape\":[\(s)],\"data_offsets\":[\(offsets.0),\(offsets.1)]}"
    }

    // MARK: safetensors structure

    @Test func fileShorterThanTheLengthField() throws {
        let message = try #require(openFailure(Data([1, 0, 0])))
        #expect(message.contains("bad.safetensors"))
        #expect(message.contains("3 bytes"))
        #expect(message.contains("truncated"))
    }

    @Test func headerLengthLargerThanTheFile() throws {
        let bytes = LoadingFixtures.lengthPrefix(500) + Data("{}".utf8)
        let message = try #require(openFailure(bytes))
        #expect(message.contains("bad.safetensors"))
        #expect(message.contains("header length 500 is larger than the 2 bytes"))
    }

    @Test func absurdHeaderLengthFailsBeforeAllocating() throws {
        let message = try #require(openFailure(LoadingFixtures.lengthPrefix(UInt64.max) + Data(count: 16)))
        #expect(message.contains("exceeds the format's limit"))
    }

    @Test func malformedJSONHeader() throws {
        let message = try #require(openFailure(LoadingFixtures.rawFile(header: #"{"a": {"dtype": "F32""#, data: Data())))
        #expect(message.contains("bad.safetensors"))
        #expect(message.contains("not valid JSON"))
        let notObject = try #require(openFailure(LoadingFixtures.rawFile(header: "[1, 2]", data: Data())))
        #expect(notObject.contains("not a JSON object"))
    }

    @Test func offsetsBeyondTheData() throws {
        let header = "{\(entry("w", shape: [4], offsets: (8, 24)))}"
        let message = try #require(openFailure(LoadingFixtures.rawFile(header: header, data: Data(count: 16))))
        #expect(message.contains("tensor 'w'"))
        #expect(message.contains("[8, 24]"))
        #expect(message.contains("16 data bytes"))
    }

    @Test func truncatedRealCheckpoint() throws {
        let url = try LoadingFixtures.directory("tiny-gpt2").appendingPathComponent("model.safetensors")
        let full = try Data(contentsOf: url)
        let message = try #require(openFailure(full.prefix(full.count - 1000)))
        #expect(message.contains("bad.safetensors"))
        // The last tensor in the data section is wte; its end is beyond the cut.
        #expect(message.contains("tensor 'transformer.wte.weight'"))
        #expect(message.contains("truncated"))
    }

    @Test func beginAfterEnd() throws {
        let header = "{\(entry("w", shape: [0], offsets: (8, 4)))}"
        let message = try #require(openFailure(LoadingFixtures.rawFile(header: header, data: Data(count: 16))))
        #expect(message.contains("tensor 'w' has data_offsets [8, 4]"))
    }

    @Test func overlappingTensors() throws {
        let header = "{\(entry("first", shape: [4], offsets: (0, 16))),\(entry("second", shape: [2], offsets: (8, 16)))}"
        let message = try #require(openFailure(LoadingFixtures.rawFile(header: header, data: Data(count: 16))))
        #expect(message.contains("'first' (bytes 0..<16)"))
        #expect(message.contains("'second' (bytes 8..<16)"))
        #expect(message.contains("overlap"))
    }

    @Test func offsetsDisagreeWithShape() throws {
        let header = "{\(entry("w", shape: [2, 3], offsets: (0, 20)))}"
        let message = try #require(openFailure(LoadingFixtures.rawFile(header: header, data: Data(count: 24))))
        #expect(message.contains("tensor 'w' of dtype F32 and shape [2, 3] needs 24 bytes"))
        #expect(message.contains("span 20"))
    }

    @Test func unknownDtype() throws {
        let header = "{\(entry("w", dtype: "Q4_K", shape: [2], offsets: (0, 8)))}"
        let message = try #require(openFailure(LoadingFixtures.rawFile(header: header, data: Data(count: 8))))
        #expect(message.contains("tensor 'w' has unknown dtype 'Q4_K'"))
    }

    @Test func malformedEntries() throws {
        let negative = "{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,0]}}"
        #expect(try #require(openFailure(LoadingFixtures.rawFile(header: negative, data: Data()))).contains("tensor 'w' has no valid 'shape'"))
        let fractional = "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4.5]}}"
        #expect(try #require(openFailure(LoadingFixtures.rawFile(header: fractional, data: Data(count: 8))))
            .contains("tensor 'w' has no valid 'data_offsets'"))
        let noDtype = "{\"w\":{\"shape\":[1],\"data_offsets\":[0,4]}}"
        #expect(try #require(openFailure(LoadingFixtures.rawFile(header: noDtype, data: Data(count: 4)))).contains("no string 'dtype'"))
    }

    // MARK: weights against the config

    /// The tiny GPT-2 checkpoint rebuilt with `edit` applied to its tensors, in a temporary model directory
    /// (with the fixture's config.json unless `config` is given).
    private func tinyVariant(
        config: String? = nil, edit: (inout [String: Tensor]) -> Void
    ) throws -> URL {
        let source = try LoadingFixtures.directory("tiny-gpt2")
        let file = try SafetensorsFile(url: source.appendingPathComponent("model.safetensors"))
        var tensors: [String: Tensor] = [:]
        for name in file.names { tensors[name] = try file.tensor(named: name) }
        edit(&tensors)
        var writer = SafetensorsWriter()
        for (name, tensor) in tensors { writer.add(name, tensor) }
        let directory = try LoadingFixtures.temporaryDirectory("tiny-variant")
        try writer.write(to: directory.appendingPathComponent("model.safetensors"))
        let configData = try config.map { Data($0.utf8) } ?? Data(contentsOf: source.appendingPathComponent("config.json"))
        try configData.write(to: directory.appendingPathComponent("config.json"))
        return directory
    }

    private func loadFailure(_ directory: URL) -> TransformerError? {
        defer { LoadingFixtures.removeTemporary(directory) }
        return LoadingFixtures.error { _ = try TransformerModel.load(directory: directory) }
    }

    @Test func missingTensorIsNamed() throws {
        let directory = try tinyVariant { $0["transformer.h.1.mlp.c_fc.bias"] = nil }
        let error = try #require(loadFailure(directory))
        guard case let .missingTensor(file, tensor) = error else { Issue.record("got \(error)"); return }
        #expect(tensor == "transformer.h.1.mlp.c_fc.bias")
        #expect(file.hasSuffix("model.safetensors"))
        #expect(error.description.contains("no tensor 'transformer.h.1.mlp.c_fc.bias'"))
    }

    @Test func wrongTensorShapeIsNamedWithBothShapes() throws {
        let directory = try tinyVariant { $0["transformer.h.2.attn.c_proj.weight"] = LoadingFixtures.counting([64, 32]) }
        let error = try #require(loadFailure(directory))
        #expect(error.description.contains("model.safetensors"))
        #expect(error.description.contains("'transformer.h.2.attn.c_proj.weight' has shape [64, 32], the configuration needs [64, 64]"))
    }

    @Test func configDisagreeingWithWeights() throws {
        let config = #"{"n_layer": 3, "n_embd": 32, "n_head": 4, "n_positions": 32, "vocab_size": 512}"#
        let directory = try tinyVariant(config: config) { _ in }
        let error = try #require(loadFailure(directory))
        guard case let .tensorShapeMismatch(_, tensor, expected, found) = error else { Issue.record("got \(error)"); return }
        #expect(tensor == "transformer.wte.weight")
        #expect(expected == [512, 32])
        #expect(found == [512, 64])
    }

    /// A config with fewer layers than the checkpoint used to run silently without the last layers.
    @Test func configWithFewerLayersThanTheWeightsIsRefused() throws {
        let config = #"{"model_type": "gpt2", "n_layer": 2, "n_embd": 64, "n_head": 4, "n_positions": 32, "vocab_size": 512}"#
        let directory = try tinyVariant(config: config) { _ in }
        let error = try #require(loadFailure(directory))
        guard case let .layerCountMismatch(_, layers, tensor) = error else { Issue.record("got \(error)"); return }
        #expect(layers == 2)
        #expect(tensor.hasPrefix("transformer.h.2."))
        #expect(error.description.contains("beyond the configuration's 2 layers"))
    }

    /// One NaN weight used to give NaN logits and, downstream, empty circuits that looked like results.
    @Test(arguments: [Float.nan, .infinity, -.infinity])
    func nonFiniteWeightsAreNamedWithTheirCount(value: Float) throws {
        let directory = try tinyVariant { tensors in
            var t = tensors["transformer.h.1.mlp.c_fc.weight"]!
            t[flat: 5] = value
            t[flat: 77] = value
            tensors["transformer.h.1.mlp.c_fc.weight"] = t
        }
        let error = try #require(loadFailure(directory))
        guard case let .nonFiniteWeights(_, tensor, count, total) = error else { Issue.record("got \(error)"); return }
        #expect(tensor == "transformer.h.1.mlp.c_fc.weight")
        #expect(count == 2 && total == 64 * 256)
        #expect(error.description.contains("holds 2 NaN or infinite values"))
    }

    @Test func unsupportedRotaryScalingIsNamed() throws {
        let message = try #require(configFailure("""
            {"model_type": "llama", "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2,
             "num_attention_heads": 4, "vocab_size": 32, "rope_scaling": {"rope_type": "yarn", "factor": 4.0}}
            """))
        #expect(message.contains("'rope_scaling.rope_type' 'yarn' is not supported"))
        let grouped = try #require(configFailure("""
            {"model_type": "llama", "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2,
             "num_attention_heads": 4, "num_key_value_heads": 3, "vocab_size": 32}
            """))
        #expect(grouped.contains("'num_key_value_heads' (3) does not divide num_attention_heads (4)"))
    }

    @Test func checkpointWithoutAnyKnownEmbedding() throws {
        let directory = try tinyVariant { $0 = ["something.else": LoadingFixtures.counting([2])] }
        let message = try #require(loadFailure(directory)).description
        #expect(message.contains("wte.weight (or transformer.wte.weight, embed.W_E)"))
    }

    @Test func directoryWithoutUsableWeights() throws {
        let directory = try LoadingFixtures.temporaryDirectory("no-weights")
        defer { LoadingFixtures.removeTemporary(directory) }
        let config = try LoadingFixtures.directory("tiny-gpt2").appendingPathComponent("config.json")
        try FileManager.default.copyItem(at: config, to: directory.appendingPathComponent("config.json"))
        try Data().write(to: directory.appendingPathComponent("pytorch_model.bin"))
        let none = LoadingFixtures.error { _ = try TransformerModel.load(directory: directory) }?.description ?? ""
        #expect(none.contains("only pytorch_model.bin"))
        try Data().write(to: directory.appendingPathComponent("a.safetensors"))
        try Data().write(to: directory.appendingPathComponent("b.safetensors"))
        let many = LoadingFixtures.error { _ = try TransformerModel.load(directory: directory) }?.description ?? ""
        #expect(many.contains("several .safetensors files"))
        #expect(many.contains("a.safetensors, b.safetensors"))
    }

    // MARK: config.json

    private func configFailure(_ json: String) -> String? {
        LoadingFixtures.error { _ = try ModelConfig.decode(from: Data(json.utf8), file: "/models/x/config.json") }?.description
    }

    @Test func malformedConfigJSON() throws {
        let message = try #require(configFailure(#"{"n_layer": 3,"#))
        #expect(message.contains("/models/x/config.json"))
        #expect(message.contains("not valid JSON"))
    }

    @Test func missingConfigKey() throws {
        let message = try #require(configFailure(#"{"n_layer": 3, "n_embd": 64, "n_head": 4, "n_positions": 32}"#))
        #expect(message == "model configuration /models/x/config.json has no key 'vocab_size'")
        let lens = try #require(configFailure(#"{"n_layers": 1, "d_model": 4, "n_heads": 1, "d_vocab": 3, "n_ctx": 2}"#))
        #expect(lens.contains("no key 'act_fn'"))
        #expect(try #require(configFailure("{}")).contains("no key 'model_type (or the GPT-2 key n_layer, or the TransformerLens key n_layers)'"))
    }

    @Test func unknownActivation() throws {
        let message = try #require(configFailure(
            #"{"n_layer": 1, "n_embd": 4, "n_head": 1, "n_positions": 2, "vocab_size": 3, "activation_function": "mish"}"#))
        #expect(message.contains("/models/x/config.json: 'activation_function' 'mish' is not a supported activation"))
    }

    @Test func invalidConfigValues() throws {
        let negative = try #require(configFailure(#"{"n_layer": 1, "n_embd": -4, "n_head": 1, "n_positions": 2, "vocab_size": 3}"#))
        #expect(negative.contains("'n_embd' must be positive, found -4"))
        let indivisible = try #require(configFailure(#"{"n_layer": 1, "n_embd": 10, "n_head": 4, "n_positions": 2, "vocab_size": 3}"#))
        #expect(indivisible.contains("'n_embd' (10) is not divisible by n_head (4)"))
        let wrongType = try #require(configFailure(#"{"n_layer": "three", "n_embd": 4, "n_head": 1, "n_positions": 2, "vocab_size": 3}"#))
        #expect(wrongType.contains("'n_layer' is not a valid integer"))
        let direction = try #require(configFailure(
            #"{"n_layers": 1, "d_model": 4, "n_heads": 1, "d_vocab": 3, "n_ctx": 2, "act_fn": "relu", "attention_dir": "sideways"}"#))
        #expect(direction.contains("'attention_dir' 'sideways' is not 'causal' or 'bidirectional'"))
        let scale = try #require(configFailure(
            #"{"n_layer": 1, "n_embd": 4, "n_head": 1, "n_positions": 2, "vocab_size": 3, "attn_scale": 0}"#))
        #expect(scale.contains("'attn_scale' must be a positive number"))
    }
}
