import ArgumentParser
import Circuits
import Foundation
import Tasks
import Transformer

/// How `discover` finds the circuit.
enum DiscoveryMethod: String, ExpressibleByArgument, CaseIterable {
    /// ACDC's greedy pruning (`--threshold`).
    case acdc
    /// The `--edges` best edges by |score| of an attribution method, then EAP-IG's `prune`.
    case eap
    case eapIGInputs = "eap-ig-inputs"
    case eapIGActivations = "eap-ig-activations"

    var attribution: AttributionMethod? {
        switch self {
        case .acdc: nil
        case .eap: .eap
        case .eapIGInputs: .eapIGInputs
        case .eapIGActivations: .eapIGActivations
        }
    }
}

/// `--method`, `--edges` and the attribution settings of `discover`.
struct DiscoveryOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "acdc (greedy pruning, needs --threshold), or an attribution method whose --edges best edges form the circuit.",
        valueName: "method"))
    var method: DiscoveryMethod = .acdc

    @Option(name: .long, help: ArgumentHelp(
        "With an attribution method: keep the N edges with the largest |score|, then drop those on no input → output path (EAP-IG's prune).",
        valueName: "n"))
    var edges: Int?

    @OptionGroup var attribution: AttributionOptions
}

/// `discover --method eap|eap-ig-inputs|eap-ig-activations --edges N`: the circuit of the N best edges of an
/// attribution ranking after EAP-IG's `prune` (what MIB evaluates at each budget), written as an ACDC run's
/// circuit is (DOT, JSON, SVG/PNG), with the method, the settings and every edge's score in the report.
extension DiscoverCommand {
    func validateDiscovery() throws {
        switch discovery.method {
        case .acdc:
            guard thresholdOption != nil else { throw ValidationError("Missing expected argument '--threshold <threshold>'") }
            if discovery.edges != nil { throw ValidationError("--edges is for attribution methods; ACDC takes --threshold.") }
        case .eap, .eapIGInputs, .eapIGActivations:
            guard let n = discovery.edges else {
                throw ValidationError("--method \(discovery.method.rawValue) needs --edges N (how many of the best edges to keep).")
            }
            if n < 1 { throw ValidationError("--edges must be at least 1.") }
            if thresholdOption != nil { throw ValidationError("--threshold is ACDC's; attribution methods take --edges.") }
            if resume != nil || maxTests != nil || state != nil {
                throw ValidationError("--resume, --max-tests and --state belong to ACDC runs.")
            }
            if parallelOptions.parallel == .mpi {
                throw ValidationError("--parallel mpi spreads ACDC's tests; attribution methods run in one process.")
            }
        }
    }

    /// `plan` has been checked: every output can be written.
    func runAttribution(_ method: AttributionMethod, plan: OutputPlan) throws {
        let log: (String) -> Void = { ProgressDisplay.write($0 + "\n") }
        let setup = try Experiment(command: "discover", options: experiment, modelOptions: modelOptions, log: log)
        let model = setup.loaded.model
        let graph = CircuitGraph(config: model.config)
        let metric = AttributionRun.metricKind(setup, options: experiment)
        let settings = discovery.attribution.settings(method: method, metric: metric, ablation: setup.ablation)
        let (result, seconds) = try AttributionRun.run(setup, graph: graph, settings: settings, command: "discover",
                                                        log: log)
        let requested = min(discovery.edges ?? 0, graph.edgeCount)
        let circuit = Circuit(graph: graph, edges: result.order.prefix(requested)).prunedAsEAPIG(in: graph)

        // The circuit's metric, as an ACDC report has it: full model, circuit, every edge ablated.
        var executor = try setup.makeExecutor(graph: graph)
        try executor.selfCheck()
        let scorer = try Metric(kind: metric, promptSet: setup.prompts, fullLogits: executor.cleanLogits,
                                corruptedLogits: executor.corruptedLogits)
        try setup.checkMetricMoves(&executor, metric: scorer)
        let full = try scorer.evaluate(executor.cleanLogits).mean
        let inCircuit = try scorer.evaluate(executor.logits(keeping: circuit)).mean
        let empty = try scorer.evaluate(executor.logits(keeping: .empty(graph))).mean

        let settingsJSON: [(String, JSONValue)] = [
            ("method", .string(method.cliName)), ("edges", .int(requested)),
            ("steps", method.usesSteps ? .int(settings.steps) : .null), ("metric", .string(metric.cliName)),
            ("ablation", .string(setup.ablation.rawValue)),
            ("eapig_batch_size", settings.eapigBatchSize.map { .int($0) } ?? .null),
            ("seed", .int(Int(setup.seed))), ("prompts", .int(setup.prompts.count)),
            ("tokens", .int(setup.prompts.clean.first?.count ?? 0)), ("completed", .bool(true)),
        ]
        let statistics: [(String, JSONValue)] = [
            ("edges_requested", .int(requested)), ("edges_pruned", .int(requested - circuit.count)),
            ("forward_passes", .int(result.forwardPasses)), ("backward_passes", .int(result.backwardPasses)),
        ]
        var report = CircuitReport(
            tool: "circuitry \(Circuitry.version)", model: setup.modelDescription, task: setup.task?.cliName,
            settings: settingsJSON, metricName: metric.cliName, fullMetric: full, circuitMetric: inCircuit,
            emptyMetric: empty, statistics: statistics, circuit: circuit, severedInputs: [],
            effects: Array(repeating: nil, count: graph.edgeCount))
        report.scores = result.scores
        let steps = method.usesSteps ? ", \(settings.steps) steps" : ""
        let comments = [
            "circuitry \(Circuitry.version) discover: the \(requested) best edges of \(method.cliName) scores, pruned",
            "model \(setup.modelDescription); task \(setup.task?.cliName ?? "prompts file"); \(setup.prompts.count) prompts",
            "method \(method.cliName)\(steps); metric \(metric.cliName); ablation \(setup.ablation.rawValue); seed \(setup.seed)",
            "edges kept \(circuit.count) of \(graph.edgeCount) (\(requested) requested); metric full "
                + "\(JSONValue.format(full)), circuit \(JSONValue.format(inCircuit)), empty \(JSONValue.format(empty))",
        ]
        let dot = CircuitDOT.render(
            circuit: circuit, graph: graph, comments: comments, effects: result.scores.map { Optional($0) },
            classes: Self.headClasses(task: setup.task, graph: graph))
        try OutputFile(option: "--json", path: json).write(
            try JSONOutput.checked(report.json(graph: graph), option: "--json"))
        try OutputFile(option: "--out", path: out).write(dot)
        for (format, option, path) in [("svg", "--svg", svg), ("png", "--png", png)] {
            guard let path else { continue }
            let image = try GraphvizRenderer.render(dot: dot, format: format, output: path, dotFile: out)
            try OutputFile(option: option, path: path).write(image)
        }

        let nodes = circuit.nodeView(in: graph).components(in: graph)
        var lines = ["circuit: \(circuit.count) of \(graph.edgeCount) edges (the \(requested) best \(method.cliName) "
            + "edges, \(requested - circuit.count) on no input → output path dropped), \(nodes.count) nodes"]
        lines += CircuitListing.receiverLines(circuit, graph: graph)
        let faithfulness = full != empty ? (inCircuit - empty) / (full - empty) : .nan
        lines.append(String(format: "metric %@: full %.6g, circuit %.6g, empty %.6g (faithfulness %.3f)",
                            metric.cliName, full, inCircuit, empty, faithfulness))
        lines.append("\(result.forwardPasses) forward and \(result.backwardPasses) backward passes in "
            + ProgressDisplay.duration(seconds))
        lines.append("wrote " + ([out, json] + [svg, png].compactMap { $0 }).filter { $0 != "-" }.joined(separator: ", "))
        // With a result on standard output, the summary goes to stderr so stdout stays one document.
        if plan.outputs.contains(where: \.isStandardOutput) { log(lines.joined(separator: "\n")) } else {
            print(lines.joined(separator: "\n"))
        }
    }
}
