import Tensor
import Transformer

/// Every head's W_Q, W_K, W_V and W_O, taken from the block layer and prepared by a `WeightProcessing`.
///
/// Conventions follow TransformerLens (row vectors, weights `[in, out]`): a head reads `x · W_Q` etc. and writes
/// `z · W_O`, so its OV circuit is `W_V · W_O` and its QK circuit `W_Q · W_Kᵀ`, both `d_model × d_model` of rank at
/// most `d_head`, and both kept factored (`FactoredMatrix`). Heads are stored in layer-major order.
public struct HeadWeights: Sendable {
    public let shape: HeadShape
    /// The processing actually applied (`.none` for models without LayerNorm, whatever was asked).
    public let processing: WeightProcessing
    /// Per head, `[dModel, dHead]` each.
    private let queries: [Tensor]
    private let keys: [Tensor]
    private let values: [Tensor]
    /// Per head, `[dHead, dModel]`.
    private let outputs: [Tensor]

    public init(model: TransformerModel, processing requested: WeightProcessing) {
        let c = model.config
        let shape = HeadShape(nLayers: c.nLayers, nHeads: c.nHeads, dModel: c.dModel, dHead: c.dHead)
        let processing = requested.effective(normalization: c.normalization)
        self.shape = shape
        self.processing = processing
        var q: [Tensor] = [], k: [Tensor] = [], v: [Tensor] = [], o: [Tensor] = []
        for block in model.blocks {
            for h in 0..<c.nHeads {
                // Under grouped-query attention a query head's W_K and W_V are its key/value head's.
                var factors = HeadInput.allCases.map { block.headWeight($0, head: h) }
                for j in 0..<3 {
                    if processing.foldLayerNorm { Self.scaleRows(&factors[j], by: block.attentionNorm.weight) }
                    if processing.centerReadingWeights { Self.centerColumns(&factors[j]) }
                }
                q.append(factors[0])
                k.append(factors[1])
                v.append(factors[2])
                var out = block.headOutputWeight(head: h)
                if processing.centerWritingWeights { Self.centerRows(&out) }
                o.append(out)
            }
        }
        queries = q
        keys = k
        values = v
        outputs = o
    }

    /// W_Q of `head`: `[dModel, dHead]`.
    public func query(_ head: AttentionHead) -> Tensor { queries[index(head)] }
    /// W_K of `head`: `[dModel, dHead]`.
    public func key(_ head: AttentionHead) -> Tensor { keys[index(head)] }
    /// W_V of `head`: `[dModel, dHead]`.
    public func value(_ head: AttentionHead) -> Tensor { values[index(head)] }
    /// W_O of `head`: `[dHead, dModel]`.
    public func output(_ head: AttentionHead) -> Tensor { outputs[index(head)] }

    /// The OV circuit `W_V · W_O` (`[dModel, dModel]`, factored): what the head writes, as a function of what the
    /// attended-to position holds.
    public func ov(_ head: AttentionHead) -> FactoredMatrix {
        FactoredMatrix(left: value(head), right: output(head))
    }

    /// The QK circuit `W_Q · W_Kᵀ` (`[dModel, dModel]`, factored): the bilinear form from the query-side residual
    /// (rows) and the key-side residual (columns) to an attention score (before the `1/sqrt(d_head)` scale).
    public func qk(_ head: AttentionHead) -> FactoredMatrix {
        FactoredMatrix(left: query(head), right: FactoredMatrix.transpose(key(head)))
    }

    private func index(_ head: AttentionHead) -> Int {
        precondition(head.isValid(in: shape), "HeadWeights: no head \(head) in a model of \(shape)")
        return head.flatIndex(nHeads: shape.nHeads)
    }

    /// `m[r, :] *= scale[r]` for a `[rows, cols]` matrix and `[rows]` scale.
    private static func scaleRows(_ m: inout Tensor, by scale: Tensor) {
        let rows = m.shape[0], cols = m.shape[1]
        precondition(scale.count == rows, "HeadWeights: LayerNorm scale of \(scale.count) for \(rows) rows")
        for r in 0..<rows {
            let g = scale[flat: r]
            for i in 0..<cols { m[flat: r * cols + i] *= g }
        }
    }

    /// Subtracts each column's mean (over the rows).
    private static func centerColumns(_ m: inout Tensor) {
        let rows = m.shape[0], cols = m.shape[1]
        guard rows > 0 else { return }
        var means = [Double](repeating: 0, count: cols)
        for r in 0..<rows { for i in 0..<cols { means[i] += Double(m[flat: r * cols + i]) } }
        for r in 0..<rows { for i in 0..<cols { m[flat: r * cols + i] -= Float(means[i] / Double(rows)) } }
    }

    /// Subtracts each row's mean (over the columns).
    private static func centerRows(_ m: inout Tensor) {
        let rows = m.shape[0], cols = m.shape[1]
        guard cols > 0 else { return }
        for r in 0..<rows {
            var sum = 0.0
            for i in 0..<cols { sum += Double(m[flat: r * cols + i]) }
            let mean = Float(sum / Double(cols))
            for i in 0..<cols { m[flat: r * cols + i] -= mean }
        }
    }
}
