import Tensor
import Transformer

/// Receiver gradients summed over the passes of an integration (EAP-IG's steps, EAP-IG-activations' groups): the
/// scores are sums of ⟨Δ, g_k⟩ over passes k with the same Δ, so ⟨Δ, Σ_k g_k⟩ gives them with one reduction per
/// chunk instead of one per pass — at the cost of keeping every layer's receiver gradients
/// (`layers · receivers · rows · dModel` floats; `EdgeAttribution` does so when the memory budget allows).
struct GradientSum {
    /// Per group of layers the backward hands out together (keyed by its upper layer), their receivers' gradients
    /// in the layout of `ReceiverGradients.layers`.
    var groups: [Int: (count: Int, gradients: Tensor)] = [:]
    /// `[readRows, dModel]` and its token rows.
    var final = Tensor(shape: [0])
    var finalRows: [Int] = []

    /// Floats held for a model with `rows` token rows and `reads` read rows.
    static func floatCount(config c: ModelConfig, rows: Int, reads: Int) -> Int {
        c.nLayers * (3 * c.nHeads + (c.hasMLP ? 1 : 0)) * rows * c.dModel + reads * c.dModel
    }

    mutating func add(_ gradients: ReceiverGradients) {
        switch gradients {
        case let .final(g, rows):
            if final.count != g.count {
                final = g
                finalRows = rows
            } else {
                precondition(rows == finalRows, "GradientSum: read rows changed between passes")
                final.add(g)
            }
        case let .layers(upper, count, g):
            if let group = groups[upper] {
                precondition(group.count == count && group.gradients.count == g.count,
                             "GradientSum: the layers changed between passes")
                groups[upper]!.gradients.add(g)
            } else {
                groups[upper] = (count, g)
            }
        }
    }

    /// Reduces the sums against Δ into the scores and empties itself.
    mutating func flush(into accumulator: inout ScoreAccumulator, delta: Tensor) {
        if final.count > 0 { accumulator.add(.final(final, rows: finalRows), delta: delta) }
        for upper in groups.keys.sorted(by: >) {
            let group = groups[upper]!
            accumulator.add(.layers(upper: upper, count: group.count, group.gradients), delta: delta)
        }
        self = GradientSum()
    }
}
