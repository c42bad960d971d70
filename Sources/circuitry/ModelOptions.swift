import ArgumentParser
import Foundation
import Tokenizer
import Transformer

/// `--model` and `--tokenizer`, shared by every command that runs a model.
struct ModelOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "A model folder, a bundled model (tracr-reverse, tracr-proportion, toy-ioi) or a Hugging Face id found in the local cache (gpt2).",
        valueName: "model"))
    var model: String?

    @Option(name: .long, help: ArgumentHelp(
        "Folder with the tokenizer files, when the model folder has none (GPT-2: vocab.json + merges.txt or encoder.json + vocab.bpe).",
        valueName: "dir"))
    var tokenizer: String?

    @Option(name: .long, help: "Hugging Face revision (branch, tag or commit) for hub ids.")
    var revision: String = "main"

    /// A loaded model with where it came from.
    struct Loaded {
        var model: TransformerModel
        var location: ModelResolver.Location
    }

    /// Resolves and loads the model named by `--model`, or by `defaultModel` when the option is absent. A Hugging
    /// Face id given with `--model` that is not in the cache is downloaded first; a default never is.
    func load(default defaultModel: String? = nil) throws -> Loaded {
        guard let name = model ?? defaultModel else {
            throw ValidationError("Give a model with --model (a folder, a bundled model or a Hugging Face id such as gpt2).")
        }
        let resolver = ModelResolver()
        let location: ModelResolver.Location
        do {
            location = try resolver.locate(name, revision: revision)
        } catch TransformerError.modelNotFound(_, let searched) where model != nil && ModelResolver.isRepositoryID(name) {
            if HubDownloader.isOffline() {
                throw CLIError.noModel(
                    "model '\(name)' is not in the Hugging Face cache (\(resolver.hubCacheDirectory.path)), and "
                        + "HF_HUB_OFFLINE is set, so it is not downloaded (looked in: \(searched.joined(separator: ", ")))")
            }
            _ = try ModelDownload.fetch(name, revision: revision)
            location = try resolver.locate(name, revision: revision)
        }
        let started = Date()
        let model = try ModelResolver.load(location)
        let elapsed = Date().timeIntervalSince(started)
        if elapsed >= 1 {
            PromptsCommand.printError("loaded \(model.source) in \(ProgressDisplay.duration(elapsed))")
        }
        return Loaded(model: model, location: location)
    }

    /// The tokenizer from `--tokenizer`, else from the model's folder, else from `$CIRCUITRY_GPT2_TOKENIZER` for
    /// models with GPT-2's vocabulary.
    /// A tokenizer with more tokens than the model's vocabulary is refused: its ids would index past the
    /// embedding, so it belongs to another model.
    func loadTokenizer(for loaded: Loaded) throws -> any TextTokenizer {
        let found: any TextTokenizer
        let folder = loaded.location.url
        if let dir = tokenizer {
            found = try TokenizerLoader.load(directory: URL(fileURLWithPath: dir, isDirectory: true))
        } else if TokenizerLoader.hasTokenizer(in: folder) {
            found = try TokenizerLoader.load(directory: folder)
        } else if loaded.model.config.dVocab == 50257,
                  let env = ProcessInfo.processInfo.environment["CIRCUITRY_GPT2_TOKENIZER"] {
            found = try GPT2Tokenizer(directory: URL(fileURLWithPath: env, isDirectory: true))
        } else {
            throw ValidationError(
                "The model folder \(folder.path) has no tokenizer files; give --tokenizer DIR, or token ids with --tokens.")
        }
        let vocabulary = loaded.model.config.dVocab
        guard found.vocabularySize <= vocabulary else {
            throw CLIError.refused(
                "the tokenizer (\(tokenizer ?? folder.path)) has \(found.vocabularySize) tokens, but the model "
                    + "\(loaded.model.source) has a vocabulary of \(vocabulary); give the model's own tokenizer")
        }
        return found
    }
}
