import Transformer
/// A discovered (or hypothesised) circuit with everything a reader needs to reproduce and judge it, written as
/// deterministic JSON: the same run gives the same bytes.
///
/// Format (keys in this order; numbers with 10 significant digits, `null` where a value is unknown):
///
///     {
///       "format": "circuitry-circuit", "version": 1, "tool": "circuitry 0.1.0",
///       "model": "...", "task": "ioi",
///       "settings": {"threshold": 0.01, "metric": "kl", "ablation": "resample", ...},
///       "metric": {"name": "kl", "full": 0, "circuit": 0.0099, "empty": 1.2},
///       "statistics": {"edges_total": 32491, "edges_kept": 120, "nodes_kept": 30, "edge_tests": ..., ...},
///       "severed_inputs": ["a3.0.q"],
///       "nodes": ["embed", "a0.1", ...],
///       "edges": [{"sender": "a0.1", "receiver": "a7.3.k", "effect": 0.0123}, ...]
///     }
///
/// `edges` lists the kept edges in graph order (receivers topologically, then senders); `effect` is the metric
/// change measured when ACDC tried removing the edge. `circuitry verify --circuit` reads this file. A report with
/// measured effects ends with `tested_edges` and `whole_inputs` (see `testedEdgesJSON`), from which `evaluate`
/// ranks the edges (`EdgeRanking.acdc`).
public struct CircuitReport: Sendable {
    public var tool: String
    public var model: String
    public var task: String?
    /// Run settings as ordered key/value pairs (values already formatted as JSON).
    public var settings: [(String, JSONValue)]
    public var metricName: String
    public var fullMetric: Double?
    public var circuitMetric: Double?
    public var emptyMetric: Double?
    /// Extra counters, in order.
    public var statistics: [(String, JSONValue)]
    public var circuit: Circuit
    public var severedInputs: Set<NodeID>
    /// Per edge id, the measured effect (nil when untested).
    public var effects: [Double?]
    /// Per head input tried as a whole (ACDC's `hook_q_input → hook_q` edge), the measured effect. Written with
    /// `effects` as `tested_edges` and `whole_inputs` (see `testedEdgesJSON`).
    public var wholeInputEffects: [NodeID: Double] = [:]
    /// Per edge id, an attribution score (a circuit found from EAP or EAP-IG scores): each kept edge carries its
    /// `score`, and the report ends with every edge's score (`edge_scores`, see `edgeScoresJSON`).
    public var scores: [Double]?

    public init(
        tool: String, model: String, task: String?, settings: [(String, JSONValue)], metricName: String,
        fullMetric: Double?, circuitMetric: Double?, emptyMetric: Double?, statistics: [(String, JSONValue)],
        circuit: Circuit, severedInputs: Set<NodeID>, effects: [Double?]
    ) {
        self.tool = tool
        self.model = model
        self.task = task
        self.settings = settings
        self.metricName = metricName
        self.fullMetric = fullMetric
        self.circuitMetric = circuitMetric
        self.emptyMetric = emptyMetric
        self.statistics = statistics
        self.circuit = circuit
        self.severedInputs = severedInputs
        self.effects = effects
    }

    /// The report as JSON text (ends with a newline).
    public func json(graph: CircuitGraph) -> String {
        let view = circuit.nodeView(in: graph)
        let nodes = view.components(in: graph).map { graph[$0].name }
        var out = "{\n"
        out += "  \"format\": \"circuitry-circuit\",\n  \"version\": 1,\n"
        out += "  \"tool\": \(JSONValue.string(tool).text),\n"
        out += "  \"model\": \(JSONValue.string(model).text),\n"
        out += "  \"task\": \((task.map { JSONValue.string($0) } ?? .null).text),\n"
        out += "  \"settings\": \(JSONValue.object(settings).text),\n"
        out += "  \"metric\": \(JSONValue.object([("name", .string(metricName)), ("full", .number(fullMetric)), ("circuit", .number(circuitMetric)), ("empty", .number(emptyMetric))]).text),\n"
        let stats: [(String, JSONValue)] = [
            ("edges_total", .int(graph.edgeCount)), ("edges_kept", .int(circuit.count)),
            ("nodes_kept", .int(nodes.count)),
        ] + statistics
        out += "  \"statistics\": \(JSONValue.object(stats).text),\n"
        let severed = severedInputs.sorted().map { JSONValue.string(graph[$0].name).text }
        out += "  \"severed_inputs\": [\(severed.joined(separator: ", "))],\n"
        out += "  \"nodes\": [\(nodes.map { JSONValue.string($0).text }.joined(separator: ", "))],\n"
        out += "  \"edges\": ["
        let edges = circuit.edges
        for (i, edge) in edges.enumerated() {
            let e = graph[edge]
            var fields: [(String, JSONValue)] = [
                ("sender", .string(graph[e.sender].name)), ("receiver", .string(graph[e.receiver].name)),
                ("effect", .number(effects.indices.contains(edge.rawValue) ? effects[edge.rawValue] : nil)),
            ]
            if let scores { fields.append(("score", .number(scores[edge.rawValue]))) }
            out += (i == 0 ? "\n" : ",\n") + "    " + JSONValue.object(fields).text
        }
        out += edges.isEmpty ? "]" : "\n  ]"
        out += testedEdgesJSON(graph: graph)
        out += edgeScoresJSON(graph: graph)
        out += "\n}\n"
        return out
    }
}

/// A JSON value written with fixed formatting, so reports are byte-identical run to run.
public enum JSONValue: Sendable {
    case string(String)
    case int(Int)
    /// A number with 10 significant digits; nil, NaN and infinities become `null`.
    case number(Double?)
    case bool(Bool)
    case null
    case array([JSONValue])
    case object([(String, JSONValue)])

    public var text: String {
        switch self {
        case .string(let s): return JSONText.quoted(s)
        case .int(let i): return String(i)
        case .number(let d):
            guard let d, d.isFinite else { return "null" }
            return JSONValue.format(d)
        case .bool(let b): return b ? "true" : "false"
        case .null: return "null"
        case .array(let a): return "[" + a.map(\.text).joined(separator: ", ") + "]"
        case .object(let fields):
            return "{" + fields.map { JSONText.quoted($0.0) + ": " + $0.1.text }.joined(separator: ", ") + "}"
        }
    }

    /// `%.10g`, with a leading zero before the decimal point and no locale.
    public static func format(_ d: Double) -> String {
        if d == 0 { return "0" }
        var s = String(format: "%.10g", d)
        if s.hasPrefix(".") { s = "0" + s } else if s.hasPrefix("-.") { s = "-0" + s.dropFirst() }
        return s
    }

}

import Foundation
