import Circuits
import Foundation

/// Formatting of `evaluate`'s output; deterministic (the JSON uses `JSONValue`'s 10 significant digits).
enum EvaluateOutput {
    struct Result {
        var ranking: EdgeRanking
        var curve: FaithfulnessCurve
        var roc: RankingROC?
    }

    struct Context {
        var model: String
        var task: String?
        var prompts: Int
        var metric: String
        var ablation: String
        var graphEdges: Int
        var reference: String?
    }

    static func json(_ results: [Result], context c: Context) -> String {
        let rankings: [JSONValue] = results.map { r in
            let points: [JSONValue] = r.curve.points.map { p in
                .object([
                    ("budget", .number(p.budget)), ("requested_edges", .int(p.requestedEdges)),
                    ("kept_edges", .int(p.keptEdges)), ("nodes", .int(p.nodes)), ("metric", .number(p.metric)),
                    ("faithfulness", .number(p.faithfulness)),
                ])
            }
            var fields: [(String, JSONValue)] = [
                ("name", .string(r.ranking.name)), ("source", .string(r.ranking.source.rawValue)),
                ("absolute", .bool(r.curve.absolute)), ("cpr", .number(r.curve.cpr)), ("cmd", .number(r.curve.cmd)),
                ("average", .number(r.curve.average)), ("points", .array(points)),
            ]
            if let roc = r.roc { fields.append(("roc", rocJSON(roc))) }
            return .object(fields)
        }
        let first = results.first?.curve
        return JSONValue.object([
            ("model", .string(c.model)), ("task", c.task.map { .string($0) } ?? .null), ("prompts", .int(c.prompts)),
            ("metric", .string(c.metric)), ("ablation", .string(c.ablation)), ("graph_edges", .int(c.graphEdges)),
            ("full", .number(first?.fullMetric)), ("empty", .number(first?.emptyMetric)),
            ("reference", c.reference.map { .string($0) } ?? .null), ("rankings", .array(rankings)),
        ]).text + "\n"
    }

    static func table(_ results: [Result], context c: Context) -> String {
        let pad = CompareOutput.pad
        var lines: [String] = []
        if let first = results.first?.curve {
            lines.append("\(c.model); \(c.prompts) prompts; metric \(c.metric): full \(String(format: "%.6g", first.fullMetric)), "
                + "empty \(String(format: "%.6g", first.emptyMetric)); \(c.ablation) ablation; \(c.graphEdges) edges")
        }
        for r in results {
            lines.append("")
            lines.append("ranking \(r.ranking.name) (\(sourceName(r.ranking.source)), \(r.curve.absolute ? "by |score|" : "signed"))")
            lines.append(pad("budget", 8) + pad("edges", 7) + pad("kept", 6) + pad("nodes", 7) + pad("m(C)", 12)
                + pad("faithfulness", 14))
            for p in r.curve.points {
                lines.append(pad(FaithfulnessPlotSVG.budgetLabel(p.budget), 8) + pad("\(p.requestedEdges)", 7)
                    + pad("\(p.keptEdges)", 6) + pad("\(p.nodes)", 7) + pad(String(format: "%.6g", p.metric), 12)
                    + pad(String(format: "%.4f", p.faithfulness), 14))
            }
            lines.append(String(format: "CPR %.4f (higher is better)   CMD %.4f (lower is better)   average f %.4f",
                                r.curve.cpr, r.curve.cmd, r.curve.average))
            if let roc = r.roc { lines += rocLines(roc, reference: c.reference ?? "the reference") }
        }
        return lines.joined(separator: "\n")
    }

    /// A ranking's ROC as JSON: the reference's size, MIB's AUC, the AUC with corners, and the points.
    static func rocJSON(_ roc: RankingROC) -> JSONValue {
        let points: [JSONValue] = roc.points.map { p in
            .object([
                ("budget", .number(p.budget)), ("requested_edges", .int(p.requestedEdges)),
                ("kept_edges", .int(p.keptEdges)), ("tpr", .number(p.truePositiveRate)),
                ("fpr", .number(p.falsePositiveRate)), ("precision", .number(p.precision)),
            ])
        }
        return .object([
            ("reference_edges", .int(roc.referenceEdges)), ("auc", .number(roc.area)),
            ("corner_auc", .number(roc.cornerArea)), ("points", .array(points)),
        ])
    }

    /// A ranking's ROC as table lines.
    static func rocLines(_ roc: RankingROC, reference: String) -> [String] {
        let pad = CompareOutput.pad
        var lines = ["ROC against \(reference) (\(roc.referenceEdges) edges), greedy selection:"]
        lines.append(pad("budget", 8) + pad("edges", 7) + pad("kept", 6) + pad("TPR", 9) + pad("FPR", 11)
            + pad("precision", 11))
        for p in roc.points {
            lines.append(pad(FaithfulnessPlotSVG.budgetLabel(p.budget), 8) + pad("\(p.requestedEdges)", 7)
                + pad("\(p.keptEdges)", 6) + pad(CompareOutput.f(p.truePositiveRate), 9)
                + pad(String(format: "%.3e", p.falsePositiveRate), 11) + pad(CompareOutput.f(p.precision), 11))
        }
        lines.append("AUC \(CompareOutput.f(roc.area)) (MIB: points in budget order, no corners); "
            + "with (0,0) and (1,1) as compare --sweep: \(CompareOutput.f(roc.cornerArea))")
        return lines
    }

    static func sourceName(_ source: EdgeRanking.Source) -> String {
        switch source {
        case .eapigGraph: "EAP-IG graph scores"
        case .flatList: "score list"
        case .acdc: "ACDC leave thresholds"
        }
    }
}
