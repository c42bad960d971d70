/// Rotary position embeddings (Su et al. 2021, RoFormer) in Hugging Face's "rotate half" layout, the one Llama,
/// Qwen2, GPT-NeoX and Gemma checkpoints on the Hub are stored for: within the first `dims` components of a head,
/// component i pairs with i + dims/2 (not with i + 1 as in Meta's and llama2.c's interleaved layout, which the
/// Hugging Face conversion script turns into this one by permuting the rows of W_Q and W_K):
///
///     x'[i]          = x[i]·cos(p·θ_i) − x[i + dims/2]·sin(p·θ_i)
///     x'[i + dims/2] = x[i + dims/2]·cos(p·θ_i) + x[i]·sin(p·θ_i)          for i < dims/2
///
/// Components from `dims` on are left alone (GPT-NeoX's partial rotary). Hugging Face computes `q·cos +
/// rotate_half(q)·sin` in Float; the same products and sums are computed here in the same order.
public enum Rotary {
    /// Rotates, in every one of `rows` rows, `heads` head vectors: row i's head j starts at
    /// `offset + i·rowStride + j·headStride`.
    ///
    /// - Parameters:
    ///   - cos, sin: `[positions, dims/2]` tables; row p holds cos(p·θ_i), sin(p·θ_i).
    ///   - positions: the position of each row.
    public static func apply(
        _ t: inout Tensor, offset: Int, rowStride: Int, rows: Int, heads: Int, headStride: Int, dims: Int,
        cos: Tensor, sin: Tensor, positions: RowPositions
    ) {
        rotate(&t, offset: offset, rowStride: rowStride, rows: rows, heads: heads, headStride: headStride, dims: dims,
               cos: cos, sin: sin, sinSign: 1, positions: positions)
    }

    /// Rotates by p·θ_i (`sinSign` 1, the forward) or by −p·θ_i (−1, its transpose): the sign flips the sines
    /// exactly, so both directions share this loop and the forward keeps Hugging Face's products and order.
    static func rotate(
        _ t: inout Tensor, offset: Int, rowStride: Int, rows: Int, heads: Int, headStride: Int, dims: Int,
        cos: Tensor, sin: Tensor, sinSign: Float, positions: RowPositions
    ) {
        let half = dims / 2
        guard half > 0, rows > 0, heads > 0 else { return }
        precondition(offset + (rows - 1) * rowStride + (heads - 1) * headStride + dims <= t.count,
                     "Rotary: rows out of range")
        t.withUnsafeMutableBufferPointer { x in
            cos.withUnsafeBufferPointer { c in
                sin.withUnsafeBufferPointer { s in
                    for i in 0..<rows {
                        let table = positions.position(i) * half
                        precondition(table + half <= c.count, "Rotary: position beyond the table")
                        for j in 0..<heads {
                            let base = offset + i * rowStride + j * headStride
                            for k in 0..<half {
                                let a = x[base + k], b = x[base + k + half]
                                let ck = c[table + k], sk = sinSign * s[table + k]
                                x[base + k] = a * ck + (-b) * sk
                                x[base + k + half] = b * ck + a * sk
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The sequence position of each token row of a batch: row r of a `[batch·length]` layout is at position
/// `r mod length`; a compacted subset of rows names its original rows.
public struct RowPositions: Sendable, Equatable {
    /// Tokens per prompt.
    public let length: Int
    /// The original token row of each row, or nil when rows are the full batch in order.
    public let rows: [Int]?

    public init(length: Int, rows: [Int]? = nil) {
        self.length = length
        self.rows = rows
    }

    /// The position of row `i`.
    @inline(__always)
    public func position(_ i: Int) -> Int { (rows?[i] ?? i) % length }
}
