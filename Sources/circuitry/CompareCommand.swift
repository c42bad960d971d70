import ArgumentParser
import Circuits
import Foundation
import Tasks
import Transformer

/// `circuitry compare`: overlap of two circuits, or ACDC's ROC curve against a reference over a threshold sweep.
struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare two circuits, or sweep ACDC's threshold and print its ROC curve against a reference.",
        discussion: """
            `compare A B` prints precision, recall and Jaccard index of A against B (the reference) on edges and on \
            nodes (heads and MLPs). `compare --sweep --task T --reference R` runs ACDC at each --thresholds value \
            and prints the ROC points (TPR and FPR over the graph's edges, R taken as the truth, as Conmy et al. 2023 \
            do) and the area under the curve (trapezoid rule through (0,0) and (1,1), as ACDC's plots). Circuits \
            are files (JSON report, EAP-IG / MIB graph JSON, DOT or text) or built-ins: canonical (IOI, GPT-2 \
            small), ground-truth (tracr). `evaluate --reference R` gives the ROC of an edge ranking the way MIB \
            scores InterpBench; so does `compare --scores S --reference R`, \
            without running the model.
            """)

    @Argument(help: ArgumentHelp("The circuit to judge and the reference circuit.", valueName: "circuit"))
    var circuits: [String] = []

    @OptionGroup var modelOptions: ModelOptions

    @Option(name: .long, help: ArgumentHelp(
        "The task (\(CircuitTask.allCases.map(\.cliName).joined(separator: ", "))): its default model and, with --sweep, its prompts.",
        valueName: "task"))
    var task: String?

    @Flag(name: .long, help: "Run ACDC over --thresholds and print its ROC curve against --reference.")
    var sweep = false

    @Option(name: .long, help: ArgumentHelp(
        "An edge ranking (EAP-IG/MIB graph JSON, a score list or an ACDC report): print its ROC against --reference as MIB scores InterpBench. Repeatable.",
        valueName: "file"))
    var scores: [String] = []

    @Flag(help: "How --scores ranks edges (default: by the scores file's kind).")
    var order: RankingOrder?

    @Option(name: .long, help: ArgumentHelp("The reference circuit of --sweep (a file, canonical or ground-truth).", valueName: "circuit"))
    var reference: String?

    @Option(name: .long, help: ArgumentHelp(
        "Comma-separated ACDC thresholds for --sweep (default: 1e-5,3e-5,…,1).", valueName: "list"))
    var thresholds: String?

    @Option(name: .long, help: ArgumentHelp("The metric of --sweep (default: the task's).", valueName: "metric"))
    var metric: String?

    @Option(name: .long, help: ArgumentHelp("The ablation of --sweep: resample, zero or mean (default: the task's).", valueName: "kind"))
    var ablation: String?

    @Option(name: .long, help: "How many prompts --sweep uses (default: the task's preset).")
    var count: Int?

    @Option(name: .long, help: "Seed of the prompt sampler.")
    var seed: UInt64 = 0

    @Flag(name: .long, help: "Print the result as JSON.")
    var json = false

    func validate() throws {
        if !scores.isEmpty {
            if sweep || !circuits.isEmpty { throw ValidationError("--scores takes no circuit arguments and no --sweep; give --reference.") }
            if reference == nil { throw ValidationError("--scores needs --reference (a file, canonical or ground-truth).") }
        } else if sweep {
            if !circuits.isEmpty { throw ValidationError("--sweep takes no circuit arguments; give --reference.") }
            if task == nil { throw ValidationError("--sweep needs --task.") }
            if reference == nil { throw ValidationError("--sweep needs --reference (a file, canonical or ground-truth).") }
            _ = try thresholdList()
        } else if circuits.count != 2 {
            throw ValidationError("Give two circuits to compare (or --sweep).")
        }
        if let task { _ = try CircuitTask(cliName: task) }
    }

    func thresholdList() throws -> [Double] {
        guard let thresholds else { return ThresholdSweep.defaultThresholds }
        let parts = try CommaList.entries(thresholds, option: "--thresholds")
        let values = try parts.enumerated().map { index, part -> Double in
            guard let v = Double(part), v >= 0, v.isFinite else {
                throw ValidationError("--thresholds: entry \(index + 1) '\(part)' is not a threshold ≥ 0.")
            }
            return v
        }
        guard !values.isEmpty else { throw ValidationError("--thresholds is empty.") }
        return values
    }

    func run() throws {
        if scores.isEmpty && !sweep && circuits.filter({ $0 == "-" }).count > 1 {
            throw ValidationError("Only one of the two circuits can be read from standard input (-).")
        }
        if !scores.isEmpty { try runRankings() } else if sweep { try runSweep() } else { try runPair() }
    }

    /// `--scores … --reference R`: each ranking's ROC (EAP-IG's greedy selection at MIB's budgets); no model runs.
    private func runRankings() throws {
        let circuitTask = try task.map(CircuitTask.init(cliName:))
        let loaded = try circuitTask.map {
            try PromptsCommand.loadModel(for: $0, options: modelOptions, command: "compare", log: PromptsCommand.printError)
        } ?? modelOptions.load()
        let graph = CircuitGraph(config: loaded.model.config)
        let truth = try HypothesisSource.load(reference ?? "", graph: graph, task: circuitTask).circuit
        var lines: [String] = []
        var items: [JSONValue] = []
        for ranking in try RankingFiles.read(scores, graph: graph) {
            let absolute = order.map { $0 == .absolute } ?? ranking.source.prefersAbsolute
            let roc = try RankingROC(ranking: ranking, reference: truth, graph: graph, absolute: absolute)
            lines += (lines.isEmpty ? [] : [""]) + ["ranking \(ranking.name) (\(absolute ? "by |score|" : "signed"))"]
            lines += EvaluateOutput.rocLines(roc, reference: reference ?? "")
            items.append(.object([("name", .string(ranking.name)), ("absolute", .bool(absolute)),
                                  ("roc", EvaluateOutput.rocJSON(roc))]))
        }
        let json = JSONValue.object([
            ("graph_edges", .int(graph.edgeCount)), ("reference", .string(reference ?? "")), ("rankings", .array(items)),
        ]).text + "\n"
        print(self.json ? json : lines.joined(separator: "\n"), terminator: self.json ? "" : "\n")
    }

    private func runPair() throws {
        let circuitTask = try task.map(CircuitTask.init(cliName:))
        let loaded = try circuitTask.map {
            try PromptsCommand.loadModel(for: $0, options: modelOptions, command: "compare", log: PromptsCommand.printError)
        } ?? modelOptions.load()
        let graph = CircuitGraph(config: loaded.model.config)
        let a = try HypothesisSource.load(circuits[0], graph: graph, task: circuitTask)
        let b = try HypothesisSource.load(circuits[1], graph: graph, task: circuitTask)
        let comparison = CircuitComparison(candidate: a.circuit, reference: b.circuit, graph: graph)
        print(json ? try JSONOutput.checked(CompareOutput.json(comparison), option: "--json")
                   : CompareOutput.table(comparison, names: circuits, graph: graph),
              terminator: json ? "" : "\n")
    }

    private func runSweep() throws {
        var arguments = ["--task", task ?? "", "--seed", String(seed)]
        if let metric { arguments += ["--metric", metric] }
        if let ablation { arguments += ["--ablation", ablation] }
        if let count { arguments += ["--count", String(count)] }
        let options = try ExperimentOptions.parse(arguments)
        let experiment = try Experiment(
            command: "compare", options: options, modelOptions: modelOptions, log: PromptsCommand.printError)
        let graph = CircuitGraph(config: experiment.loaded.model.config)
        let truth = try HypothesisSource.load(reference ?? "", graph: graph, task: experiment.task).circuit
        var executor = try experiment.makeExecutor(graph: graph)
        let metric = try experiment.makeMetric(executor)
        try experiment.checkMetricMoves(&executor, metric: metric)
        let objective = PruningObjective(metric: metric)
        let points = try ThresholdSweep.run(
            executor: &executor, objective: objective, reference: truth, thresholds: try thresholdList()
        ) { point in
            PromptsCommand.printError(
                "compare: threshold \(JSONValue.number(point.threshold).text): \(point.result.circuit.count) edges")
        }
        let auc = ROCCurve.area(points.map(\.roc))
        print(json ? try JSONOutput.checked(
                        CompareOutput.sweepJSON(points, auc: auc, referenceEdges: truth.count, graph: graph), option: "--json")
                   : CompareOutput.sweepTable(points, auc: auc, referenceEdges: truth.count, graph: graph),
              terminator: json ? "" : "\n")
    }
}

/// Formatting of `compare`'s output; deterministic, fixed precision.
enum CompareOutput {
    static func json(_ c: CircuitComparison) -> String {
        func overlap(_ o: CircuitComparison.Overlap) -> JSONValue {
            .object([
                ("candidate", .int(o.candidate)), ("reference", .int(o.reference)), ("shared", .int(o.shared)),
                ("precision", .number(o.precision)), ("recall", .number(o.recall)), ("jaccard", .number(o.jaccard)),
            ])
        }
        return JSONValue.object([("edges", overlap(c.edges)), ("nodes", overlap(c.nodes))]).text + "\n"
    }

    static func table(_ c: CircuitComparison, names: [String], graph: CircuitGraph) -> String {
        var lines = ["candidate: \(names[0])", "reference: \(names[1])", ""]
        lines.append(pad("", 6) + pad("cand.", 8) + pad("ref.", 8) + pad("shared", 8)
            + pad("precision", 11) + pad("recall", 9) + pad("jaccard", 9))
        for (label, o) in [("edges", c.edges), ("nodes", c.nodes)] {
            lines.append(label.padding(toLength: 6, withPad: " ", startingAt: 0) + pad("\(o.candidate)", 8)
                + pad("\(o.reference)", 8) + pad("\(o.shared)", 8) + pad(f(o.precision), 11) + pad(f(o.recall), 9)
                + pad(f(o.jaccard), 9))
        }
        return lines.joined(separator: "\n")
    }

    static func sweepJSON(_ points: [ThresholdSweep.Point], auc: Double, referenceEdges: Int, graph: CircuitGraph) -> String {
        let items: [JSONValue] = points.map { p in
            .object([
                ("threshold", .number(p.threshold)), ("edges", .int(p.roc.edges)),
                ("tpr", .number(p.roc.truePositiveRate)), ("fpr", .number(p.roc.falsePositiveRate)),
                ("precision", .number(p.comparison.edges.precision)), ("metric", .number(p.result.circuitMetric)),
            ])
        }
        return JSONValue.object([
            ("graph_edges", .int(graph.edgeCount)), ("reference_edges", .int(referenceEdges)),
            ("points", .array(items)), ("auc", .number(auc)),
            ("pessimistic_auc", .number(ROCCurve.pessimisticArea(points.map(\.roc)))),
        ]).text + "\n"
    }

    static func sweepTable(_ points: [ThresholdSweep.Point], auc: Double, referenceEdges: Int, graph: CircuitGraph) -> String {
        var lines = ["ROC over \(graph.edgeCount) edges, reference of \(referenceEdges) edges", ""]
        lines.append(pad("threshold", 11) + pad("edges", 8) + pad("TPR", 9) + pad("FPR", 11) + pad("metric", 12))
        for p in points {
            lines.append(pad(String(format: "%.3g", p.threshold), 11) + pad("\(p.roc.edges)", 8)
                + pad(f(p.roc.truePositiveRate), 9) + pad(String(format: "%.3e", p.roc.falsePositiveRate), 11)
                + pad(String(format: "%.4g", p.result.circuitMetric), 12))
        }
        lines.append("")
        lines.append("AUC \(f(auc)) (trapezoid through (0,0) and (1,1)); pessimistic (step) AUC "
            + f(ROCCurve.pessimisticArea(points.map(\.roc))))
        return lines.joined(separator: "\n")
    }

    static func f(_ v: Double) -> String { v.isFinite ? String(format: "%.4f", v) : "-" }

    static func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s + " " : String(repeating: " ", count: width - s.count) + s
    }
}
