/// The mutable state of one ACDC run, convertible to and from `ACDCState` for checkpoints.
struct ACDCRun {
    var step = 0
    var edgeCursor = 0
    var circuit: Circuit
    var severed: Set<NodeID> = []
    var currentLoss: Double
    var currentValue: Double
    let fullLoss: Double
    let fullValue: Double
    var effects: [Double?]
    var wholeEffects: [NodeID: Double] = [:]
    var statistics = ACDCStatistics()

    /// A fresh run (evaluating the full model with `evaluateFull`) or one resumed from `resume`, which must have
    /// been saved by a run with the same graph, configuration and fingerprint `settings` (`ACDCState.check`).
    init(
        graph: CircuitGraph, configuration: ACDCConfiguration, settings: [ACDCState.Setting], resume: ACDCState?,
        evaluateFull: () throws -> (value: Double, loss: Double)
    ) throws {
        circuit = .full(graph)
        effects = Array(repeating: nil, count: graph.edgeCount)
        guard let state = resume else {
            let full = try evaluateFull()
            (fullValue, fullLoss) = full
            (currentValue, currentLoss) = full
            return
        }
        try state.check(against: graph, configuration: configuration, run: settings)
        step = state.step
        edgeCursor = state.edgeCursor
        for e in state.removedEdges { circuit.remove(EdgeID(e)) }
        severed = Set(state.severedInputs.map(NodeID.init))
        currentLoss = Double(bitPattern: state.currentLossBits)
        currentValue = Double(bitPattern: state.currentValueBits)
        fullLoss = Double(bitPattern: state.fullLossBits)
        fullValue = Double(bitPattern: state.fullValueBits)
        for (e, bits) in zip(state.effectEdges, state.effectBits) { effects[e] = Double(bitPattern: bits) }
        for (n, bits) in zip(state.wholeEffectInputs, state.wholeEffectBits) {
            wholeEffects[NodeID(n)] = Double(bitPattern: bits)
        }
        statistics = state.statistics
    }

    /// The metric change of a candidate removal, signed or absolute.
    func change(to loss: Double, configuration: ACDCConfiguration) -> Double {
        let d = loss - currentLoss
        return configuration.absoluteDifference ? abs(d) : d
    }

    mutating func accept(_ after: (value: Double, loss: Double)) {
        currentLoss = after.loss
        currentValue = after.value
    }

    /// Whether a head or MLP sender still has an edge in the circuit.
    func headIsUsed(_ sender: NodeID, graph: CircuitGraph) -> Bool {
        graph.outgoingEdges(of: sender).contains { circuit.contains($0) }
    }

    /// Whether a receiver still matters: `resid_post` always; a head input when it is not severed and its head's
    /// output survives; an MLP input when the MLP's output survives.
    func receiverIsUsed(_ receiver: NodeID, graph: CircuitGraph) -> Bool {
        switch graph[receiver].kind {
        case .residPost: return true
        case .headInput: return !severed.contains(receiver) && headIsUsed(graph.component(of: receiver), graph: graph)
        default: return headIsUsed(graph.component(of: receiver), graph: graph)
        }
    }

    func state(signature: String, configuration: ACDCConfiguration, settings: [ACDCState.Setting]) -> ACDCState {
        let tested = effects.indices.filter { effects[$0] != nil }
        let wholes = wholeEffects.keys.sorted()
        return ACDCState(
            configuration: configuration, run: settings, graphSignature: signature, step: step, edgeCursor: edgeCursor,
            removedEdges: circuit.complement.edges.map(\.rawValue), severedInputs: severed.map(\.rawValue).sorted(),
            currentLossBits: currentLoss.bitPattern, currentValueBits: currentValue.bitPattern,
            fullLossBits: fullLoss.bitPattern, fullValueBits: fullValue.bitPattern,
            effectEdges: tested, effectBits: tested.map { effects[$0]!.bitPattern },
            wholeEffectInputs: wholes.map(\.rawValue), wholeEffectBits: wholes.map { wholeEffects[$0]!.bitPattern },
            statistics: statistics)
    }
}
