/// One operand of an ordered row sum: the window of source `source` whose token row 0 starts at element `offset`
/// (token row t at `offset + t·width`), added, or subtracted when `negated`.
public struct RowSumTerm: Sendable, Hashable {
    /// Index into the concatenation of the sources handed to `OrderedRowSums.evaluate`.
    public var source: Int
    public var offset: Int
    public var negated: Bool

    public init(source: Int, offset: Int, negated: Bool = false) {
        self.source = source
        self.offset = offset
        self.negated = negated
    }
}

/// A sum `base ± term₁ ± term₂ ± …` over token rows.
public struct RowSum: Sendable, Hashable {
    /// Copied first (its `negated` is ignored).
    public var base: RowSumTerm
    public var terms: [RowSumTerm]

    public init(base: RowSumTerm, terms: [RowSumTerm]) {
        self.base = base
        self.terms = terms
    }
}

/// Sums of whole rows of stored activations, each evaluated element by element strictly left to right in Float:
/// `((base ± t₁) ± t₂) ± …`. Every element of a sum goes through exactly these additions whatever else is computed
/// alongside (how many sums share a call, how the work is cut into chunks, which rows are selected), so a sum's
/// result is a function of its operands alone. The sparse edge tests of the executor rely on this: an input that a
/// test recomputes comes out bit for bit as it would in a run from scratch.
///
/// Several sums in one call share their operands' reads: the work goes chunk by chunk over the columns, and within a
/// chunk sum by sum, so an operand row that many sums add is read from memory once per chunk.
public enum OrderedRowSums {
    /// Elements per chunk: small enough that a chunk of every operand of a layer's sums stays in L2.
    static let chunk = 1024

    /// Evaluates `sums` at token rows `rows` (every row `0 ..< rowCount` when nil; a row may repeat).
    ///
    /// - Parameters:
    ///   - sources, more: the operands, indexed by `RowSumTerm.source` over `sources` followed by `more` (two
    ///     lists so that a caller can pass a stored array of rows without building a new one).
    ///   - width: elements per token row.
    ///   - out: sum i goes to `out[i·outputStride ..< i·outputStride + n·width]`, its k-th row being token row
    ///     `rows[k]` (`n` rows selected).
    public static func evaluate(
        _ sums: [RowSum], sources: [Tensor], more: [Tensor] = [], rows: [Int]?, rowCount: Int, width: Int,
        into out: inout Tensor, outputStride: Int
    ) {
        guard !sums.isEmpty else { return }
        let n = rows?.count ?? rowCount
        precondition(outputStride >= n * width && out.count >= (sums.count - 1) * outputStride + n * width,
                     "OrderedRowSums: output too small")
        let used = Set(sums.flatMap { [$0.base.source] + $0.terms.map(\.source) }).sorted()
        let all = sources.count + more.count
        let lastRow = rows?.max() ?? (rowCount - 1)
        for sum in sums {
            for term in [sum.base] + sum.terms {
                precondition(term.source >= 0 && term.source < all, "OrderedRowSums: source \(term.source) of \(all)")
                let t = term.source < sources.count ? sources[term.source] : more[term.source - sources.count]
                precondition(term.offset >= 0 && term.offset + (lastRow + 1) * width <= t.count,
                             "OrderedRowSums: operand window out of range")
            }
        }
        let tensors = used.map { $0 < sources.count ? sources[$0] : more[$0 - sources.count] }
        var slot = [Int](repeating: -1, count: all)
        for (i, s) in used.enumerated() { slot[s] = i }
        withBasePointers(tensors[...], []) { bases in
            out.withUnsafeMutableBufferPointer { o in
                guard let outBase = o.baseAddress else { return }
                func run(source: Int, target: Int, length: Int) {
                    for (i, sum) in sums.enumerated() {
                        let y = outBase + i * outputStride + target
                        let b = bases[slot[sum.base.source]] + sum.base.offset + source
                        y.update(from: b, count: length)
                        for term in sum.terms {
                            let x = bases[slot[term.source]] + term.offset + source
                            if term.negated {
                                for j in 0..<length { y[j] -= x[j] }
                            } else {
                                for j in 0..<length { y[j] += x[j] }
                            }
                        }
                    }
                }
                if let rows {
                    for (k, row) in rows.enumerated() {
                        var c = 0
                        while c < width {
                            let length = Swift.min(chunk, width - c)
                            run(source: row * width + c, target: k * width + c, length: length)
                            c += length
                        }
                    }
                } else {
                    let total = rowCount * width
                    var c = 0
                    while c < total {
                        let length = Swift.min(chunk, total - c)
                        run(source: c, target: c, length: length)
                        c += length
                    }
                }
            }
        }
    }

    /// Calls `body` with the base address of every tensor, each kept alive and unmoved for the call.
    private static func withBasePointers<R>(
        _ tensors: ArraySlice<Tensor>, _ collected: [UnsafePointer<Float>], _ body: ([UnsafePointer<Float>]) -> R
    ) -> R {
        guard let first = tensors.first else { return body(collected) }
        return first.withUnsafeBufferPointer { p in
            // An empty tensor has no storage; no window of it passes the bounds checks above, so any address does.
            let address = p.baseAddress ?? UnsafePointer(bitPattern: MemoryLayout<Float>.alignment)!
            return withBasePointers(tensors.dropFirst(), collected + [address], body)
        }
    }
}
