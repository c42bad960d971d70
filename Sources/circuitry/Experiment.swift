import Circuits
import Foundation
import Tasks
import Tokenizer
import Transformer

/// A model, its prompts and the metric settings, ready to build an executor; built only after every check that
/// can refuse the experiment without running the model has passed.
struct Experiment {
    var command: String
    var task: CircuitTask?
    var loaded: ModelOptions.Loaded
    var tokenizer: (any TextTokenizer)?
    /// The prompts circuits are found or tested on (the discovery split of a task preset).
    var prompts: PromptSet
    var metricKind: MetricKind
    var ablation: AblationKind
    var seed: UInt64
    /// Notes about how the prompts were made (dropped names, presets), for reports.
    var notes: [String]
    /// `--prompts`: the path and the SHA-256 of the bytes read.
    var promptFile: (path: String, sha256: String)?

    /// Loads the model (the task's default or fallback when `--model` is absent, saying on stderr which) and builds
    /// the prompts; refuses prompts that cannot give a meaningful answer (see `checkNotDegenerate`).
    init(command: String, options: ExperimentOptions, modelOptions: ModelOptions, log: (String) -> Void) throws {
        self.command = command
        self.task = options.circuitTask
        self.metricKind = options.metricKind
        self.ablation = options.ablationKind
        self.seed = options.seed
        if let task {
            loaded = try PromptsCommand.loadModel(for: task, options: modelOptions, command: command, log: log)
        } else {
            loaded = try modelOptions.load()
        }
        if task?.needsTokenizer ?? false {
            tokenizer = try modelOptions.loadTokenizer(for: loaded)
        } else {
            tokenizer = try? modelOptions.loadTokenizer(for: loaded)
        }
        let built = try PromptLoading(
            task: task, file: options.prompts, count: options.count, seed: options.seed, workload: .executor
        ).load(model: loaded, tokenizer: tokenizer, log: log)
        prompts = built.prompts
        notes = built.notes
        promptFile = built.file
        let lengths = Set(prompts.clean.map(\.count))
        guard lengths.count == 1 else {
            throw CLIError.unequalLengths(
                "the \(prompts.count) prompts have \(lengths.count) different token lengths (\(lengths.sorted().map(String.init).joined(separator: ", "))); "
                    + "circuit search runs one batch of equal-length prompts: use a preset with one template or a prompt file of equal lengths")
        }
        try Self.checkNotDegenerate(prompts, ablation: ablation, command: command)
    }

    /// Refuses prompts whose corrupted versions equal the clean ones under resample ablation (every patched value
    /// would equal the clean one: the effects are rounding noise), and warns about single unchanged pairs.
    static func checkNotDegenerate(_ prompts: PromptSet, ablation: AblationKind, command: String) throws {
        guard ablation == .resample else { return }
        let unchanged = prompts.unchangedPrompts
        if unchanged.count == prompts.count {
            throw CLIError.refused(
                "every corrupted prompt equals its clean prompt, so resample ablation changes nothing and every "
                    + "effect would be rounding noise; give corrupted prompts that differ (or --ablation zero or mean)")
        }
        if !unchanged.isEmpty {
            PromptsCommand.printError(
                "\(command): warning: \(unchanged.count) of \(prompts.count) corrupted prompts equal their clean "
                    + "prompts (prompt \(unchanged.prefix(5).map(String.init).joined(separator: ", "))"
                    + (unchanged.count > 5 ? ", …" : "") + "); they add nothing under resample ablation")
        }
    }

    /// The edge-patching executor over the prompts, with the chosen ablation (mean: over the corrupted prompts, or
    /// the prompt set's reference prompts when it has them).
    func makeExecutor(graph: CircuitGraph) throws -> EdgePatchingExecutor {
        try EdgePatchingExecutor(
            model: loaded.model, graph: graph, clean: prompts.clean, corrupted: prompts.corrupted,
            reference: prompts.reference ?? prompts.corrupted, ablation: ablation,
            readPositions: .perPrompt(prompts.readPositions))
    }

    /// The metric, scored against the executor's unpatched logits (which it checks for NaN and infinity).
    func makeMetric(_ executor: EdgePatchingExecutor) throws -> Metric {
        try Metric(kind: metricKind, promptSet: prompts, fullLogits: executor.cleanLogits,
                   corruptedLogits: executor.corruptedLogits)
    }

    /// Refuses an experiment whose full model and empty circuit score the same up to rounding: then every
    /// removal looks harmless (ACDC) and faithfulness is 0/0 (verify). Costs one patched run (none under resample
    /// ablation, where the empty circuit is the corrupted run).
    func checkMetricMoves(_ executor: inout EdgePatchingExecutor, metric: Metric) throws {
        let full = try metric.evaluate(executor.cleanLogits).mean
        let emptyLogits = ablation == .resample
            ? (executor.corruptedLogits ?? executor.logits(keeping: .empty(executor.graph)))
            : executor.logits(keeping: .empty(executor.graph))
        let empty = try metric.evaluate(emptyLogits).mean
        guard abs(full - empty) <= 1e-6 * max(1, abs(full), abs(empty)) else { return }
        throw CLIError.refused(
            "the full model and the empty circuit score the same \(metric.kind.cliName) (\(JSONValue.format(full)) and "
                + "\(JSONValue.format(empty))): ablating every edge changes nothing the metric sees, so every edge would "
                + "look unimportant and faithfulness is undefined; use corrupted prompts (or an ablation) that change "
                + "the model's answer, or another --metric")
    }

    /// A short description of the model for reports and the stderr line.
    var modelDescription: String { loaded.model.source }
}
