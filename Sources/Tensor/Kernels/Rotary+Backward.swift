/// The rotary embedding's backward. The forward rotates each pair (x[i], x[i + dims/2]) by the angle p·θ_i, an
/// orthogonal map, so its transpose — the backward — rotates the gradient by −p·θ_i:
///
///     dx[i]          =  dy[i]·cos(p·θ_i) + dy[i + dims/2]·sin(p·θ_i)
///     dx[i + dims/2] =  dy[i + dims/2]·cos(p·θ_i) − dy[i]·sin(p·θ_i)
///
/// Components from `dims` on (GPT-NeoX's partial rotary) pass through unchanged.
extension Rotary {
    /// Rotates gradients back, in place, with the same addressing as `apply`.
    public static func applyInverse(
        _ t: inout Tensor, offset: Int, rowStride: Int, rows: Int, heads: Int, headStride: Int, dims: Int,
        cos: Tensor, sin: Tensor, positions: RowPositions
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
                                let ck = c[table + k], sk = s[table + k]
                                x[base + k] = a * ck + b * sk
                                x[base + k + half] = b * ck - a * sk
                            }
                        }
                    }
                }
            }
        }
    }
}
