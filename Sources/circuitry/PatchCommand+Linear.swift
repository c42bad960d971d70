import ArgumentParser
import Circuits
import Foundation
import Tasks
import Transformer

/// `patch`'s options for linear direct path patching (`--linear --source 9.9`) and positional path patching
/// (`--source-positions S2 --destination-positions end`).
struct LinearPatchOptions: ParsableArguments {
    @Flag(name: .long, help: ArgumentHelp(
        "Linear direct path patching (TransformerLens's get_act_patch_direct_path) from --source into every later "
            + "head's q, k and v, beside the exact single-edge patch."))
    var linear = false

    @Option(name: .long, help: ArgumentHelp(
        "The source head of --linear, as layer.head (e.g. 0.1).", valueName: "head"))
    var source: String?

    @Option(name: .long, help: ArgumentHelp(
        "Take the senders' signal only at these positions: word names of the task (IOI: IO, S1, S2, end), 'last', "
            + "'all', or token indices (negative: from the end), comma-separated.", valueName: "positions"))
    var sourcePositions: String?

    @Option(name: .long, help: ArgumentHelp(
        "Patch the receivers' inputs only at these positions (same forms as --source-positions).",
        valueName: "positions"))
    var destinationPositions: String?

    /// Whether `--linear` replaces the path-patching sweep.
    var isActive: Bool { linear }

    /// Whether the sweep is positional.
    var hasPositions: Bool { sourcePositions != nil || destinationPositions != nil }

    func validate() throws {
        if linear && source == nil { throw ValidationError("--linear needs --source, the source head (e.g. 0.1).") }
        if !linear && source != nil { throw ValidationError("--source is the source head of --linear; add --linear.") }
        for (name, value) in [("--source-positions", sourcePositions), ("--destination-positions", destinationPositions)] {
            if let value { _ = try Self.entries(value, option: name) }
        }
    }

    static func entries(_ text: String, option: String) throws -> [String] {
        try CommaList.entries(text, option: option)
    }

    /// Per prompt of `set`, the positions `text` names (sorted, without repeats); nil when `text` is nil.
    ///
    /// An entry is a word position of the prompt set (`PromptSet.wordPositions`, e.g. IOI's S2; any case), `last` (the last
    /// token) or `all` (unless the set names a word so), or a token index, negative indices counting from the end.
    static func resolve(_ text: String?, option: String, in set: PromptSet) throws -> [[Int]]? {
        guard let text else { return nil }
        let entries = try entries(text, option: option)
        return try (0..<set.count).map { i in
            let length = set.clean[i].count
            var positions: Set<Int> = []
            for entry in entries {
                if let word = set.wordPositions?[i].first(where: { $0.name.lowercased() == entry.lowercased() }) {
                    positions.insert(word.position)
                } else if entry == "last" {
                    positions.insert(length - 1)
                } else if entry == "all" {
                    positions.formUnion(0..<length)
                } else if let index = Int(entry) {
                    let p = index < 0 ? length + index : index
                    guard p >= 0 && p < length else {
                        throw ValidationError("\(option): position \(index) is outside prompt \(i)'s \(length) tokens.")
                    }
                    positions.insert(p)
                } else {
                    let names = Set((set.wordPositions ?? []).joined().map(\.name)).sorted()
                    throw ValidationError("\(option): '\(entry)' is neither a token index nor a word position of "
                        + "prompt \(i) (\(names.isEmpty ? "this prompt set names none" : "named: " + names.joined(separator: ", "))"
                        + "; 'last' is the last token, 'all' every token).")
                }
            }
            return positions.sorted()
        }
    }
}

extension PatchCommand {
    /// The path-patching sweep, positional when `--source-positions` or `--destination-positions` is given.
    func sweep(
        model: TransformerModel, promptSet set: PromptSet, receiver: PathPatchingReceiver, path: PathPatchingPath,
        progress: (_ done: Int, _ total: Int) -> Void
    ) throws -> PathPatchingResult {
        guard linear.hasPositions else {
            return try PathPatcher.logitDifferenceSweep(
                model: model, promptSet: set, receiver: receiver, path: path, progress: progress)
        }
        let everywhere = (0..<set.count).map { Array(0..<set.clean[$0].count) }
        return try PathPatcher.positionalLogitDifferenceSweep(
            model: model, promptSet: set, receiver: receiver, path: path,
            sourcePositions: LinearPatchOptions.resolve(linear.sourcePositions, option: "--source-positions", in: set)
                ?? everywhere,
            destinationPositions: LinearPatchOptions.resolve(
                linear.destinationPositions, option: "--destination-positions", in: set) ?? everywhere,
            progress: progress)
    }

    /// The heatmap's title with the positions named when the sweep was positional.
    func annotated(_ map: Heatmap) -> Heatmap {
        guard linear.hasPositions else { return map }
        var map = map
        map.title += "\npositions: source \(linear.sourcePositions ?? "all"), destination \(linear.destinationPositions ?? "all")"
        return map
    }

    /// `--linear`: the report for `--source`, destinations restricted by `--receivers`, inputs by `--input`.
    func runLinear(loaded: ModelOptions.Loaded, set: PromptSet) throws {
        let config = loaded.model.config
        guard let text = linear.source, let source = AttentionHead(parsing: text),
              (0..<config.nLayers).contains(source.layer), (0..<config.nHeads).contains(source.head) else {
            throw ValidationError("--source: '\(linear.source ?? "")' is not a head of the model's \(config.nLayers) "
                + "layers × \(config.nHeads) heads, written layer.head (e.g. 0.1).")
        }
        guard source.layer < config.nLayers - 1 else {
            throw ValidationError("--source: \(source) is in the last layer; no head reads it.")
        }
        var destinations: [AttentionHead]?
        if receivers != nil, case let .heads(heads, _) = try parseReceiver(config: config) {
            destinations = heads.filter { $0.layer > source.layer }
            if destinations?.isEmpty == true {
                throw ValidationError("--receivers: none of the heads comes after the source \(source).")
            }
        }
        let inputs = input.flatMap { HeadInput(rawValue: $0) }.map { [$0] } ?? HeadInput.allCases
        let progress = PatchProgress(enabled: !json && !csv && isatty(STDERR_FILENO) != 0)
        let report = try LinearPathPatcher.logitDifferenceReport(
            model: loaded.model, promptSet: set, source: source, destinations: destinations, inputs: inputs,
            sourcePositions: LinearPatchOptions.resolve(linear.sourcePositions, option: "--source-positions", in: set),
            destinationPositions: LinearPatchOptions.resolve(
                linear.destinationPositions, option: "--destination-positions", in: set)
        ) { done, total in progress.show(done, of: total) }
        progress.finish()
        let positions = (linear.sourcePositions ?? "all", linear.destinationPositions ?? "all")
        if json {
            print(LinearPatchOutput.json(report, model: loaded.model.source, positions: positions))
        } else if csv {
            print(LinearPatchOutput.csv(report))
        } else {
            print(LinearPatchOutput.table(report, model: loaded.model.source, positions: positions))
        }
    }
}

/// `patch --linear`'s output formats; deterministic, fixed precision.
enum LinearPatchOutput {
    /// Fixed precision without a minus sign on values that round to zero.
    static func number(_ v: Double, _ decimals: Int) -> String {
        guard v.isFinite else { return "null" }
        let scale = Double((0..<decimals).reduce(1) { r, _ in r * 10 })
        let rounded = (v * scale).rounded() / scale
        return String(format: "%.\(decimals)f", rounded == 0 ? 0 : rounded)
    }

    static func table(_ r: LinearPathPatchingReport, model: String, positions: (String, String)) -> String {
        let name = model.split(separator: "/").last.map(String.init) ?? model
        var lines = [
            "linear direct path patching from \(r.source): model \(name), \(r.promptCount) prompts; logit diff clean "
                + "\(number(r.cleanMetric, 4)), corrupted \(number(r.corruptedMetric, 4))",
            "positions: source \(positions.0), destination \(positions.1)",
            "linear: the destination input + (δ − mean δ)·γ/σ·W (TransformerLens get_act_patch_direct_path); exact: the "
                + "one edge source → input ablated (resample)",
            "metric columns: (patched − clean)/(clean − corrupted) in %; |Δ|: norm of the input's change; rel.err: "
                + "|Δlinear − Δexact|/|Δexact|",
            "",
            "dest      input   linear %    exact %  deviation %    |Δlinear|     |Δexact|  rel.err",
        ]
        let worst = r.worstRow
        for row in r.rows {
            let cells = [
                row.destination.description.padding(toLength: 9, withPad: " ", startingAt: 0),
                row.input.rawValue.padding(toLength: 5, withPad: " ", startingAt: 0),
                pad(number(r.normalized(row.linearMetric), 2), 10), pad(number(r.normalized(row.exactMetric), 2), 10),
                pad(number(r.normalized(row.linearMetric) - r.normalized(row.exactMetric), 2), 12),
                pad(number(row.linearChangeNorm, 4), 12), pad(number(row.exactChangeNorm, 4), 12),
                pad(number(row.relativeChangeError, 4), 8),
            ]
            lines.append(cells.joined(separator: " ") + (row == worst ? "  ← largest deviation" : ""))
        }
        return lines.joined(separator: "\n")
    }

    static func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s : String(repeating: " ", count: width - s.count) + s
    }

    static func json(_ r: LinearPathPatchingReport, model: String, positions: (String, String)) -> String {
        func quoted(_ s: String) -> String {
            "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }
        let rows = r.rows.map { row in
            "{\"destination\":\"\(row.destination)\",\"input\":\"\(row.input.rawValue)\","
                + "\"linear\":\(number(row.linearMetric, 6)),\"exact\":\(number(row.exactMetric, 6)),"
                + "\"deviation\":\(number(row.deviation, 6)),"
                + "\"linear_percent\":\(number(r.normalized(row.linearMetric), 4)),"
                + "\"exact_percent\":\(number(r.normalized(row.exactMetric), 4)),"
                + "\"linear_change_norm\":\(number(row.linearChangeNorm, 6)),"
                + "\"exact_change_norm\":\(number(row.exactChangeNorm, 6)),"
                + "\"change_error_norm\":\(number(row.changeErrorNorm, 6)),"
                + "\"relative_change_error\":\(number(row.relativeChangeError, 6))}"
        }
        return "{\"model\":\(quoted(model)),\"mode\":\"linear-direct-path\",\"source\":\"\(r.source)\","
            + "\"source_positions\":\(quoted(positions.0)),\"destination_positions\":\(quoted(positions.1)),"
            + "\"metric\":\"logit-diff\",\"prompts\":\(r.promptCount),"
            + "\"clean_metric\":\(number(r.cleanMetric, 6)),\"corrupted_metric\":\(number(r.corruptedMetric, 6)),"
            + "\"rows\":[" + rows.joined(separator: ",") + "]}"
    }

    static func csv(_ r: LinearPathPatchingReport) -> String {
        var lines = ["destination,input,linear,exact,deviation,linear_percent,exact_percent,linear_change_norm,"
            + "exact_change_norm,relative_change_error"]
        func cell(_ v: Double, _ d: Int) -> String { v.isFinite ? number(v, d) : "" }
        for row in r.rows {
            lines.append([
                row.destination.description, row.input.rawValue, cell(row.linearMetric, 6), cell(row.exactMetric, 6),
                cell(row.deviation, 6), cell(r.normalized(row.linearMetric), 4), cell(r.normalized(row.exactMetric), 4),
                cell(row.linearChangeNorm, 6), cell(row.exactChangeNorm, 6), cell(row.relativeChangeError, 6),
            ].joined(separator: ","))
        }
        return lines.joined(separator: "\n")
    }
}
