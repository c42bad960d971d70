import Transformer

/// The order in which ACDC visits the graph, flattened into steps.
///
/// ACDC (`TLACDCExperiment.step`, nodes in reverse TransformerLens hook order, see `CircuitGraph+ACDCOrder`) visits
/// `resid_post`, then per layer from last to first: the MLP input, then every head's `hook_v`, `hook_k`, `hook_q`
/// (whose single parent edge is the head input as a whole), then every head's v, k and q inputs with their
/// residual edges. Heads within each group go from `nHeads-1` down to 0.
enum ACDCStep: Equatable, Sendable {
    /// Try removing each incoming edge of a receiver.
    case receiver(NodeID)
    /// Try severing a head input as a whole.
    case wholeInput(NodeID)
}

extension CircuitGraph {
    /// The step sequence ACDC follows; `testWholeInputs` false leaves out the whole-input steps.
    func acdcSchedule(testWholeInputs: Bool) -> [ACDCStep] {
        var steps: [ACDCStep] = [.receiver(residPost)]
        for layer in stride(from: nLayers - 1, through: 0, by: -1) {
            if let mlpIn = mlpInputReceiver(layer: layer) { steps.append(.receiver(mlpIn)) }
            let inputs: [NodeID] = [HeadInput.v, .k, .q].flatMap { input in
                stride(from: nHeads - 1, through: 0, by: -1).map { headInputReceiver(layer: layer, head: $0, input: input) }
            }
            if testWholeInputs { steps += inputs.map { .wholeInput($0) } }
            steps += inputs.map { .receiver($0) }
        }
        return steps
    }
}

extension CircuitGraph {
    /// ACDC's schedule as (node, whether the step tests the head input as a whole), for progress displays.
    public func acdcScheduleNodes(testWholeInputs: Bool) -> [(node: NodeID, whole: Bool)] {
        acdcSchedule(testWholeInputs: testWholeInputs).map { step in
            switch step {
            case .receiver(let node): (node, false)
            case .wholeInput(let node): (node, true)
            }
        }
    }
}
