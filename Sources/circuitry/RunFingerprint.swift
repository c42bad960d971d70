import Circuits
import Foundation
import Tensor
import Transformer

/// Everything that decides an ACDC circuit besides ACDC's own settings, as named settings a saved state carries
/// (`ACDCState.run`): a resumed run must match each one, or it would blend two runs into one circuit. Names are
/// what the user changes (`--metric`, `model file model.safetensors`), so the refusal can say what differs.
///
/// Model and tokenizer files are identified by their SHA-256 when small, by size and modification time when large
/// (hashing GPT-2's 500 MB on every resume would cost seconds). The prompts are identified by the SHA-256 of the
/// prompt set itself (token ids, answers, read positions), which also covers the tokenizer, the task's data files
/// and the prompt file's contents.
enum RunFingerprint {
    /// Files above this size are identified by size and date instead of content.
    static let hashLimit = 4 << 20

    static func settings(_ setup: Experiment, options: ExperimentOptions, modelOptions: ModelOptions) throws
        -> [ACDCState.Setting]
    {
        var settings: [ACDCState.Setting] = [
            .init("circuitry version", Circuitry.version),
            .init("--model", setup.loaded.model.source),
        ]
        for (name, description) in files(in: setup.loaded.location.url) {
            settings.append(.init("model file \(name)", description))
        }
        if let folder = modelOptions.tokenizer {
            for (name, description) in files(in: URL(fileURLWithPath: folder, isDirectory: true)) {
                settings.append(.init("tokenizer file \(name)", description))
            }
        }
        settings += [
            .init("--task", options.task ?? "(none)"),
            .init("--prompts", setup.promptFile.map { "\($0.path) (sha256 \($0.sha256))" } ?? "(none)"),
            .init("--count", options.count.map(String.init) ?? "(task default)"),
            .init("--seed", String(options.seed)),
            .init("--metric", setup.metricKind.cliName),
            .init("--ablation", setup.ablation.rawValue),
            .init("prompt set", "\(setup.prompts.count) prompts, sha256 \(SHA256.hex(of: try setup.prompts.jsonData()))"),
            // OpenBLAS's kernels (Zen, SkylakeX, …) round matrix products differently, so a resumed run must use
            // the same one to finish with the same bytes. The thread count does not matter: products are tiled by
            // shape, not by thread (`BLAS`, README "Reliability").
            .init("BLAS", "OpenBLAS \(BLAS.coreName) kernels"),
        ]
        return settings
    }

    /// `(file name, identity)` for every regular file (links followed) in `folder`, sorted by name.
    static func files(in folder: URL) -> [(String, String)] {
        let fm = FileManager.default
        guard let names = try? fm.contentsOfDirectory(atPath: folder.path) else { return [] }
        var result: [(String, String)] = []
        for name in names.sorted() where !name.hasPrefix(".") {
            let url = folder.appendingPathComponent(name).resolvingSymlinksInPath()
            guard let attributes = try? fm.attributesOfItem(atPath: url.path),
                  attributes[.type] as? FileAttributeType == .typeRegular,
                  let size = (attributes[.size] as? NSNumber)?.intValue else { continue }
            if size <= hashLimit, let digest = try? SHA256.hex(ofFileAt: url) {
                result.append((name, "sha256 \(digest)"))
            } else {
                let date = (attributes[.modificationDate] as? Date).map {
                    ISO8601DateFormatter().string(from: $0)
                } ?? "unknown date"
                result.append((name, "\(size) bytes, modified \(date)"))
            }
        }
        return result
    }
}
