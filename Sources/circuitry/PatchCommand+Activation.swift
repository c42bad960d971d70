import ArgumentParser
import Circuits
import Foundation
import Tasks
import Tokenizer
import Transformer

/// `patch --activation …`: activation-patching sweeps (TransformerLens's `patching` module; Heimersheim & Nanda
/// 2024) of the residual stream, attention and MLP outputs, or every head's output, q, k, v, z or pattern.
struct ActivationPatchOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Activation patching instead of path patching: sweep "
            + ActivationComponent.allCases.map(\.cliName).joined(separator: "|")
            + " (heads = each head's output) over every layer (and head).",
        valueName: "component"))
    var activation: String?

    @Flag(name: .customLong("by-position"), help: "With --activation: patch one position at a time (columns = the prompt's tokens).")
    var byPosition = false

    @Flag(name: .long, help: "With --activation: run the corrupted prompts, patch clean activations in (the default).")
    var denoise = false

    @Flag(name: .long, help: "With --activation: run the clean prompts, patch corrupted activations in.")
    var noise = false

    @Flag(name: .long, help: "With --activation: both directions and each component's necessary/sufficient reading.")
    var both = false

    @Option(name: .long, help: ArgumentHelp(
        "With --activation: the metric, \(MetricKind.allCases.map(\.cliName).joined(separator: ", ")) "
            + "(default: the task's; logit-diff for --prompts with wrong answers, else kl).", valueName: "metric"))
    var metric: String?

    @Option(name: .long, help: ArgumentHelp(
        "With --activation: also write the heatmap(s) as SVG (-: standard output).", valueName: "file"))
    var svg: String?

    @Option(name: .customLong("sufficient-threshold"), help: ArgumentHelp(
        "With --both: sufficient when the denoising recovery is at least this.", valueName: "fraction"))
    var sufficientThreshold: Double = 0.5

    @Option(name: .customLong("necessary-threshold"), help: ArgumentHelp(
        "With --both: necessary when noising destroys at least this fraction (1 − recovery).", valueName: "fraction"))
    var necessaryThreshold: Double = 0.5

    /// Whether `--activation` replaces the path-patching sweep.
    var isActive: Bool { activation != nil }

    var component: ActivationComponent? {
        activation.flatMap { ActivationComponent(rawValue: $0.replacingOccurrences(of: "_", with: "-").lowercased()) }
    }

    var directions: [PatchDirection] { both ? [.denoise, .noise] : noise ? [.noise] : [.denoise] }

    func validate() throws {
        guard isActive else {
            if byPosition || denoise || noise || both || metric != nil || svg != nil {
                throw ValidationError("--by-position, --denoise, --noise, --both, --metric and --svg need --activation.")
            }
            return
        }
        guard component != nil else {
            throw ValidationError("--activation must be one of "
                + ActivationComponent.allCases.map(\.cliName).joined(separator: ", ") + ", not '\(activation ?? "")'.")
        }
        if [denoise, noise, both].filter({ $0 }).count > 1 {
            throw ValidationError("Give at most one of --denoise, --noise and --both.")
        }
        if let metric, MetricKind(cliName: metric) == nil {
            throw ValidationError("Unknown metric '\(metric)'; choose one of \(MetricKind.allCases.map(\.cliName).joined(separator: ", ")).")
        }
        for (name, t) in [("--sufficient-threshold", sufficientThreshold), ("--necessary-threshold", necessaryThreshold)]
        where !t.isFinite {
            throw ValidationError("\(name) must be a number.")
        }
    }
}

extension PatchCommand {
    /// `validate()` for `--activation`: the path-patching options do not apply.
    func validateActivation() throws {
        if (task == nil) == (prompts == nil) { throw ValidationError("Give exactly one of --task and --prompts.") }
        if json && csv { throw ValidationError("Give at most one of --json and --csv.") }
        if activation.svg == "-" && (json || csv) {
            throw ValidationError("--svg - writes to standard output, where --json and --csv also go; give --svg a file.")
        }
        if receivers != nil || input != nil || linear.isActive || linear.hasPositions {
            throw ValidationError("--receivers, --input, --linear and the position options belong to path patching, "
                + "not to --activation.")
        }
        if let count, count < 1 { throw ValidationError("--count must be at least 1.") }
    }

    /// `run()` for `--activation`.
    func runActivation() throws {
        let options = activation
        let component = options.component ?? .residPre
        let circuitTask = try task.map { try CircuitTask(cliName: $0) }
        let loaded = try loadModel(for: circuitTask)
        var set = try promptSet(task: circuitTask, loaded: loaded)
        if options.byPosition { set = try Self.singleLength(set) }
        let kind = options.metric.flatMap { MetricKind(cliName: $0) }
            ?? circuitTask?.defaultMetric
            ?? (set.incorrect.allSatisfy { !$0.isEmpty } ? .logitDiff : .kl)
        let metric = try ActivationPatcher.metric(kind, model: loaded.model, promptSet: set)
        let showProgress = !json && !csv && isatty(STDERR_FILENO) != 0
        let results = try ActivationPatcher.sweep(
            model: loaded.model, promptSet: set, metric: metric, component: component,
            directions: options.directions, byPosition: options.byPosition
        ) { done, total in
            if showProgress { FileHandle.standardError.write(Data("\rpatching: \(done)/\(total)\u{1B}[K".utf8)) }
        }
        if showProgress { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }

        let tokenizer = try? modelOptions.loadTokenizer(for: loaded)
        let report = ActivationPatchReport(
            model: loaded.model.source, results: results,
            tokenLabels: ActivationPatchReport.tokenLabels(set.clean.first ?? [], tokenizer: tokenizer),
            reading: PatchingReading(sufficientThreshold: options.sufficientThreshold,
                                     necessaryThreshold: options.necessaryThreshold))
        for result in results {
            if let cell = result.means.firstIndex(where: { !$0.isFinite }) {
                let c = result.cell(cell)
                throw CLIError.refused(
                    "activation patching gives a \(result.means[cell]) metric at layer \(c.layer)"
                        + (c.head.map { ", head \($0)" } ?? "") + (c.position.map { ", position \($0)" } ?? "")
                        + ": the patched model computes NaN or infinity")
            }
        }
        if json {
            print(try JSONOutput.checked(report.json(), option: "--json"))
        } else if csv {
            print(report.csv())
        } else if options.svg == "-" {
            // The SVG takes standard output; the heatmaps go to stderr.
            PromptsCommand.printError(report.terminal(colour: false))
        } else {
            print(report.terminal(colour: isatty(STDOUT_FILENO) != 0))
        }
        if let path = options.svg {
            try OutputFile(option: "--svg", path: path).write(HeatmapSVG.render(report.heatmaps()))
        }
    }
}

extension PatchCommand {
    /// The prompts of the most common token length (ties: the length seen first), for a by-position sweep, whose
    /// positions must line up; says on standard error what was left out.
    static func singleLength(_ set: PromptSet) throws -> PromptSet {
        let groups = set.batches()
        guard groups.count > 1, let best = groups.max(by: { $0.indices.count < $1.indices.count
            || ($0.indices.count == $1.indices.count && $0.length > $1.length) }) else { return set }
        let others = groups.filter { $0.length != best.length }.sorted { $0.length < $1.length }
            .map { "\($0.indices.count) of length \($0.length)" }.joined(separator: ", ")
        FileHandle.standardError.write(Data(("--by-position: using the \(best.indices.count) prompts of length "
            + "\(best.length); left out \(others)\n").utf8))
        let i = best.indices
        return try PromptSet(
            task: set.task, clean: i.map { set.clean[$0] }, corrupted: i.map { set.corrupted[$0] },
            readPositions: i.map { set.readPositions[$0] }, correct: i.map { set.correct[$0] },
            incorrect: i.map { set.incorrect[$0] }, cleanTexts: set.cleanTexts.map { t in i.map { t[$0] } },
            corruptedTexts: set.corruptedTexts.map { t in i.map { t[$0] } },
            wordPositions: set.wordPositions.map { w in i.map { w[$0] } }, reference: set.reference,
            outputDims: set.outputDims)
    }
}

/// `patch --activation`'s machine-readable outputs; deterministic, fixed precision, cells in result order.
extension ActivationPatchReport {
    static func escape(_ s: String) -> String {
        var out = ""
        for ch in s.unicodeScalars {
            switch ch {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            default:
                if ch.value < 0x20 { out += String(format: "\\u%04x", ch.value) } else { out.unicodeScalars.append(ch) }
            }
        }
        return out
    }

    static func numbers(_ values: [Double], _ decimals: Int) -> String {
        "[" + values.map { PatchOutput.number($0, decimals) }.joined(separator: ",") + "]"
    }

    func json() -> String {
        let r = first
        let tokens: [String] = r.byPosition ? tokenLabels.map { "\"" + Self.escape($0) + "\"" } : []
        var fields: [String] = [
            "\"model\":\"" + Self.escape(model) + "\"",
            "\"component\":\"" + r.component.cliName + "\"",
            "\"hook\":\"" + r.component.hookName + "\"",
            "\"by_position\":" + String(r.byPosition),
            "\"metric\":\"" + Self.escape(r.metricName) + "\"",
            "\"prompts\":" + String(r.promptCount),
            "\"layers\":" + String(r.layers),
            "\"heads\":" + String(r.component.isPerHead ? r.heads : 0),
            "\"positions\":" + String(r.byPosition ? r.positions : 0),
            "\"tokens\":[" + tokens.joined(separator: ",") + "]",
            "\"clean_metric\":" + PatchOutput.number(r.cleanMean, 6),
            "\"corrupted_metric\":" + PatchOutput.number(r.corruptedMean, 6),
            "\"clean_per_prompt\":" + Self.numbers(r.cleanPerPrompt, 6),
            "\"corrupted_per_prompt\":" + Self.numbers(r.corruptedPerPrompt, 6),
        ]
        var sweeps: [String] = []
        for result in results {
            let recovery = result.recovery, perPromptMean = result.meanPerPromptRecovery, means = result.means
            let perPromptRecovery = result.perPromptRecovery
            var cells: [String] = []
            for i in 0..<result.cellCount {
                let cell = result.cell(i)
                let parts: [String] = [
                    "\"layer\":" + String(cell.layer),
                    "\"head\":" + (cell.head.map { String($0) } ?? "null"),
                    "\"position\":" + (cell.position.map { String($0) } ?? "null"),
                    "\"metric\":" + PatchOutput.number(means[i], 6),
                    "\"recovery\":" + PatchOutput.number(recovery[i], 6),
                    "\"mean_per_prompt_recovery\":" + PatchOutput.number(perPromptMean[i], 6),
                    "\"per_prompt_metric\":" + Self.numbers(result.perPrompt[i], 6),
                    "\"per_prompt_recovery\":" + Self.numbers(perPromptRecovery[i], 6),
                ]
                cells.append("{" + parts.joined(separator: ",") + "}")
            }
            sweeps.append("{\"direction\":\"" + result.direction.cliName + "\",\"cells\":["
                + cells.joined(separator: ",") + "]}")
        }
        fields.append("\"sweeps\":[" + sweeps.joined(separator: ",") + "]")
        if results.count == 2 {
            let verdicts = reading.verdicts(denoise: results[0], noise: results[1])
            let parts: [String] = [
                "\"sufficient_threshold\":" + PatchOutput.number(reading.sufficientThreshold, 6),
                "\"necessary_threshold\":" + PatchOutput.number(reading.necessaryThreshold, 6),
                "\"verdicts\":[" + verdicts.map { "\"" + $0.rawValue + "\"" }.joined(separator: ",") + "]",
            ]
            fields.append("\"reading\":{" + parts.joined(separator: ",") + "}")
        }
        return "{" + fields.joined(separator: ",") + "}"
    }

    /// `direction,layer,head,position,token,metric,recovery,mean_per_prompt_recovery` (empty head/position/token
    /// where they do not apply).
    func csv() -> String {
        var lines = ["direction,layer,head,position,token,metric,recovery,mean_per_prompt_recovery"]
        func field(_ v: Double) -> String { v.isFinite ? String(format: "%.6f", v) : "" }
        func quoted(_ s: String) -> String {
            s.contains(where: { $0 == "," || $0 == "\"" }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
        }
        for result in results {
            let recovery = result.recovery, perPromptMean = result.meanPerPromptRecovery, means = result.means
            for i in 0..<result.cellCount {
                let cell = result.cell(i)
                let token = cell.position.map { $0 < tokenLabels.count ? quoted(tokenLabels[$0]) : "" } ?? ""
                let row: [String] = [
                    result.direction.cliName, String(cell.layer), cell.head.map { String($0) } ?? "",
                    cell.position.map { String($0) } ?? "", token, field(means[i]), field(recovery[i]),
                    field(perPromptMean[i]),
                ]
                lines.append(row.joined(separator: ","))
            }
        }
        return lines.joined(separator: "\n")
    }
}
