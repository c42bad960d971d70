/// RMSNorm's backward. With x̂ = x·rstd and g = γ ⊙ ∂L/∂y:
///
///     ∂L/∂x = rstd · (g − x̂ · mean(g ⊙ x̂))
///
/// per row (Zhang and Sennrich 2019): LayerNorm's formula without the centring term.
extension RMSNorm {
    /// The rstd of `rows` rows of `input` (starting at row `inputRow`) as `apply` computes it; `mean` is zero.
    public static func statistics(
        _ input: Tensor, inputRow: Int = 0, rows: Int, width: Int, epsilon: Float
    ) -> NormStatistics {
        precondition((inputRow + rows) * width <= input.count, "RMSNorm.statistics: rows out of range")
        var rstd = [Float](repeating: 0, count: rows)
        input.withUnsafeBufferPointer { x in
            guard let xb = x.baseAddress else { return }
            for r in 0..<rows {
                rstd[r] = rowInverseScale(xb, (inputRow + r) * width, width: width, epsilon: epsilon)
            }
        }
        return NormStatistics(mean: [Float](repeating: 0, count: rows), rstd: rstd)
    }

    /// Turns the output gradient in `gradient` (`rows` rows from element `offset`) into the input gradient in place,
    /// adding it to `sum` (from element `sumOffset`). See `LayerNorm.backward`.
    public static func backward(
        _ gradient: inout Tensor, offset: Int = 0, rows: Int, width: Int,
        input: Tensor, inputRow: Int = 0, statistics: NormStatistics, weight: Tensor,
        addingTo sum: inout Tensor, sumOffset: Int = 0
    ) {
        NormBackward.run(&gradient, offset: offset, rows: rows, width: width, input: input, inputRow: inputRow,
                         statistics: statistics, weight: weight, centred: false, sum: &sum, sumOffset: sumOffset)
    }

    /// `backward` without accumulating anywhere.
    public static func backward(
        _ gradient: inout Tensor, offset: Int = 0, rows: Int, width: Int,
        input: Tensor, inputRow: Int = 0, statistics: NormStatistics, weight: Tensor
    ) {
        var none = Tensor(shape: [0])
        NormBackward.run(&gradient, offset: offset, rows: rows, width: width, input: input, inputRow: inputRow,
                         statistics: statistics, weight: weight, centred: false, sum: &none, sumOffset: nil)
    }
}
