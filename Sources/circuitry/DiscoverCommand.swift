import ArgumentParser
import Circuits
import Foundation
import Tasks
import Transformer

/// `circuitry discover`: ACDC on a task, writing the circuit as Graphviz DOT and JSON.
struct DiscoverCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "discover",
        abstract: "Find the circuit behind a behaviour with ACDC (or EAP / EAP-IG scores) and write it as DOT and JSON.",
        discussion: """
            Runs ACDC (Conmy et al. 2023): receivers from the output down, each incoming edge removed when that \
            changes the metric by less than the threshold. Default models: gpt2 for ioi, greater-than and induction \
            (from the Hugging Face cache; ioi falls back to the bundled toy-ioi), the bundled tracr models for the \
            tracr tasks. Default ablation: resample (zero for tracr, as in ACDC). --method eap, eap-ig-inputs or \
            eap-ig-activations instead keeps the --edges best edges of that attribution (see attribute) and drops \
            those on no input → output path, as EAP-IG's prune and MIB do; its metric defaults to the logit \
            difference when the prompts have answers.
            """)

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var experiment: ExperimentOptions

    @Option(name: .customLong("threshold"), help: ArgumentHelp(
        "ACDC's threshold τ: an edge goes when removing it changes the metric by less (required with --method acdc).",
        valueName: "threshold"))
    var thresholdOption: Double?

    /// ACDC's threshold (validated present for ACDC runs).
    var threshold: Double { thresholdOption ?? 0 }

    @OptionGroup var discovery: DiscoveryOptions

    @Flag(name: .long, help: "Compare |change| with the threshold instead of the signed change.")
    var absolute = false

    @Flag(name: .long, help: "Do not test head inputs as a whole before their single edges.")
    var skipWholeInputs = false

    @Option(name: .long, help: ArgumentHelp("Order of a layer's heads when trying senders: normal (ACDC's main.py) or reverse.", valueName: "order"))
    var indexOrder: String = "normal"

    @Option(name: .long, help: ArgumentHelp("The circuit as Graphviz DOT (-: standard output).", valueName: "file"))
    var out: String = "circuit.dot"

    @Option(name: .long, help: ArgumentHelp(
        "The circuit and every kept edge's effect as JSON (-: standard output).", valueName: "file"))
    var json: String = "circuit.json"

    @Option(name: .long, help: ArgumentHelp("Also render SVG with Graphviz's dot (-: standard output).", valueName: "file"))
    var svg: String?

    @Option(name: .long, help: ArgumentHelp("Also render PNG with Graphviz's dot.", valueName: "file"))
    var png: String?

    @Option(name: .long, help: ArgumentHelp("Where the run saves its state every few seconds and on SIGINT/SIGTERM (default: the JSON file's name + .state).", valueName: "file"))
    var state: String?

    @Option(name: .long, help: ArgumentHelp("Continue a run from its saved state (the same settings are required).", valueName: "file"))
    var resume: String?

    @Option(name: .long, help: ArgumentHelp("Stop after this many metric evaluations (the state is kept for --resume).", valueName: "n"))
    var maxTests: Int?

    @Option(name: .long, help: ArgumentHelp("Seconds between state saves (0: after every test).", visibility: .hidden))
    var stateInterval: Double = 3

    @OptionGroup var parallelOptions: DiscoverParallelOptions

    func validate() throws {
        try validateDiscovery()
        guard threshold >= 0, threshold.isFinite else { throw ValidationError("--threshold must be a non-negative number.") }
        guard ACDCIndexOrder(rawValue: indexOrder) != nil else {
            throw ValidationError("--index-order must be normal or reverse.")
        }
        if let maxTests, maxTests < 1 { throw ValidationError("--max-tests must be at least 1.") }
        if statePath == "-" { throw ValidationError("--state cannot be standard output; give a file.") }
        if json == "-" && state == nil && discovery.method == .acdc {
            throw ValidationError("With --json - give --state FILE (the default is the JSON file's name + .state).")
        }
        if png == "-" { throw ValidationError("--png cannot be standard output; give a file.") }
        guard stateInterval >= 0, stateInterval.isFinite else { throw ValidationError("--state-interval must be ≥ 0.") }
    }

    /// Where the state is saved.
    var statePath: String { state ?? json + ".state" }

    /// Every file this run writes and reads, checked before any work (an attribution run saves no state).
    var outputPlan: OutputPlan {
        OutputPlan(
            [OutputFile(option: "--json", path: json), OutputFile(option: "--out", path: out),
             svg.map { OutputFile(option: "--svg", path: $0) }, png.map { OutputFile(option: "--png", path: $0) },
             discovery.method == .acdc ? OutputFile(option: "--state", path: statePath) : nil],
            inputs: [("--resume", resume), ("--prompts", experiment.prompts)],
            allowedSame: [("--resume", "--state")])
    }

    func run() throws {
        try DiscoverRole.run(parallelOptions) { try run(as: $0) }
    }

    /// The run alone, or as one rank of an MPI job (see `DiscoverCommand+MPI`): only rank 0 writes.
    func run(as role: DiscoverRole) throws {
        let plan = outputPlan
        if role.writes { try plan.check() }
        if let method = discovery.method.attribution { return try runAttribution(method, plan: plan) }
        let log = role.log
        // A state that cannot be read fails before the model is loaded.
        let resumeState = role.writes ? try resume.map(StateFile.read) : nil
        try role.loadingTurn(before: true)
        let setup = try Experiment(command: "discover", options: experiment, modelOptions: modelOptions, log: log)
        try role.loadingTurn(before: false)
        let model = setup.loaded.model
        let graph = CircuitGraph(config: model.config)
        let configuration = ACDCConfiguration(
            threshold: threshold, absoluteDifference: absolute, testWholeInputs: !skipWholeInputs,
            indexOrder: ACDCIndexOrder(rawValue: indexOrder) ?? .normal, maximumTests: maxTests)
        let settings = try RunFingerprint.settings(setup, options: experiment, modelOptions: modelOptions)
        if let resumeState {
            try resumeState.check(against: graph, configuration: configuration, run: settings)
        }
        log("discover: \(model.source), \(setup.prompts.count) prompts of \(setup.prompts.clean[0].count) tokens, "
            + "\(graph.edgeCount) edges, metric \(setup.metricKind.cliName), \(setup.ablation.rawValue) ablation, "
            + "threshold \(threshold); running the clean and corrupted prompts")
        var executor = try setup.makeExecutor(graph: graph)
        try executor.selfCheck()
        let metric = try setup.makeMetric(executor)
        try setup.checkMetricMoves(&executor, metric: metric)
        if try role.serve(executor: &executor, objective: PruningObjective(metric: metric)) { return }
        if let line = role.description { log(line) }
        log("discover: executor holds \(executor.storedBytes / 1_048_576) MiB"
            + (resumeState.map { "; resuming at test \($0.statistics.tests)" } ?? ""))

        let schedule = Self.scheduleWeights(graph: graph, wholeInputs: !skipWholeInputs)
        var display = ProgressDisplay(weights: schedule)
        var stateFile = StateFile(path: statePath, interval: stateInterval)
        let start = Date()
        InterruptSignal.install()
        let result: PruningResult
        var evaluator = role.evaluator(graph: graph)
        do {
            result = try ACDCPruner.prune(
                executor: &executor, evaluator: &evaluator, objective: PruningObjective(metric: metric),
                configuration: configuration,
                settings: settings, resume: resumeState,
                progress: { display.update($0) },
                checkpoint: { saved in
                    if let signal = InterruptSignal.pending {
                        try stateFile.save(saved)
                        throw Interrupted(signal: signal)
                    }
                    stateFile.checkpoint(saved)
                })
        } catch let interrupted as Interrupted {
            _ = try evaluator.finish()
            display.finish()
            log("discover: stopped by \(InterruptSignal.name(interrupted.signal)); the state is saved: continue with "
                + "--resume \(statePath)")
            throw ExitCode(128 + interrupted.signal)
        }
        InterruptSignal.uninstall()
        display.finish()
        let elapsed = Date().timeIntervalSince(start)

        let report = makeReport(result: result, setup: setup, graph: graph)
        let dot = CircuitDOT.render(
            circuit: result.circuit, graph: graph, comments: report.comments, effects: result.effects,
            classes: Self.headClasses(task: setup.task, graph: graph))
        try OutputFile(option: "--json", path: json).write(try JSONOutput.checked(report.report.json(graph: graph), option: "--json"))
        try OutputFile(option: "--out", path: out).write(dot)
        if result.completed {
            stateFile.remove()
        } else {
            guard let stopped = result.stoppedState else { throw CLIError.output("no state to save") }
            try stateFile.save(stopped)
        }
        for (format, option, path) in [("svg", "--svg", svg), ("png", "--png", png)] {
            guard let path else { continue }
            let image = try GraphvizRenderer.render(dot: dot, format: format, output: path, dotFile: out)
            try OutputFile(option: option, path: path).write(image)
        }
        let summary = Self.summary(
            result: result, graph: graph, elapsed: elapsed,
            files: [out, json].filter { $0 != "-" } + [svg, png].compactMap { $0 }.filter { $0 != "-" },
            statePath: result.completed ? nil : statePath)
        // With a result on standard output, the summary goes to stderr so stdout stays one document.
        if plan.outputs.contains(where: \.isStandardOutput) { log(summary) } else { print(summary) }
    }

    /// Weights of the schedule's steps for the progress estimate: the edges each step may test.
    static func scheduleWeights(graph: CircuitGraph, wholeInputs: Bool) -> [Double] {
        graph.acdcScheduleNodes(testWholeInputs: wholeInputs).map { step in
            step.whole ? 1 : Double(graph.incomingEdges(of: step.node).count)
        }
    }

    /// IOI's head classes (Wang et al. 2022) colour the DOT when the graph is GPT-2 small's.
    static func headClasses(task: CircuitTask?, graph: CircuitGraph) -> [(name: String, heads: [NodeID])] {
        []
    }

    struct Report {
        var report: CircuitReport
        var comments: [String]
    }

    func makeReport(result: PruningResult, setup: Experiment, graph: CircuitGraph) -> Report {
        let settings: [(String, JSONValue)] = [
            ("threshold", .number(threshold)), ("metric", .string(setup.metricKind.cliName)),
            ("ablation", .string(setup.ablation.rawValue)), ("absolute", .bool(absolute)),
            ("whole_inputs", .bool(!skipWholeInputs)), ("index_order", .string(indexOrder)),
            ("seed", .int(Int(setup.seed))), ("prompts", .int(setup.prompts.count)),
            ("tokens", .int(setup.prompts.clean.first?.count ?? 0)),
            ("completed", .bool(result.completed)),
        ]
        let s = result.statistics
        let statistics: [(String, JSONValue)] = [
            ("edge_tests", .int(s.edgeTests)), ("edges_removed", .int(s.edgesRemoved)),
            ("whole_input_tests", .int(s.wholeInputTests)), ("whole_inputs_severed", .int(s.wholeInputsSevered)),
            ("edges_removed_unused", .int(s.edgesRemovedUnused)),
            ("whole_inputs_severed_unused", .int(s.wholeInputsSeveredUnused)),
        ]
        var report = CircuitReport(
            tool: "circuitry \(Circuitry.version)", model: setup.modelDescription, task: setup.task?.cliName,
            settings: settings, metricName: result.metricName, fullMetric: result.fullMetric,
            circuitMetric: result.circuitMetric, emptyMetric: result.emptyMetric, statistics: statistics,
            circuit: result.circuit, severedInputs: result.severedInputs, effects: result.effects)
        report.wholeInputEffects = result.wholeInputEffects
        let comments = [
            "circuitry \(Circuitry.version) discover: ACDC circuit",
            "model \(setup.modelDescription); task \(setup.task?.cliName ?? "prompts file"); \(setup.prompts.count) prompts",
            "threshold \(JSONValue.format(threshold)); metric \(setup.metricKind.cliName); ablation \(setup.ablation.rawValue); "
                + "absolute \(absolute); whole inputs \(!skipWholeInputs); index order \(indexOrder); seed \(setup.seed)",
            "edges kept \(result.circuit.count) of \(graph.edgeCount); metric full \(JSONValue.format(result.fullMetric)), "
                + "circuit \(JSONValue.format(result.circuitMetric)), empty \(JSONValue.format(result.emptyMetric))",
        ]
        return Report(report: report, comments: comments)
    }

    /// The tests' rate and, for sparse tests, the work sparse propagation skipped, as the library measured them.
    static func testingLine(_ t: EdgeTestSummary) -> String {
        var line = String(format: "%@ tests: %.1f tests/s", t.mode.rawValue, t.testsPerSecond)
        if t.mode == .sparse && t.work.denseFLOPs > 0 {
            line += String(format: "; %.4g GFLOP done, %.4g GFLOP (%.0f%%) skipped by sparse propagation",
                           t.work.flops / 1e9, t.work.skippedFLOPs / 1e9, 100 * t.work.skippedFLOPs / t.work.denseFLOPs)
        }
        return line
    }

    static func summary(result: PruningResult, graph: CircuitGraph, elapsed: Double, files: [String], statePath: String?) -> String {
        let s = result.statistics
        let nodes = result.circuit.nodeView(in: graph).components(in: graph)
        var lines: [String] = []
        lines.append("circuit: \(result.circuit.count) of \(graph.edgeCount) edges, \(nodes.count) nodes")
        lines += CircuitListing.receiverLines(result.circuit, graph: graph)
        lines.append(String(format: "metric %@: full %.6g, circuit %.6g, empty %.6g",
                            result.metricName, result.fullMetric, result.circuitMetric, result.emptyMetric))
        let rate = elapsed > 0 ? Double(s.tests) / elapsed : 0
        lines.append(String(format: "%d edge tests + %d whole-input tests in %@ (%.1f tests/s); %d edges removed untested",
                            s.edgeTests, s.wholeInputTests, ProgressDisplay.duration(elapsed), rate, s.edgesRemovedUnused))
        lines.append(Self.testingLine(result.testing))
        if let line = Self.speculationLine(result.testing) { lines.append(line) }
        if let statePath {
            lines.append("stopped at the test budget; continue with --resume \(statePath)")
        }
        lines.append("wrote " + files.joined(separator: ", "))
        return lines.joined(separator: "\n")
    }
}
