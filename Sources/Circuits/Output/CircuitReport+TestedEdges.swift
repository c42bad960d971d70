import Transformer

/// The measurements behind an ACDC report, so that the run can be used as an edge ranking (`EdgeRanking.acdc`):
///
///       "tested_edges": [
///         {"sender": "a1.0", "receiver": "resid_post", "effect": 0.08118562400341034},
///         …
///       ],
///       "whole_inputs": [
///         {"input": "a3.0.q", "effect": -0.0001},
///         …
///       ]
///
/// `tested_edges` lists every edge whose removal ACDC tried (kept or removed), in graph order; `whole_inputs` every
/// head input tried as a whole, in graph order. Effects are written exactly (the shortest decimal that reads back
/// to the same double), unlike the 10 significant digits elsewhere in the report, so that a ranking read back puts
/// every edge on the same side of the run's threshold as the run did. Both keys are additive: readers of the
/// circuit (`verify`, `compare`) ignore them. Nothing is written when nothing was measured.
extension CircuitReport {
    func testedEdgesJSON(graph: CircuitGraph) -> String {
        let tested = effects.indices.filter { effects[$0] != nil }
        guard !tested.isEmpty || !wholeInputEffects.isEmpty else { return "" }
        func number(_ value: Double) -> String { value.isFinite ? PythonFloat.repr(value) : "null" }
        var out = ",\n  \"tested_edges\": ["
        for (i, raw) in tested.enumerated() {
            let e = graph.edges[raw]
            out += (i == 0 ? "\n" : ",\n") + "    {\"sender\": " + JSONValue.string(graph[e.sender].name).text
            out += ", \"receiver\": " + JSONValue.string(graph[e.receiver].name).text
            out += ", \"effect\": " + number(effects[raw] ?? .nan) + "}"
        }
        out += tested.isEmpty ? "]" : "\n  ]"
        let wholes = wholeInputEffects.keys.sorted()
        out += ",\n  \"whole_inputs\": ["
        for (i, input) in wholes.enumerated() {
            out += (i == 0 ? "\n" : ",\n") + "    {\"input\": " + JSONValue.string(graph[input].name).text
            out += ", \"effect\": " + number(wholeInputEffects[input] ?? .nan) + "}"
        }
        out += wholes.isEmpty ? "]" : "\n  ]"
        return out
    }
}
