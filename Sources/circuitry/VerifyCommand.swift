import ArgumentParser
import Circuits
import Foundation
import Tasks
import Transformer

/// `circuitry verify`: tests a circuit hypothesis — sufficiency (faithfulness against the empty graph), necessity of
/// each node or edge, and for hypotheses with classes the IOI paper's completeness and minimality.
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Test a circuit hypothesis: faithfulness, necessity of its parts, completeness and minimality.",
        discussion: """
            The circuit runs with every edge outside it ablated (--ablation). Faithfulness is (metric(circuit) − \
            metric(empty)) / (metric(full) − metric(empty)), the IOI paper's and auto-circuit's normalisation; for \
            KL and l2 (full = 0) it is 1 − metric(circuit)/metric(empty). Necessity removes each head and MLP (or \
            each edge, with --edges) alone; a part is necessary when the loss grows by more than --necessary times \
            |metric(circuit) − metric(empty)|. --circuit takes circuitry's JSON report, its DOT output, the text \
            format or EAP-IG / MIB graph JSON (its in_graph edges; detected by content), or a built-in: canonical (the IOI circuit of Wang et al. 2022 on GPT-2 \
            small, as ACDC encodes it) or ground-truth (the tracr tasks' circuits).
            """)

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var experimentOptions: ExperimentOptions

    @Option(name: .long, help: ArgumentHelp(
        "The hypothesis: a file (JSON report, EAP-IG graph JSON, DOT or text; -: standard input), canonical or ground-truth.",
        valueName: "file"))
    var circuit: String

    @Flag(name: .long, help: "Treat the hypothesis as a set of nodes: keep every edge among its heads and MLPs.")
    var nodes = false

    @Flag(name: .long, help: "Test the necessity of each edge instead of each node.")
    var edges = false

    @Option(name: .long, help: ArgumentHelp(
        "Necessity threshold, as a fraction of |metric(circuit) − metric(empty)|.", valueName: "fraction"))
    var necessary: Double = 0.1

    @Option(name: .long, help: ArgumentHelp(
        "The faithfulness a sufficient circuit reaches at least.", valueName: "fraction"))
    var sufficient: Double = 0.9

    @Flag(name: .long, inversion: .prefixedNo, help: "Run completeness and minimality when the hypothesis has classes.")
    var ioiCriteria = true

    @Flag(name: .long, help: "Keep head inputs without circuit edges as the ablated edges leave them, instead of severing them as ACDC does.")
    var keepEmptyInputs = false

    @Flag(name: .long, help: "Print the report as JSON.")
    var json = false

    @Option(name: .long, help: ArgumentHelp(
        "Write the circuit as Graphviz DOT, coloured by necessity (-: standard output).", valueName: "file"))
    var dot: String?

    func validate() throws {
        if dot == "-" && json { throw ValidationError("--dot - and --json both write to standard output; give --dot a file.") }
        if !(necessary >= 0) { throw ValidationError("--necessary must be a fraction ≥ 0.") }
        if !sufficient.isFinite { throw ValidationError("--sufficient must be a number.") }
    }

    func run() throws {
        let dotFile = dot.map { OutputFile(option: "--dot", path: $0) }
        try OutputPlan([dotFile], inputs: [("--circuit", circuit), ("--prompts", experimentOptions.prompts)]).check()
        if circuit == "-" && experimentOptions.prompts == "-" {
            throw ValidationError("--circuit and --prompts cannot both read standard input.")
        }
        let experiment = try Experiment(
            command: "verify", options: experimentOptions, modelOptions: modelOptions, log: PromptsCommand.printError)
        let graph = CircuitGraph(config: experiment.loaded.model.config)
        let hypothesis = try HypothesisSource.load(circuit, graph: graph, task: experiment.task)
        var executor = try experiment.makeExecutor(graph: graph)
        let metric = try experiment.makeMetric(executor)
        try experiment.checkMetricMoves(&executor, metric: metric)
        let settings = VerificationConfiguration(
            level: nodes ? .nodes : .edges, necessityUnit: edges ? .edges : .nodes, necessaryFraction: necessary,
            severEmptyHeadInputs: !keepEmptyInputs, ioiCriteria: ioiCriteria && !hypothesis.classes.isEmpty,
            sufficientFaithfulness: sufficient)
        let report = try CircuitVerifier.verify(
            executor: &executor, metric: metric, hypothesis: hypothesis, configuration: settings)
        if json {
            print(try JSONOutput.checked(report.json(graph: graph, ablation: experiment.ablation), option: "--json"),
                  terminator: "")
        } else if dotFile?.isStandardOutput == true {
            // The DOT takes standard output; the table goes to stderr.
            PromptsCommand.printError(report.table(graph: graph, ablation: experiment.ablation))
        } else {
            print(report.table(graph: graph, ablation: experiment.ablation))
        }
        if let dotFile {
            let comments = [
                "circuitry \(Circuitry.version) verify", "model: \(experiment.modelDescription)",
                "circuit: \(circuit)", "metric: \(metric.kind.cliName), ablation: \(experiment.ablation.rawValue)",
                "faithfulness: " + JSONValue.number(report.sufficiency.faithfulness).text,
            ]
            let classes = hypothesis.classes.map { (name: $0.name, heads: $0.nodes) }
            try dotFile.write(report.dot(graph: graph, comments: comments, classes: classes))
        }
    }
}

/// Where `--circuit` / `--reference` hypotheses come from: a file in any format, or a built-in.
enum HypothesisSource {
    static let builtIns = ["canonical", "ground-truth"]

    static func load(_ spec: String, graph: CircuitGraph, task: CircuitTask?) throws -> Hypothesis {
        switch spec {
        case "canonical":
            guard IOICanonicalCircuit.fits(graph) else {
                throw ValidationError(
                    "--circuit canonical is the IOI circuit of GPT-2 small (12 layers × 12 heads); this model is "
                        + "\(graph.nLayers) layers × \(graph.nHeads) heads.")
            }
            return IOICanonicalCircuit.hypothesis(graph: graph)
        case "ground-truth":
            guard let task, let program = TracrGroundTruth.program(of: task) else {
                throw ValidationError("--circuit ground-truth exists for the tracr tasks (--task tracr-reverse or tracr-proportion).")
            }
            return try TracrGroundTruth.hypothesis(program, graph: graph)
        default:
            if spec != "-" && !FileManager.default.fileExists(atPath: spec) {
                throw ValidationError(
                    "No circuit file \(spec); give a file (circuitry JSON report, EAP-IG graph JSON, DOT or text) or a built-in: "
                        + builtIns.joined(separator: ", ") + ".")
            }
            let (data, name) = try InputFile.read(spec, option: "the circuit", limit: WorkloadMemory.smallFileLimit)
            let hypothesis = try Hypothesis.read(data: data, graph: graph, file: name)
            let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: CharacterSet(charactersIn: "\u{FEFF}"))
            if hypothesis.circuit.count == 0 && hypothesis.nodes.isEmpty && HypothesisFormat.detect(text) != .json {
                throw CLIError.input(
                    "the circuit \(spec) names no edges, paths or nodes; write one per line, e.g. a0.1 -> a7.3.k")
            }
            return hypothesis
        }
    }
}
