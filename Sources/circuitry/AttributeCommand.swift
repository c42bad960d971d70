import ArgumentParser
import Circuits
import Foundation
import Tasks
import Transformer

/// The file format of `attribute --out`.
enum ScoresFormat: String, ExpressibleByArgument, CaseIterable {
    /// EAP-IG / MIB graph JSON (`Graph.to_json`).
    case eapig
    /// circuitry's `[{"sender", "receiver", "score"}]` list.
    case flat
}

/// `circuitry attribute`: a score for every edge from gradients (EAP, EAP-IG), written as EAP-IG / MIB graph JSON.
struct AttributeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attribute",
        abstract: "Score every edge with attribution patching (EAP) or EAP-IG and write EAP-IG / MIB graph JSON.",
        discussion: """
            Scores follow EAP-IG's attribute (Hanna et al. 2024): score(s → r) = (1/N) Σ ⟨Δ_s, ∂L/∂x_r⟩ with Δ_s \
            the difference of sender s's output between the ablation source and the clean run and x_r receiver \
            r's own input copy (each head's q, k and v separately); L is the mean loss over the prompts (minus the \
            logit difference, as MIB; KL as ACDC; minus the probability difference). eap takes the gradient at the \
            clean run; eap-ig-inputs averages it over --steps inputs interpolated from the corrupted prompt \
            towards the clean one; eap-ig-activations over each component group's output interpolated between its \
            clean and ablated value; clean-corrupted averages the clean and the corrupted run's; exact ablates each \
            edge alone through the edge-patching executor (one pass per edge). A positive score means ablating the \
            edge raises the loss. Unlike discover, the metric defaults to the logit difference when the prompts \
            have answers (MIB's attribution metric). evaluate --scores, verify and compare read the file.
            """)

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var experiment: ExperimentOptions
    @OptionGroup var attribution: AttributionOptions

    @Option(name: .long, help: ArgumentHelp("The attribution method (see above).", valueName: "method"))
    var method: AttributionMethod = .eapIGInputs

    @Option(name: .long, help: ArgumentHelp("Where the scores go (-: standard output).", valueName: "file"))
    var out: String = "scores.json"

    @Option(name: .long, help: ArgumentHelp(
        "eapig: EAP-IG / MIB graph JSON; flat: a [{sender, receiver, score}] list (for any graph).",
        valueName: "format"))
    var format: ScoresFormat = .eapig

    @Option(name: .long, help: ArgumentHelp("How many of the best edges (by |score|) to print.", valueName: "n"))
    var top: Int = 20

    func validate() throws {
        if top < 0 { throw ValidationError("--top must be at least 0.") }
    }

    func run() throws {
        let output = OutputFile(option: "--out", path: out)
        try OutputPlan([output], inputs: [("--prompts", experiment.prompts)]).check()
        let log: (String) -> Void = { ProgressDisplay.write($0 + "\n") }
        let setup = try Experiment(command: "attribute", options: experiment, modelOptions: modelOptions, log: log)
        let model = setup.loaded.model
        let graph = CircuitGraph(config: model.config)
        if format == .eapig, let reason = graph.eapigIncompatibility {
            throw CLIError.output("cannot write EAP-IG graph JSON for \(model.source): \(reason); use --format flat")
        }
        let settings = attribution.settings(
            method: method, metric: AttributionRun.metricKind(setup, options: experiment), ablation: setup.ablation)
        let (result, seconds) = try AttributionRun.run(setup, graph: graph, settings: settings, command: "attribute",
                                                        log: log)
        let text = format == .eapig
            ? try result.eapigJSON(graph: graph, dModel: model.config.dModel) : result.flatJSON(graph: graph)
        try output.write(try JSONOutput.checked(text, option: "--out"))
        var lines: [String] = []
        lines.append("\(method.cliName) scores of \(graph.edgeCount) edges: \(setup.prompts.count) prompts, metric "
            + "\(settings.metric.cliName), \(settings.ablation.rawValue) ablation"
            + (method.usesSteps ? ", \(settings.steps) steps" : ""))
        if top > 0 {
            lines.append("")
            lines.append(AttributionRun.topTable(result, graph: graph, count: top))
            lines.append("")
        }
        let passes = method == .exact
            ? "\(result.forwardPasses) patched forward passes"
            : "\(result.forwardPasses) forward and \(result.backwardPasses) backward passes"
        lines.append("\(passes) in \(ProgressDisplay.duration(seconds))"
            + (result.chunks > 1 ? " (\(result.chunks) chunks of prompts)" : ""))
        if output.isStandardOutput {
            // Standard output carries the scores alone; the summary goes to stderr.
            log(lines.joined(separator: "\n"))
        } else {
            lines.append("wrote \(out)")
            print(lines.joined(separator: "\n"))
        }
    }
}
