import Circuits
import Foundation

/// The graph of the tiny GPT-2 the seed states were saved on (3 layers, 4 heads, MLPs).
let graph = CircuitGraph(nLayers: 3, nHeads: 4, hasMLP: true)

/// The ACDC state reader (`ACDCState.decode`) and its checks (`ACDCState.check`) on arbitrary bytes: a state
/// that passes or a `CircuitsError`, never a trap. The state's own configuration and run are checked against
/// themselves, so that the range and consistency checks are reached.
func fuzz(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let data = start.map { Data(bytes: $0, count: count) } ?? Data()
    guard let state = try? ACDCState.decode(data, file: "fuzz.state") else { return 0 }
    try? state.check(against: graph, configuration: state.configuration, run: state.run)
    var other = state.configuration
    other.threshold += 1
    try? state.check(against: graph, configuration: other, run: [])
    return 0
}
