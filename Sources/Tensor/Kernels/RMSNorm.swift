/// RMSNorm as Llama, Qwen2 and Gemma define it (Zhang and Sennrich 2019; Hugging Face `LlamaRMSNorm`): per row,
/// y = x / sqrt(mean(x²) + ε) · γ. No centring and no shift, so unlike LayerNorm it keeps the mean direction.
/// Gemma's `(1 + w)` scale is folded into γ when the weights are loaded, so one kernel serves every family.
public enum RMSNorm {
    /// Normalises `rows` rows of width `width` from `input` (starting at row `inputRow`) into `output` (starting at
    /// row `outputRow`).
    ///
    /// - Parameters:
    ///   - input: `[.., width]` rows.
    ///   - weight: `[width]`, the scale γ.
    public static func apply(
        _ input: Tensor, inputRow: Int = 0, rows: Int, width: Int, weight: Tensor, epsilon: Float,
        into output: inout Tensor, outputRow: Int = 0
    ) {
        precondition((inputRow + rows) * width <= input.count && (outputRow + rows) * width <= output.count,
                     "RMSNorm: rows out of range")
        precondition(weight.count == width, "RMSNorm: parameter width")
        input.withUnsafeBufferPointer { x in
            weight.withUnsafeBufferPointer { g in
                output.withUnsafeMutableBufferPointer { y in
                    guard let xb = x.baseAddress else { return }
                    for r in 0..<rows {
                        let xi = (inputRow + r) * width
                        let yi = (outputRow + r) * width
                        let rstd = rowInverseScale(xb, xi, width: width, epsilon: epsilon)
                        // Hugging Face multiplies x by rsqrt first and by γ second; the same order here.
                        for j in 0..<width { y[yi + j] = g[j] * (x[xi + j] * rstd) }
                    }
                }
            }
        }
    }

    /// `1 / sqrt(mean(x²) + ε)` of the row of `width` values at `x + start`. `apply` and the backward's
    /// `statistics` both use it, so the backward differentiates exactly the function the forward evaluated.
    @inline(__always)
    static func rowInverseScale(_ x: UnsafePointer<Float>, _ start: Int, width: Int, epsilon: Float) -> Float {
        var acc = FastMath.V()
        var j = 0
        while j + FastMath.width <= width {
            let v = FastMath.load(x, start + j)
            acc += v * v
            j += FastMath.width
        }
        var sum = acc.sum()
        while j < width { sum += x[start + j] * x[start + j]; j += 1 }
        return 1 / (sum / Float(width) + epsilon).squareRoot()
    }
}
