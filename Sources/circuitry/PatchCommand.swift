import ArgumentParser
import Circuits
import Foundation
import Tasks
import Tensor
import Tokenizer
import Transformer

/// `circuitry patch`: path patching (Wang et al. 2022, Appendix B) of every head as sender against receiver heads'
/// q, k or v, or against the final residual stream, shown as a layer × head heatmap of the normalised logit
/// difference.
struct PatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "patch",
        abstract: "Path patching (each head into receivers or the logits), linearised direct paths, and activation-patching sweeps.",
        discussion: """
            For every head (the sender) the metric is measured with the sender's corrupted output reaching the \
            receivers and everything else clean. --path through-mlps is the IOI paper's and ARENA's path patching \
            (every other head frozen to its clean output, MLPs recomputed); --path residual keeps only the direct \
            residual-stream edges (ACDC's edges). Without --receivers the receiver is the final residual stream \
            (the logits). The metric is the logit difference correct − incorrect; cells show \
            (patched − clean)/(clean − corrupted) in %, so −100 means the sender alone carries the whole \
            clean-to-corrupted change.
            """)

    @OptionGroup var modelOptions: ModelOptions

    @OptionGroup var activation: ActivationPatchOptions

    @Option(name: .long, help: ArgumentHelp(
        "A built-in task: \(CircuitTask.allCases.map(\.cliName).joined(separator: ", ")).", valueName: "task"))
    var task: String?

    @Option(name: .long, help: ArgumentHelp("Prompts from a JSON Lines file, one {\"clean\", \"corrupted\", \"correct\", \"incorrect\"} object per line.",
        valueName: "file"))
    var prompts: String?

    @Option(name: .long, help: ArgumentHelp(
        "Receiver heads patched jointly, as layer.head (e.g. 7.3,7.9,8.6,8.10); none: the final residual stream.",
        valueName: "heads"))
    var receivers: String?

    @Option(name: .long, help: ArgumentHelp("Which input of the receiver heads: q, k or v.", valueName: "q|k|v"))
    var input: String?

    @Option(name: .long, help: ArgumentHelp("Which paths: residual or through-mlps.", valueName: "path"))
    var path: String = PathPatchingPath.throughMLPs.cliName

    @Option(name: .long, help: "Prompts to build for a task (its default when absent).")
    var count: Int?

    @Option(name: .long, help: "Seed for building a task's prompts.")
    var seed: UInt64 = 0

    @Flag(name: .long, help: "Print the grid as JSON (raw and normalised values).")
    var json = false

    @Flag(name: .long, help: "Print the grid as CSV: layer,head,value,normalized_percent.")
    var csv = false

    @OptionGroup var linear: LinearPatchOptions

    func validate() throws {
        if let svg = activation.svg { try OutputPlan([OutputFile(option: "--svg", path: svg)], inputs: [("--prompts", prompts)]).check() }
        if activation.isActive { return try validateActivation() }
        if (task == nil) == (prompts == nil) { throw ValidationError("Give exactly one of --task and --prompts.") }
        if json && csv { throw ValidationError("Give at most one of --json and --csv.") }
        if receivers != nil && input == nil && !linear.isActive { throw ValidationError("--receivers needs --input q, k or v.") }
        if receivers == nil && input != nil && !linear.isActive { throw ValidationError("--input needs --receivers (heads to patch).") }
        if let input, HeadInput(rawValue: input) == nil {
            throw ValidationError("--input must be q, k or v, not '\(input)'.")
        }
        if PathPatchingPath(rawValue: path) == nil {
            throw ValidationError("--path must be residual or through-mlps, not '\(path)'.")
        }
        if let count, count < 1 { throw ValidationError("--count must be at least 1.") }
    }

    func run() throws {
        if activation.isActive { return try runActivation() }
        let circuitTask = try task.map { try CircuitTask(cliName: $0) }
        let loaded = try loadModel(for: circuitTask)
        let config = loaded.model.config
        let set = try promptSet(task: circuitTask, loaded: loaded)
        try Self.checkRuns(set, model: loaded.model, metric: .logitDiff)
        if linear.isActive { return try runLinear(loaded: loaded, set: set) }
        let receiver = try parseReceiver(config: config)
        let pathKind = PathPatchingPath(rawValue: path) ?? .throughMLPs

        let progress = PatchProgress(enabled: !json && !csv && isatty(STDERR_FILENO) != 0)
        let result = try sweep(
            model: loaded.model, promptSet: set, receiver: receiver, path: pathKind
        ) { done, total in progress.show(done, of: total) }
        progress.finish()
        try Self.checkFinite(result)
        if json {
            print(try JSONOutput.checked(PatchOutput.json(result, model: loaded.model.source, nHeads: config.nHeads),
                                         option: "--json"))
        } else if csv {
            print(PatchOutput.csv(result))
        } else {
            let map = annotated(PatchOutput.heatmap(result, model: loaded.model.source, nHeads: config.nHeads))
            print(HeatmapRenderer.render(map, colour: isatty(STDOUT_FILENO) != 0))
        }
    }

    /// `--model`, else the task's default model, else its fallback (IOI: the bundled toy model).
    func loadModel(for task: CircuitTask?) throws -> ModelOptions.Loaded {
        guard modelOptions.model == nil, let task else { return try modelOptions.load() }
        do {
            return try modelOptions.load(default: task.defaultModel)
        } catch {
            guard let fallback = task.fallbackModel else { throw error }
            FileHandle.standardError.write(Data(
                "\(task.defaultModel) is not available (\(error)); using \(fallback)\n".utf8))
            return try modelOptions.load(default: fallback)
        }
    }

    func promptSet(task: CircuitTask?, loaded: ModelOptions.Loaded) throws -> PromptSet {
        let tokenizer = task?.needsTokenizer == true ? try modelOptions.loadTokenizer(for: loaded)
            : try? modelOptions.loadTokenizer(for: loaded)
        let loading = PromptLoading(task: task, file: prompts, count: count, seed: seed, workload: .patching)
        let set = try loading.load(model: loaded, tokenizer: tokenizer, log: PromptsCommand.printError).prompts
        if set.unchangedPrompts.count == set.count {
            throw CLIError.refused(
                "every corrupted prompt equals its clean prompt, so patching one into the other changes nothing and "
                    + "every cell would be rounding noise; give corrupted prompts that differ")
        }
        return set
    }

    /// Runs the unpatched model on the clean and corrupted prompts once and refuses what would make the sweep
    /// meaningless: NaN or infinite logits (naming the prompt), or, for a metric comparing answers, prompts whose
    /// correct and incorrect answers are the same (`Metric` checks both).
    static func checkRuns(_ set: PromptSet, model: TransformerModel, metric: MetricKind) throws {
        var runner = TransformerRunner(model: model)
        let clean = try PromptsCommand.readLogits(set, corrupted: false, runner: &runner)
        let corrupted = try PromptsCommand.readLogits(set, corrupted: true, runner: &runner)
        _ = try Metric(kind: metric, promptSet: set, fullLogits: clean, corruptedLogits: corrupted)
    }

    /// Refuses a path-patching grid with NaN or infinite cells, naming the first sender head.
    static func checkFinite(_ result: PathPatchingResult) throws {
        for (layer, row) in result.grid.enumerated() {
            if let head = row.firstIndex(where: { !$0.isFinite }) {
                throw CLIError.refused(
                    "path patching from head \(layer).\(head) gives \(row[head]): the patched model computes NaN or "
                        + "infinity")
            }
        }
        guard result.cleanMetric.isFinite, result.corruptedMetric.isFinite else {
            throw CLIError.refused("the clean or corrupted logit difference is not finite")
        }
    }

    /// `--receivers 7.3,a7.9 --input q` as receiver heads, checked against the model.
    func parseReceiver(config: ModelConfig) throws -> PathPatchingReceiver {
        guard let receivers else { return .residPost }
        let input = HeadInput(rawValue: input ?? "") ?? .q
        var heads: [AttentionHead] = []
        for entry in try CommaList.entries(receivers, option: "--receivers") {
            let body = entry.hasPrefix("a") ? String(entry.dropFirst()) : entry
            let parts = body.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count == 2, let layer = Int(parts[0]), let head = Int(parts[1]) else {
                throw ValidationError("--receivers: '\(entry)' is not a head written layer.head (e.g. 9.9).")
            }
            guard (0..<config.nLayers).contains(layer), (0..<config.nHeads).contains(head) else {
                throw ValidationError("--receivers: head \(layer).\(head) is outside the model's "
                    + "\(config.nLayers) layers × \(config.nHeads) heads.")
            }
            let h = AttentionHead(layer: layer, head: head)
            if !heads.contains(h) { heads.append(h) }
        }
        guard !heads.isEmpty else { throw ValidationError("--receivers is empty.") }
        guard heads.contains(where: { $0.layer > 0 }) else {
            throw ValidationError("--receivers: heads in layer 0 have no earlier heads to send to them.")
        }
        return .heads(heads.sorted(), input: input)
    }
}

/// `patch`'s output formats; deterministic, fixed precision.
enum PatchOutput {
    static func describe(_ receiver: PathPatchingReceiver) -> String {
        switch receiver {
        case .residPost: "resid_post"
        case let .heads(heads, input): heads.map(\.description).joined(separator: ",") + " (\(input.rawValue))"
        }
    }

    static func heatmap(_ r: PathPatchingResult, model: String, nHeads: Int) -> Heatmap {
        let name = model.split(separator: "/").last.map(String.init) ?? model
        let title = [
            "path patching (\(r.path.cliName)): each head → \(describe(r.receiver))",
            "model \(name), \(r.promptCount) prompts; logit diff clean \(number(r.cleanMetric, 4)), "
                + "corrupted \(number(r.corruptedMetric, 4))",
            "cells: (patched − clean)/(clean − corrupted) in %",
        ].joined(separator: "\n")
        return Heatmap(
            title: title, rowLabels: r.grid.indices.map { "L\($0)" }, columnLabels: (0..<nHeads).map { "H\($0)" },
            values: r.normalizedGrid)
    }

    static func number(_ v: Double, _ decimals: Int) -> String {
        v.isFinite ? String(format: "%.\(decimals)f", v) : "null"
    }

    static func json(_ r: PathPatchingResult, model: String, nHeads: Int) -> String {
        func grid(_ g: [[Double]], _ decimals: Int) -> String {
            "[" + g.map { "[" + $0.map { number($0, decimals) }.joined(separator: ",") + "]" }.joined(separator: ",") + "]"
        }
        let receiver: String
        switch r.receiver {
        case .residPost: receiver = "\"resid_post\""
        case let .heads(heads, input):
            receiver = "{\"heads\":[" + heads.map { "\"\($0)\"" }.joined(separator: ",") + "],\"input\":\"\(input.rawValue)\"}"
        }
        let escapedModel = model.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        return "{\"model\":\"\(escapedModel)\",\"path\":\"\(r.path.cliName)\",\"receiver\":\(receiver),"
            + "\"metric\":\"logit-diff\",\"prompts\":\(r.promptCount),"
            + "\"clean_metric\":\(number(r.cleanMetric, 6)),\"corrupted_metric\":\(number(r.corruptedMetric, 6)),"
            + "\"layers\":\(r.grid.count),\"heads\":\(nHeads),"
            + "\"values\":\(grid(r.grid, 6)),\"normalized_percent\":\(grid(r.normalizedGrid, 4))}"
    }

    static func csv(_ r: PathPatchingResult) -> String {
        var lines = ["layer,head,value,normalized_percent"]
        for (l, row) in r.grid.enumerated() {
            for (h, v) in row.enumerated() {
                let n = r.normalized(v)
                let value = v.isFinite ? String(format: "%.6f", v) : ""
                lines.append("\(l),\(h),\(value),\(n.isFinite ? String(format: "%.4f", n) : "")")
            }
        }
        return lines.joined(separator: "\n")
    }
}

/// A one-line progress counter on standard error while a sweep runs (only on a terminal).
struct PatchProgress {
    let enabled: Bool

    func show(_ done: Int, of total: Int) {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\rpatching senders: \(done)/\(total)\u{1B}[K".utf8))
    }

    func finish() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}
