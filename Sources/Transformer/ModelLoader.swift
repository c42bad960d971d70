import Foundation

/// Loads a model directory: `config.json` plus safetensors weights.
///
/// The weights are, in order of preference: `model.safetensors`; the shards listed in
/// `model.safetensors.index.json` (`{"weight_map": {tensor: file}}`, Hugging Face's sharded layout); the only
/// `weights*.safetensors` (tracr exports name theirs `weights_tl.safetensors` and keep
/// `reference_activations.safetensors` beside it); the only `*.safetensors`. Anything else is an error that lists
/// what the directory holds.
public enum ModelLoader {
    /// What a load found besides the model, for `--verbose` output.
    public struct Report: Sendable, Equatable {
        public let scheme: TransformerWeights.NameScheme
        /// The weight files read, full paths.
        public let weightFiles: [String]
        /// Tensors present in the files that the model does not use (sorted).
        public let unusedTensors: [String]
    }

    /// Loads the model in `directory`; `source` (default: the directory's path) is recorded in the model.
    ///
    /// Before any tensor is read, the memory the weights will take as Float32 (from the files' headers) is checked
    /// against `memory`: a model too large for the machine is an error naming both figures.
    public static func load(
        directory: URL, source: String? = nil, memory: MemoryBudget = .system()
    ) throws -> (model: TransformerModel, report: Report) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw TransformerError.modelNotFound(directory.path, searched: [directory.path])
        }
        var config = try ModelConfig(contentsOf: directory.appendingPathComponent("config.json"))
        let urls = try weightFiles(in: directory)
        let files = try urls.map { try SafetensorsFile(url: $0) }
        let bytes = files.reduce(0) { $0 + $1.float32Bytes }
        try memory.check(bytes, for: "loading \(directory.lastPathComponent) (\(config.parameterCount) parameters as Float32)")
        let loaded = try TransformerWeights.load(from: files, config: config)
        // The config cannot know whether a TransformerLens export kept b_U; the checkpoint decides.
        config.unembedBias = loaded.hasUnembedBias
        let model = TransformerModel(config: config, weights: loaded.weights, source: source ?? directory.path)
        let report = Report(scheme: loaded.scheme, weightFiles: urls.map(\.path), unusedTensors: loaded.unusedTensors)
        return (model, report)
    }

    /// The safetensors files holding the weights of the model in `directory` (see the type's documentation).
    public static func weightFiles(in directory: URL) throws -> [URL] {
        let fm = FileManager.default
        let single = directory.appendingPathComponent("model.safetensors")
        if fm.fileExists(atPath: single.path) { return [single] }
        let index = directory.appendingPathComponent("model.safetensors.index.json")
        if fm.fileExists(atPath: index.path) { return try shards(listedIn: index, directory: directory) }
        let contents: [String]
        do {
            contents = try fm.contentsOfDirectory(atPath: directory.path).sorted()
        } catch {
            throw TransformerError.weightsUnreadable(file: directory.path, reason: "cannot list the directory: \(error.localizedDescription)")
        }
        let candidates = contents.filter { $0.hasSuffix(".safetensors") }
        let named = candidates.filter { $0.hasPrefix("weights") }
        if named.count == 1 { return [directory.appendingPathComponent(named[0])] }
        if candidates.count == 1 { return [directory.appendingPathComponent(candidates[0])] }
        let reason: String
        if candidates.isEmpty {
            let other = contents.filter { $0.hasSuffix(".bin") || $0.hasSuffix(".pt") || $0.hasSuffix(".h5") }
            reason = other.isEmpty
                ? "no model.safetensors (or other .safetensors file) in the directory"
                : "no .safetensors file; only \(other.joined(separator: ", ")), which circuitry cannot read (convert to safetensors)"
        } else {
            reason = "several .safetensors files and no model.safetensors to choose: \(candidates.joined(separator: ", "))"
        }
        throw TransformerError.weightsUnreadable(file: directory.path, reason: reason)
    }

    /// The distinct shard files of a `model.safetensors.index.json`, sorted by name.
    static func shards(listedIn index: URL, directory: URL) throws -> [URL] {
        func fail(_ reason: String) -> TransformerError { .weightsUnreadable(file: index.path, reason: reason) }
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: Data(contentsOf: index))
        } catch {
            throw fail("not readable JSON (\(error.localizedDescription))")
        }
        guard let map = (json as? [String: Any])?["weight_map"] as? [String: Any] else {
            throw fail("no 'weight_map' object")
        }
        var names: Set<String> = []
        for (tensor, value) in map {
            guard let file = value as? String, !file.isEmpty, !file.contains("/") else {
                throw fail("weight_map entry for '\(tensor)' is not a file name in the same directory")
            }
            names.insert(file)
        }
        guard !names.isEmpty else { throw fail("the weight_map is empty") }
        return names.sorted().map { directory.appendingPathComponent($0) }
    }
}

extension TransformerModel {
    /// Loads the model in `directory` (`config.json` + safetensors weights); see `ModelLoader`.
    public static func load(directory: URL, source: String? = nil) throws -> TransformerModel {
        try ModelLoader.load(directory: directory, source: source).model
    }
}
