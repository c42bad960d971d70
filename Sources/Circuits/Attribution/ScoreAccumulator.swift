import Tensor
import Transformer

/// Turns receiver gradients into edge scores as the backward hands them out: for every receiver r of a layer and
/// every sender s feeding it, score(s → r) += ⟨Δ_s, g_r⟩ summed over token rows and the model dimension — EAP-IG's
/// `einsum('batch pos forward hidden, batch pos backward hidden -> forward backward')` — as BLAS products per
/// pair of layers, `Δ[senders below the upper layer] · G[the pair's receivers]ᵀ` and `Δ[the upper layer's heads] ·
/// g[its MLP input]`, so each Δ is read once per pair of layers; accumulated in Double per edge id.
struct ScoreAccumulator {
    let graph: CircuitGraph
    let dModel: Int
    /// Per edge id, the running score.
    var scores: [Double]
    /// `[senders, receivers of a layer]`: one layer's products.
    var products = Tensor(shape: [0])
    var log = MatrixProductLog()

    init(graph: CircuitGraph, dModel: Int) {
        self.graph = graph
        self.dModel = dModel
        self.scores = [Double](repeating: 0, count: graph.edgeCount)
    }

    /// Adds ⟨Δ_s, g_r⟩ for every edge into the receivers of `gradients`.
    ///
    /// - Parameter delta: `[senders, rows·dModel]`, Δ of every sender over the chunk's token rows.
    mutating func add(_ gradients: ReceiverGradients, delta: Tensor) {
        let senders = graph.senderCount
        let n = delta.count / senders
        switch gradients {
        case let .final(g, rows):
            // resid_post's gradient lives at the read rows only: Σ over those rows of Δ[s, row] · g[row].
            products.resize(to: [senders, 1])
            products.fill(0)
            for (i, row) in rows.enumerated() {
                log.gemm(delta, MatrixSlice(offset: row * dModel, rows: senders, cols: dModel, rowStride: n),
                         g, MatrixSlice(offset: i * dModel, rows: dModel, cols: 1),
                         into: &products, MatrixSlice(offset: 0, rows: senders, cols: 1), beta: 1)
            }
            scatter(receivers: [graph.residPost], width: 1)
        case let .layers(upper, count, g):
            let perLayer = 3 * graph.nHeads + (graph.hasMLP ? 1 : 0)
            let width = count * perLayer
            precondition(g.count == width * n, "ScoreAccumulator: \(g.count / n) receiver gradients for \(width) receivers")
            let lower = upper - count + 1
            var ids: [NodeID] = []
            for layer in stride(from: upper, through: lower, by: -1) {
                for h in 0..<graph.nHeads {
                    for input in HeadInput.allCases { ids.append(graph.headInputReceiver(layer: layer, head: h, input: input)) }
                }
                if let mlp = graph.mlpInputReceiver(layer: layer) { ids.append(mlp) }
            }
            // One wide product for the group: every sender below the upper layer against every receiver of the
            // group. Δ is read once for both layers, and the lower layer's senders reach the upper layer's
            // receivers in the same product. It also multiplies the lower layer's senders with that layer's own
            // receivers, which are not edges (except its heads into its MLP) and are not read: 13 × 37 products
            // more per pair on GPT-2 small, cheaper inside the wide product than as a thin one of their own
            // (measured: 39 GFLOP/s thin against about 100 wide).
            let upperBefore = graph.headSender(layer: upper, head: 0).rawValue
            products.resize(to: [upperBefore + graph.nHeads, width])
            // Outputs of a few thousand elements over millions of rows: the row dimension is what can be shared
            // between workers.
            BLAS.gemmSplittingInner(delta, MatrixSlice(offset: 0, rows: upperBefore, cols: n),
                                    g, MatrixSlice(offset: 0, rows: width, cols: n),
                                    into: &products, MatrixSlice(offset: 0, rows: upperBefore, cols: width))
            // The upper layer's heads feed its own MLP: a thin product.
            if graph.hasMLP {
                let heads = upperBefore
                let mlp = perLayer - 1
                BLAS.gemmSplittingInner(delta, MatrixSlice(offset: heads * n, rows: graph.nHeads, cols: n),
                                        g, MatrixSlice(offset: mlp * n, rows: 1, cols: n),
                                        into: &products, MatrixSlice(offset: heads * width + mlp, rows: graph.nHeads,
                                                                     cols: 1, rowStride: width))
            }
            scatter(receivers: ids, width: width)
        }
    }

    /// scores[s → receivers[q]] += products[s, q].
    private mutating func scatter(receivers: [NodeID], width: Int) {
        for (q, receiver) in receivers.enumerated() {
            for e in graph.incomingEdgeRange(of: receiver) {
                let s = graph.edges[e].sender.rawValue
                scores[e] += Double(products[flat: s * width + q])
            }
        }
    }
}
