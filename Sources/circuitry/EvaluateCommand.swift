import ArgumentParser
import Circuits
import Foundation
import Tasks
import Transformer

/// How edges are ordered by score: by magnitude or by signed value.
enum RankingOrder: String, EnumerableFlag {
    case absolute
    case signed

    static func help(for value: RankingOrder) -> ArgumentHelp? {
        switch value {
        case .absolute: "Rank edges by |score| (default for attribution scores, as MIB's default)."
        case .signed: "Rank edges by signed score, most positive first (default for ACDC reports)."
        }
    }
}

/// `circuitry evaluate`: MIB's circuit-localisation evaluation of edge rankings.
struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Score edge rankings as the MIB benchmark does: faithfulness at edge budgets, CPR and CMD.",
        discussion: """
            For each budget k (0.1 % … 100 % of the graph's edges) the int(k·N) best edges of a ranking are kept, \
            pruned as EAP-IG's prune does (only edges on an input → output path of kept edges stay), and the \
            circuit is run with every other edge ablated: f(k) = (m(C) − m(∅)) / (m(full) − m(∅)). CPR is the area \
            under f(k), CMD the area between f(k) and 1, both by the trapezoid rule on the linear k axis, exactly as \
            MIB's evaluate_area_under_curve (Mueller et al. 2025). --scores takes EAP-IG / MIB graph JSON (its edge \
            scores), a list of {"sender", "receiver", "score"}, or a circuitry ACDC report (discover --json), ranked \
            by the threshold at which each edge would have left that run. Unlike the other commands, the \
            metric defaults to the logit difference (MIB's) when the prompts have answers. --reference adds the ROC of each ranking against a \
            reference circuit, as MIB scores InterpBench: EAP-IG's greedy selection at each budget, TPR and FPR \
            over the graph's edges, and the area under the curve.
            """)

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var experimentOptions: ExperimentOptions

    @Option(name: .long, help: ArgumentHelp(
        "A ranking: EAP-IG/MIB graph JSON, a {sender, receiver, score} list, or an ACDC report. Repeat to compare.",
        valueName: "file"))
    var scores: [String] = []

    @Flag(help: "How edges are ranked (default: by the scores file's kind).")
    var order: RankingOrder?

    @Option(name: .long, help: ArgumentHelp(
        "Also print each ranking's ROC and AUC against this circuit (a file, canonical or ground-truth).",
        valueName: "circuit"))
    var reference: String?

    @Flag(name: .long, help: "Print the result as JSON.")
    var json = false

    @Option(name: .long, help: ArgumentHelp("Plot faithfulness against the budget as SVG.", valueName: "file"))
    var svg: String?

    func validate() throws {
        if scores.isEmpty { throw ValidationError("Give at least one ranking with --scores FILE.") }
        if svg == "-" && json { throw ValidationError("--svg - and --json both write to standard output; give --svg a file.") }
    }

    func run() throws {
        let svgFile = svg.map { OutputFile(option: "--svg", path: $0) }
        try OutputPlan([svgFile], inputs: [("--prompts", experimentOptions.prompts)] + scores.map { ("--scores", $0) })
            .check()
        let log = PromptsCommand.printError
        let experiment = try Experiment(
            command: "evaluate", options: experimentOptions, modelOptions: modelOptions, log: log)
        let graph = CircuitGraph(config: experiment.loaded.model.config)
        let rankings = try RankingFiles.read(scores, graph: graph)
        let truth = try reference.map { try HypothesisSource.load($0, graph: graph, task: experiment.task).circuit }
        var executor = try experiment.makeExecutor(graph: graph)
        try executor.selfCheck()
        let metricKind = metricKind(experiment)
        let metric = try Metric(kind: metricKind, promptSet: experiment.prompts, fullLogits: executor.cleanLogits,
                                corruptedLogits: executor.corruptedLogits)
        log("evaluate: \(experiment.modelDescription), \(experiment.prompts.count) prompts, \(graph.edgeCount) edges, "
            + "metric \(metricKind.cliName), \(experiment.ablation.rawValue) ablation, \(rankings.count) ranking(s)")

        var results: [EvaluateOutput.Result] = []
        for ranking in rankings {
            let absolute = order.map { $0 == .absolute } ?? ranking.source.prefersAbsolute
            let curve = try FaithfulnessCurve.measure(
                executor: &executor, metric: metric, ranking: ranking, absolute: absolute
            ) { point in
                log("evaluate: \(ranking.name): k \(FaithfulnessPlotSVG.budgetLabel(point.budget)): "
                    + "\(point.requestedEdges) edges requested, \(point.keptEdges) kept, f "
                    + String(format: "%.4f", point.faithfulness))
            }
            let roc = try truth.map { try RankingROC(ranking: ranking, reference: $0, graph: graph, absolute: absolute) }
            results.append(EvaluateOutput.Result(ranking: ranking, curve: curve, roc: roc))
        }
        let context = EvaluateOutput.Context(
            model: experiment.modelDescription, task: experiment.task?.cliName, prompts: experiment.prompts.count,
            metric: metricKind.cliName, ablation: experiment.ablation.rawValue, graphEdges: graph.edgeCount,
            reference: reference)
        // With --svg -, standard output carries the plot alone.
        if svgFile?.isStandardOutput != true {
            print(json ? EvaluateOutput.json(results, context: context) : EvaluateOutput.table(results, context: context),
                  terminator: json ? "" : "\n")
        }
        if let svgFile {
            let model = URL(fileURLWithPath: experiment.modelDescription).lastPathComponent
            let title = "Faithfulness on \(experiment.task?.cliName ?? "the prompts") (\(model), "
                + "\(metricKind.cliName), \(experiment.ablation.rawValue) ablation)"
            try svgFile.write(FaithfulnessPlotSVG.render(results.map(\.curve), title: title))
        }
    }

    /// `--metric`, else the logit difference (MIB's metric) when every prompt has answers, else the task's default.
    func metricKind(_ experiment: Experiment) -> MetricKind {
        if let name = experimentOptions.metric, let kind = MetricKind(cliName: name) { return kind }
        let prompts = experiment.prompts
        let answered = zip(prompts.correct, prompts.incorrect).allSatisfy { !$0.isEmpty && !$1.isEmpty }
        return answered ? .logitDiff : experiment.metricKind
    }
}
