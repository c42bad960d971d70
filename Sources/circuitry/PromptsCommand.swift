import ArgumentParser
import Circuits
import Foundation
import Tasks
import Tensor
import Tokenizer
import Transformer

/// `circuitry prompts`: builds a task's prompt set, runs the model on its clean and corrupted prompts and prints one
/// row per prompt with the metric on both, so a user can see what a circuit search will be scored on before starting
/// one (and check that the model does the task at all: for IOI the clean logit difference should be clearly positive,
/// the corrupted one near zero, as in Wang et al. 2022).
struct PromptsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prompts",
        abstract: "Build a task's prompts, run the model on them and print the per-prompt metric.",
        discussion: """
            Without --model the task's default model is used (gpt2 for ioi, greater-than and induction, looked up in \
            the Hugging Face cache; get it with `circuitry download gpt2`); ioi falls back to the bundled toy-ioi.
            """)

    @Option(name: .long, help: ArgumentHelp(
        "The task: \(CircuitTask.allCases.map(\.cliName).joined(separator: ", ")).", valueName: "task"))
    var task: String

    @OptionGroup var modelOptions: ModelOptions

    @Option(name: [.customShort("n"), .customLong("count")], help: "How many prompts to build and show.")
    var count: Int = 10

    @Option(name: .long, help: "Seed of the prompt sampler; the same seed gives the same prompts on every platform.")
    var seed: UInt64 = 0

    @Option(name: .long, help: ArgumentHelp(
        "The metric to show (\(MetricKind.allCases.map(\.cliName).joined(separator: ", "))); default: logit-diff "
            + "for ioi, the task's default metric otherwise.",
        valueName: "metric"))
    var metric: String?

    @Flag(name: .long, help: "Show the corrupted prompts instead of the clean ones.")
    var corrupted = false

    @Flag(name: .long, help: "Print the prompt set as JSON (circuitry's prompt-set format) instead of the table.")
    var json = false

    func validate() throws {
        if count < 1 { throw ValidationError("-n must be at least 1.") }
        if CircuitTask(rawValue: task) == nil {
            throw ValidationError(TaskError.unknownTask(task).description)
        }
        if let metric, MetricKind(cliName: metric) == nil {
            let known = MetricKind.allCases.map(\.cliName).joined(separator: ", ")
            throw ValidationError("unknown metric '\(metric)'; known: \(known)")
        }
    }

    func run() throws {
        let task = try CircuitTask(cliName: task)
        let loaded = try Self.loadModel(for: task, options: modelOptions, command: "prompts") { Self.printError($0) }
        let config = loaded.model.config
        let tokenizer: (any TextTokenizer)?
        if task.needsTokenizer {
            do {
                tokenizer = try modelOptions.loadTokenizer(for: loaded)
            } catch is ValidationError {
                throw ValidationError(
                    "Task \(task.cliName) needs the model's tokenizer, and \(loaded.location.url.path) has no "
                        + "tokenizer files; give --tokenizer DIR (GPT-2: a folder with vocab.json + merges.txt or "
                        + "encoder.json + vocab.bpe).")
            }
        } else {
            tokenizer = try? modelOptions.loadTokenizer(for: loaded)
        }
        try task.checkFits(config, tokenizerSize: tokenizer?.vocabularySize)
        try WorkloadMemory.checkPromptCount(count, option: "-n", config: config, kind: .logits)
        let request = TaskRequest(tokenizer: tokenizer, seed: seed, count: count, vocabularySize: config.dVocab)
        var set = try task.makePromptSets(request).discovery
        if set.count > count { set = try set.subset(0..<count) }
        try set.checkFits(PromptLimits(vocabularySize: config.dVocab, outputSize: config.dVocabOut, context: config.nCtx))
        if json {
            print(String(decoding: try set.jsonData(), as: UTF8.self))
            return
        }
        let kind = metric.flatMap { MetricKind(cliName: $0) } ?? Self.displayMetric(for: task)
        var runner = TransformerRunner(model: loaded.model)
        let cleanLogits = try Self.readLogits(set, corrupted: false, runner: &runner)
        let corruptedLogits = try Self.readLogits(set, corrupted: true, runner: &runner)
        let scorer = try Metric(kind: kind, promptSet: set, fullLogits: cleanLogits, corruptedLogits: corruptedLogits)
        let clean = try scorer.evaluate(cleanLogits)
        let patched = try scorer.evaluate(corruptedLogits)
        let columns = [
            PromptTableRenderer.Column(title: "clean \(kind.cliName)", values: clean.perPrompt),
            PromptTableRenderer.Column(title: "corrupted \(kind.cliName)", values: patched.perPrompt),
        ]
        let table = PromptTableRenderer.render(set, tokenizer: tokenizer, columns: columns, corrupted: corrupted)
        print(table, terminator: "")
        print("mean \(kind.cliName): clean \(String(format: "%.4f", clean.mean)), "
            + "corrupted \(String(format: "%.4f", patched.mean)) over \(set.count) prompts")
    }

    /// The metric shown when `--metric` is absent: for IOI the logit difference (the per-prompt number Wang et al.
    /// report), otherwise the task's default metric.
    static func displayMetric(for task: CircuitTask) -> MetricKind {
        task == .ioi ? .logitDiff : task.defaultMetric
    }

    /// The model's logits at the read positions of every prompt, `[nPrompts, nRead, dVocabOut]`, computed batch by
    /// batch over groups of equal-length prompts.
    static func readLogits(_ set: PromptSet, corrupted: Bool, runner: inout TransformerRunner) throws -> Tensor {
        var parts: [(batch: PromptBatch, logits: Tensor)] = []
        for batch in set.batches(maxBatchSize: 32) {
            let prompts = batch.indices.map { corrupted ? set.corrupted[$0] : set.clean[$0] }
            let tokens = try TokenBatch(prompts, config: runner.model.config)
            let positions = batch.indices.map { set.readPositions[$0] }
            let result = try runner.run(tokens, readPositions: .perPrompt(positions))
            parts.append((batch, result.logits))
        }
        return set.assembleReadLogits(parts)
    }

    /// `--model` when given; otherwise the task's default model, then its fallback, saying on stderr (`log`) which
    /// one is used. When neither can be found, the error says how to get one.
    static func loadModel(
        for task: CircuitTask, options: ModelOptions, command: String, log: (String) -> Void
    ) throws -> ModelOptions.Loaded {
        if options.model != nil { return try options.load() }
        var searched: [String] = []
        for (k, name) in ([task.defaultModel] + (task.fallbackModel.map { [$0] } ?? [])).enumerated() {
            do {
                let loaded = try options.load(default: name)
                let path = loaded.location.url.path
                log(k == 0
                    ? "\(command): using \(name), the default model of task \(task.cliName) (\(path))"
                    : "\(command): \(task.defaultModel) not found; using the bundled \(name) (\(path))")
                return loaded
            } catch TransformerError.modelNotFound(_, let places) {
                searched += places
            }
        }
        throw CLIError.noModel(noModelMessage(for: task, searched: searched))
    }

    /// What to do when no model for `task` exists locally.
    static func noModelMessage(for task: CircuitTask, searched: [String]) -> String {
        var text = "no model for task \(task.cliName): \(task.defaultModel) "
        if ModelResolver.isRepositoryID(task.defaultModel) && task.defaultModel.hasPrefix("gpt2") {
            text += "is not in the Hugging Face cache"
        } else {
            text += "is not bundled"
        }
        if let fallback = task.fallbackModel { text += " and the bundled \(fallback) is not installed" }
        text += " (searched \(searched.joined(separator: ", "))). "
        if task.defaultModel == "gpt2" && HubDownloader.isOffline() {
            text += "HF_HUB_OFFLINE is set, so nothing is downloaded; give --model DIR (a model folder)."
        } else if task.defaultModel == "gpt2" {
            text += "Get GPT-2 small with `circuitry download gpt2`, or give --model DIR (a model folder)."
        } else {
            text += "Give --model DIR (a model folder)."
        }
        return text
    }

    static func printError(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
