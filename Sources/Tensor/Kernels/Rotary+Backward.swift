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
        rotate(&t, offset: offset, rowStride: rowStride, rows: rows, heads: heads, headStride: headStride, dims: dims,
               cos: cos, sin: sin, sinSign: -1, positions: positions)
    }
}
