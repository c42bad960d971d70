import Circuits
import Foundation

/// Graphs of both kinds: one embedding node with MLPs (GPT-2-like), and separate embed / pos_embed (tracr).
let graphs = [
    CircuitGraph(nLayers: 3, nHeads: 4, hasMLP: true),
    CircuitGraph(nLayers: 2, nHeads: 1, hasMLP: false, separatePositionEmbedding: true),
]

/// The hypothesis reader (text, circuit JSON and DOT, detected by content; `Hypothesis.read(data:…)`) on arbitrary
/// bytes: a hypothesis or a `CircuitsError`, never a trap or a stack overflow.
func fuzz(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let data = start.map { Data(bytes: $0, count: count) } ?? Data()
    for graph in graphs {
        _ = try? Hypothesis.read(data: data, graph: graph, file: "fuzz")
        if let text = String(data: data, encoding: .utf8) {
            for format in HypothesisFormat.allCases {
                _ = try? Hypothesis.read(text, graph: graph, file: "fuzz", format: format)
            }
        }
    }
    return 0
}
