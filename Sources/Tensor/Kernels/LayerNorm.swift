/// LayerNorm as GPT-2 and PyTorch define it: per row, y = (x − mean) / sqrt(var + ε) · γ + β with the biased
/// variance. Rows are independent, so a patched input (one row set per receiver) normalises exactly, with no
/// linearisation.
public enum LayerNorm {
    /// Normalises `rows` rows of width `width` from `input` (starting at row `inputRow`) into `output` (starting at
    /// row `outputRow`). With empty `weight` (a model without layer norm) it copies the rows unchanged.
    ///
    /// - Parameters:
    ///   - input: `[.., width]` rows.
    ///   - weight, bias: `[width]` each, or empty.
    public static func apply(
        _ input: Tensor, inputRow: Int = 0, rows: Int, width: Int,
        weight: Tensor, bias: Tensor, epsilon: Float,
        into output: inout Tensor, outputRow: Int = 0
    ) {
        precondition((inputRow + rows) * width <= input.count && (outputRow + rows) * width <= output.count,
                     "LayerNorm: rows out of range")
        let normalise = weight.count > 0
        precondition(!normalise || (weight.count == width && bias.count == width), "LayerNorm: parameter width")
        input.withUnsafeBufferPointer { x in
            weight.withUnsafeBufferPointer { g in
                bias.withUnsafeBufferPointer { b in
                    output.withUnsafeMutableBufferPointer { y in
                        for r in 0..<rows {
                            let xi = (inputRow + r) * width
                            let yi = (outputRow + r) * width
                            if !normalise {
                                for j in 0..<width { y[yi + j] = x[xi + j] }
                                continue
                            }
                            guard let xb = x.baseAddress else { return }
                            let (mean, rstd) = rowStatistics(xb, xi, width: width, epsilon: epsilon)
                            for j in 0..<width { y[yi + j] = (x[xi + j] - mean) * rstd * g[j] + b[j] }
                        }
                    }
                }
            }
        }
    }

    /// The mean and 1 / sqrt(var + ε) of the row of `width` values at `x + start`: two passes (mean, then centred
    /// variance) as PyTorch does, for accuracy. `apply` and the backward's `statistics` both use it, so the backward
    /// differentiates exactly the function the forward evaluated.
    @inline(__always)
    static func rowStatistics(
        _ x: UnsafePointer<Float>, _ start: Int, width: Int, epsilon: Float
    ) -> (mean: Float, rstd: Float) {
        var acc = FastMath.V()
        var j = 0
        while j + FastMath.width <= width { acc += FastMath.load(x, start + j); j += FastMath.width }
        var sum = acc.sum()
        while j < width { sum += x[start + j]; j += 1 }
        let mean = sum / Float(width)
        var vacc = FastMath.V()
        j = 0
        while j + FastMath.width <= width {
            let d = FastMath.load(x, start + j) - mean
            vacc += d * d
            j += FastMath.width
        }
        var vsum = vacc.sum()
        while j < width { let d = x[start + j] - mean; vsum += d * d; j += 1 }
        return (mean, 1 / (vsum / Float(width) + epsilon).squareRoot())
    }
}
