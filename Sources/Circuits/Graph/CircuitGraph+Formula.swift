import Transformer

/// The edge count of a graph as a formula of its shape, stated per architecture (README "Models"): with `E`
/// embedding senders, `H` heads per layer and `L` layers,
///
///     q, k, v of layer l:  E + (H+1)·l each        (attention-only: E + H·l)
///     MLP of layer l:      E + H·(l+1) + l         (parallel residual: E + (H+1)·l)
///     resid_post:          E + L·(H+1)             (attention-only: E + L·H)
///
/// Grouped-query attention does not change it: every query head has its own q, k and v receiver.
extension CircuitGraph {
    /// The formula as text, e.g. `q/k/v of layer l: 1+13·l each; MLP l: 1+12·(l+1)+l; resid_post: 1+12·13`.
    public var edgeFormula: String {
        let e = embedCount, h = nHeads
        guard hasMLP else {
            return "q/k/v of layer l: \(e)+\(h)·l each; resid_post: \(e)+\(nLayers)·\(h)"
        }
        let mlp = parallelResidual ? "\(e)+\(h + 1)·l (parallel residual: not its own layer's heads)"
            : "\(e)+\(h)·(l+1)+l"
        return "q/k/v of layer l: \(e)+\(h + 1)·l each; MLP l: \(mlp); resid_post: \(e)+\(nLayers)·\(h + 1)"
    }

    /// The number of edges the formula gives (equal to `edgeCount`; the tests check it for every architecture).
    public var formulaEdgeCount: Int {
        let e = embedCount, h = nHeads
        var n = 0
        for l in 0..<nLayers {
            n += 3 * h * (e + (hasMLP ? h + 1 : h) * l)
            if hasMLP { n += parallelResidual ? e + (h + 1) * l : e + h * (l + 1) + l }
        }
        return n + e + nLayers * (hasMLP ? h + 1 : h)
    }
}
