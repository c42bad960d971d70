import Tensor

extension ForwardInterventions {
    /// A replacement of one head's attention pattern (`attn.hook_pattern`).
    struct PatternReplacement: Sendable {
        /// `[batch, nHeads, length(query), length(key)]` (the recorded layout, head h's block is read) or
        /// `[batch, length, length]` (that head alone).
        var source: Tensor
        /// Head index inside `source` (0 for a single-head source) and its head count.
        var sourceHead: Int
        var sourceHeads: Int
        /// The query (destination) positions whose pattern rows are replaced.
        var positions: InterventionPositions
    }

    /// Replaces the attention pattern of `head` at the query positions `positions` (every query row when `.all`):
    /// the head's z at those rows becomes `pattern_row · v`, with v the head's values in this pass, and everything
    /// downstream follows. TransformerLens's `get_act_patch_attn_head_pattern_*` patch `hook_pattern` the same way.
    ///
    /// - Parameter pattern: `[batch, nHeads, length, length]` (as `LayerActivations.pattern`; the head's block is
    ///   read) or `[batch, length, length]`.
    public mutating func replacePattern(
        of head: AttentionHead, with pattern: Tensor, positions: InterventionPositions = .all
    ) {
        precondition((0..<nLayers).contains(head.layer) && (0..<nHeads).contains(head.head),
                     "ForwardInterventions: head \(head) outside \(nLayers) layers × \(nHeads) heads")
        precondition(pattern.rank == 4 || pattern.rank == 3,
                     "ForwardInterventions: pattern of shape \(pattern.shape); need [batch, nHeads, T, T] or [batch, T, T]")
        let heads = pattern.rank == 4 ? pattern.shape[1] : 1
        precondition(pattern.rank == 3 || heads == nHeads,
                     "ForwardInterventions: pattern with \(heads) heads for a model with \(nHeads)")
        patternReplacements[head.layer * nHeads + head.head] = PatternReplacement(
            source: pattern, sourceHead: pattern.rank == 4 ? head.head : 0, sourceHeads: heads, positions: positions)
        layerTouched[head.layer] = true
    }
}

extension InterventionPlan {
    /// Per `layer·nHeads + head`, the token rows whose pattern is replaced (all rows when every position is).
    static func resolvePatterns(_ iv: ForwardInterventions, batch: TokenBatch) throws -> [[Int]?] {
        var out: [[Int]?] = Array(repeating: nil, count: iv.patternReplacements.count)
        for (index, r) in iv.patternReplacements.enumerated() {
            guard let r else { continue }
            let expected = r.sourceHeads == 1 && r.source.rank == 3
                ? [batch.batch, batch.length, batch.length] : [batch.batch, iv.nHeads, batch.length, batch.length]
            guard r.source.shape == expected else {
                throw TransformerError.interventionShapeMismatch(
                    site: "blocks.\(index / iv.nHeads).attn.hook_pattern[head \(index % iv.nHeads)]",
                    expected: expected, found: r.source.shape)
            }
            out[index] = try r.positions.rows(batch: batch.batch, length: batch.length)
                ?? Array(0..<batch.rows)
        }
        return out
    }

    /// Whether `head` of `layer` has its pattern replaced.
    func replacesPattern(layer: Int, head: Int) -> Bool {
        patternRows[layer * nHeads + head] != nil
    }

    /// Writes the replaced pattern rows of `head` into `pattern` (`[batch, nHeads, T, T]`, already holding the
    /// head's computed pattern) and recomputes the head's z at those rows as `pattern_row · v`.
    ///
    /// - Parameters:
    ///   - qkv: `[rows, 3·nHeads·dHead]`, the layer's q, k, v laid out by `layout`.
    ///   - z: `[rows, nHeads·dHead]`.
    func applyPattern(
        layer: Int, head h: Int, length T: Int, layout: HeadInputLayout, qkv: Tensor, pattern: inout Tensor,
        z: inout Tensor
    ) {
        guard let rows = patternRows[layer * nHeads + h],
              let r = interventions.patternReplacements[layer * nHeads + h] else { return }
        let dh = interventions.dHead, dA = nHeads * dh
        for row in rows {
            let b = row / T, t = row % T
            let destination = ((b * nHeads + h) * T + t) * T
            let source = ((b * r.sourceHeads + r.sourceHead) * T + t) * T
            pattern.copy(from: r.source, range: destination..<(destination + T), otherOffset: source)
            BLAS.gemm(pattern, MatrixSlice(offset: destination, rows: 1, cols: T),
                      qkv, MatrixSlice(offset: b * T * layout.activationWidth + layout.activationColumn(.v, head: h),
                                       rows: T, cols: dh, rowStride: layout.activationWidth),
                      into: &z, MatrixSlice(offset: row * dA + h * dh, rows: 1, cols: dh))
        }
    }
}
