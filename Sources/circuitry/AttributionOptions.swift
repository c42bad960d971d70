import ArgumentParser
import Circuits
import Foundation

extension AttributionMethod: ExpressibleByArgument {}

/// `--steps` and `--eapig-batch-size`: settings of the gradient attribution methods, shared by `attribute` and
/// `discover --method eap…`.
struct AttributionOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Integration steps of eap-ig-inputs and eap-ig-activations (EAP-IG's ig_steps).", valueName: "m"))
    var steps: Int = 5

    @Option(name: .long, help: ArgumentHelp(
        "Scale scores as EAP-IG does with this batch size (its loss is a batch mean: scores grow as prompts / batch size); default: all prompts in one batch.",
        valueName: "n"))
    var eapigBatchSize: Int?

    func validate() throws {
        if steps < 1 { throw ValidationError("--steps must be at least 1.") }
        if let eapigBatchSize, eapigBatchSize < 1 { throw ValidationError("--eapig-batch-size must be at least 1.") }
    }

    func settings(method: AttributionMethod, metric: MetricKind, ablation: AblationKind) -> AttributionSettings {
        AttributionSettings(method: method, metric: metric, ablation: ablation, steps: steps, eapigBatchSize: eapigBatchSize)
    }
}

/// Running an attribution from the command line: the metric default, progress on stderr, the top-edges table.
enum AttributionRun {
    /// `--metric`, else the logit difference when every prompt has answers (MIB's attribution metric), else the
    /// task's default.
    static func metricKind(_ experiment: Experiment, options: ExperimentOptions) -> MetricKind {
        if let name = options.metric, let kind = MetricKind(cliName: name) { return kind }
        let prompts = experiment.prompts
        let answered = zip(prompts.correct, prompts.incorrect).allSatisfy { !$0.isEmpty && !$1.isEmpty }
        return answered ? .logitDiff : experiment.metricKind
    }

    /// Runs the attribution with progress lines on stderr (redrawn on a terminal, at most one every 2 s
    /// otherwise), after a line saying what runs and how much memory a chunk of prompts needs.
    static func run(
        _ experiment: Experiment, graph: CircuitGraph, settings: AttributionSettings, command: String,
        log: (String) -> Void
    ) throws -> (result: AttributionResult, seconds: Double) {
        let model = experiment.loaded.model
        let prompts = experiment.prompts
        let bytes = EdgeAttribution.estimatedBytes(
            config: model.config, graph: graph, method: settings.method, prompts: prompts.count,
            length: prompts.clean.first?.count ?? 0, reads: prompts.readCount)
        let steps = settings.method.usesSteps ? ", \(settings.steps) steps" : ""
        log("\(command): \(model.source), \(prompts.count) prompts of \(prompts.clean.first?.count ?? 0) tokens, "
            + "\(graph.edgeCount) edges; \(settings.method.cliName)\(steps), metric \(settings.metric.cliName), "
            + "\(settings.ablation.rawValue) ablation; about \(bytes / 1_048_576) MiB for all prompts at once")
        if settings.metric == .kl && settings.method == .eap {
            log("\(command): note: KL's gradient vanishes at the clean run, so EAP scores with --metric kl are "
                + "rounding noise; use eap-ig-inputs, or --metric logit-diff")
        }
        let interactive = isatty(STDERR_FILENO) == 1
        let start = Date()
        var last = Date.distantPast
        let result = try EdgeAttribution.run(model: model, graph: graph, prompts: prompts, settings: settings) { p in
            let now = Date()
            guard p.pass == p.passes || now.timeIntervalSince(last) >= (interactive ? 0.1 : 2) else { return }
            last = now
            let line = String(format: "%@: %d/%d (%@), %@ elapsed", command, p.pass, p.passes, p.what,
                              ProgressDisplay.duration(now.timeIntervalSince(start)))
            ProgressDisplay.write(interactive ? "\r" + line + "\u{1B}[K" : line + "\n")
        }
        if interactive { ProgressDisplay.write("\r\u{1B}[K") }
        return (result, Date().timeIntervalSince(start))
    }

    /// The `count` edges with the largest |score|, one per line: rank, edge in circuitry's and EAP-IG's names, score.
    static func topTable(_ result: AttributionResult, graph: CircuitGraph, count: Int) -> String {
        func left(_ s: String, _ width: Int) -> String {
            s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count)
        }
        let eapig = graph.eapigIncompatibility == nil
        var lines = [left("rank", 6) + left("edge", 26) + (eapig ? left("EAP-IG name", 26) : "") + "score"]
        for (rank, edge) in result.order.prefix(count).enumerated() {
            let e = graph[edge]
            let name = "\(graph[e.sender].name) -> \(graph[e.receiver].name)"
            lines.append(left("\(rank + 1)", 6) + left(name, 26) + (eapig ? left(graph.eapigName(of: edge), 26) : "")
                + String(format: "%.6g", result.scores[edge.rawValue]))
        }
        return lines.joined(separator: "\n")
    }
}
