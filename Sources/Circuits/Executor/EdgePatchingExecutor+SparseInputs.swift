import Tensor
import Transformer

/// Receiver inputs for sparse tests, formed so that an input's value depends only on the circuit's edges into it
/// and the values of the senders it reads — never on what else a run recomputed — so that a test that recomputes a
/// few nodes gets, bit for bit, what a run from scratch would (`OrderedRowSums`).
///
/// For a receiver r reading the residual stream at a layer boundary, with A its ablated senders and P its present
/// ones, of which P* are affected (their live value differs from the clean run's):
///
///     direct:      input = clean_resid + Σ_{s ∈ A} (patch(s) − clean(s)) + Σ_{s ∈ P*} (live(s) − clean(s))
///     complement:  input = patched_resid + Σ_{s ∈ P} (live(s) − patch(s))
///
/// both equal to Σ_{s ∈ P} live(s) + Σ_{s ∈ A} patch(s) + biases, the freeze-and-repatch input of
/// `EdgePatchingExecutor`. The direct form costs |A| + 2·|P*| row additions, the complement |P|; the cheaper is
/// taken (ties: direct), a choice that depends on the circuit alone. Operands are added in sender order.
extension EdgePatchingExecutor {
    /// Indices of `OrderedRowSums` operands; sender rows follow at `SparseOperand.rows + row`.
    enum SparseOperand {
        static let cleanDelta = 0
        static let residPre = 1
        static let residMid = 2
        static let residPost = 3
        static let patched = 4
        static let rows = 5
    }

    /// The fixed operands, in `SparseOperand` order.
    var sparseOperands: [Tensor] { [cleanDelta, cleanResidPre, cleanResidMid, cleanResidPost, patchedResiduals] }

    /// Where a receiver reads the residual stream: the clean residual's operand and offset, and the row of
    /// `patchedResiduals`.
    func boundary(of receiver: NodeID) -> (operand: Int, offset: Int, patchedRow: Int) {
        let w = senderWidth
        switch graph[receiver].kind {
        case .headInput(let layer, _, _):
            return (SparseOperand.residPre, layer * w, layer)
        case .mlpIn(let layer):
            return model.config.parallelResidual
                ? (SparseOperand.residPre, layer * w, layer)
                : (SparseOperand.residMid, layer * w, graph.nLayers + layer)
        default:
            return (SparseOperand.residPost, 0, 2 * graph.nLayers)
        }
    }

    /// The row holding sender `s`'s live − patch in `test`: recomputed by it, or kept by the state; nil when `s`
    /// is clean.
    func valueRow(_ s: Int, test: SparseTest) -> Int? {
        test.senderRow[s] ?? sparse.senderRow[s]
    }

    /// The ordered sum forming `receiver`'s input in `test`'s circuit.
    func inputSum(_ receiver: NodeID, test: SparseTest) -> RowSum {
        let range = graph.incomingEdgeRange(of: receiver)
        let w = senderWidth
        var absent = 0, present = 0, affected = 0
        for e in range {
            let s = graph.edges[e].sender.rawValue
            if test.circuit.contains(EdgeID(e)) {
                present += 1
                if valueRow(s, test: test) != nil { affected += 1 }
            } else {
                absent += 1
            }
        }
        let b = boundary(of: receiver)
        var terms: [RowSumTerm] = []
        if absent + 2 * affected <= present {
            terms.reserveCapacity(absent + 2 * affected)
            for e in range {
                let s = graph.edges[e].sender.rawValue
                let clean = RowSumTerm(source: SparseOperand.cleanDelta, offset: s * w, negated: true)
                if !test.circuit.contains(EdgeID(e)) {
                    terms.append(clean)
                } else if let row = valueRow(s, test: test) {
                    terms.append(RowSumTerm(source: SparseOperand.rows + row, offset: 0))
                    terms.append(clean)
                }
            }
            return RowSum(base: RowSumTerm(source: b.operand, offset: b.offset), terms: terms)
        }
        terms.reserveCapacity(present)
        for e in range where test.circuit.contains(EdgeID(e)) {
            let s = graph.edges[e].sender.rawValue
            if let row = valueRow(s, test: test) {
                terms.append(RowSumTerm(source: SparseOperand.rows + row, offset: 0))
            } else {
                terms.append(RowSumTerm(source: SparseOperand.cleanDelta, offset: s * w))
            }
        }
        return RowSum(base: RowSumTerm(source: SparseOperand.patched, offset: b.patchedRow * w), terms: terms)
    }

    /// Evaluates `sums` (at most `maxSumsPerCall` of them) at token rows `rows` into `scratch.corrections`, sum i
    /// at `i · rows·dModel`.
    mutating func evaluateSums(_ sums: [RowSum], rows: [Int]?, test: inout SparseTest) {
        let d = model.config.dModel
        let n = rows?.count ?? batch.rows
        OrderedRowSums.evaluate(
            sums, sources: sparseOperands, more: senderRows.rows, rows: rows, rowCount: batch.rows, width: d,
            into: &scratch.corrections, outputStride: batch.rows * d)
        test.flops += Double(sums.reduce(0) { $0 + $1.terms.count } * n * d)
    }

    /// How many sums one call forms: the slots of the dense run's correction buffer.
    var maxSumsPerCall: Int { scratch.corrections.count / max(senderWidth, 1) }

    /// Forms, normalises and projects the head inputs `receivers` of `block`'s layer (not severed, heads alive)
    /// into new rows of `inputRows`. Inputs with the same sum share its evaluation and normalisation. In the last
    /// layer, queries are formed only at the read rows (see `lastLayerRows`).
    mutating func computeHeadInputs(_ block: TransformerBlock, _ receivers: [NodeID], test: inout SparseTest) {
        guard !receivers.isEmpty else { return }
        let compact = lastLayerRows(block.layer)
        var groups: [(rows: [Int]?, receivers: [NodeID])] = [(nil, [])]
        if let compact { groups.append((compact, [])) }
        for r in receivers {
            guard case .headInput(_, _, let input) = graph[r].kind else { continue }
            groups[input == .q && compact != nil ? 1 : 0].receivers.append(r)
        }
        for group in groups where !group.receivers.isEmpty {
            var sums: [RowSum] = []
            var slotOf: [RowSum: Int] = [:]
            var slots: [Int] = []
            for r in group.receivers {
                let sum = inputSum(r, test: test)
                if let slot = slotOf[sum] {
                    slots.append(slot)
                } else {
                    slotOf[sum] = sums.count
                    slots.append(sums.count)
                    sums.append(sum)
                }
            }
            var start = 0
            while start < sums.count {
                let end = min(sums.count, start + maxSumsPerCall)
                evaluateSums(Array(sums[start..<end]), rows: group.rows, test: &test)
                for slot in start..<end {
                    block.attentionNorm.apply(scratch.corrections, inputRow: (slot - start) * batch.rows,
                                              rows: group.rows?.count ?? batch.rows, into: &scratch.normed)
                    for (r, s) in zip(group.receivers, slots) where s == slot {
                        projectHeadInput(block, receiver: r, rows: group.rows, test: &test)
                    }
                }
                start = end
            }
        }
    }

    /// Projects `scratch.normed` into the q, k or v of `receiver` in a new row of `inputRows`; at selected rows,
    /// into those rows of it (the others are never read).
    private mutating func projectHeadInput(
        _ block: TransformerBlock, receiver: NodeID, rows: [Int]?, test: inout SparseTest
    ) {
        guard case .headInput(_, let head, let input) = graph[receiver].kind else { return }
        let dh = block.dHead, d = block.dModel
        let row = inputRows.take()
        let ordinal = graph.receiverOrdinal(receiver)
        if let rows {
            let n = rows.count
            block.projectHeadInput(input, head: head, scratch.normed, rows: n,
                                   positions: RowPositions(length: batch.length, rows: rows),
                                   into: &scratch.qkv, MatrixSlice(offset: 0, rows: n, cols: dh), log: &productLog)
            for (i, r) in rows.enumerated() {
                inputRows.rows[row].copy(from: scratch.qkv, range: (r * dh)..<((r + 1) * dh), otherOffset: i * dh)
            }
            test.flops += 2 * Double(n * d * dh)
        } else {
            let n = batch.rows
            block.projectHeadInput(input, head: head, scratch.normed, rows: n,
                                   positions: RowPositions(length: batch.length),
                                   into: &inputRows.rows[row], MatrixSlice(offset: 0, rows: n, cols: dh),
                                   log: &productLog)
            test.flops += 2 * Double(n * d * dh)
        }
        test.inputRow[ordinal] = row
        test.inputs.append(ordinal)
    }
}
