/// Per-row statistics of a normalisation's input, the part of its forward pass a backward needs (llm.c's
/// `layernorm_forward` keeps `mean` and `rstd` the same way). Computed with the forward kernel's own summation
/// order, so that the backward differentiates exactly the function the forward evaluated.
public struct NormStatistics: Sendable {
    /// `[rows]`: the row mean (LayerNorm; zeros for RMSNorm).
    public var mean: [Float]
    /// `[rows]`: 1 / sqrt(var + ε) (LayerNorm) or 1 / sqrt(mean(x²) + ε) (RMSNorm).
    public var rstd: [Float]

    public init(mean: [Float], rstd: [Float]) {
        self.mean = mean
        self.rstd = rstd
    }

    /// Rows covered.
    public var rows: Int { rstd.count }
}

/// LayerNorm's backward (llm.c `layernorm_backward` without the parameter gradients, which attribution does not
/// need). With x̂ = (x − μ)·rstd and g = γ ⊙ ∂L/∂y, the gradient of the input is
///
///     ∂L/∂x = rstd · (g − mean(g) − x̂ · mean(g ⊙ x̂))
///
/// per row (Ba et al. 2016; the mean and the variance both depend on every component of the row).
extension LayerNorm {
    /// The mean and rstd of `rows` rows of `input` (starting at row `inputRow`), as `apply` computes them.
    public static func statistics(
        _ input: Tensor, inputRow: Int = 0, rows: Int, width: Int, epsilon: Float
    ) -> NormStatistics {
        precondition((inputRow + rows) * width <= input.count, "LayerNorm.statistics: rows out of range")
        var mean = [Float](repeating: 0, count: rows)
        var rstd = [Float](repeating: 0, count: rows)
        input.withUnsafeBufferPointer { x in
            guard let xb = x.baseAddress else { return }
            for r in 0..<rows {
                (mean[r], rstd[r]) = rowStatistics(xb, (inputRow + r) * width, width: width, epsilon: epsilon)
            }
        }
        return NormStatistics(mean: mean, rstd: rstd)
    }

    /// Turns the output gradient held in `gradient` (`rows` rows of `width` starting at element `offset`) into the
    /// input gradient, in place, and adds the result to `sum` (same layout from element `sumOffset`) when given.
    ///
    /// - Parameters:
    ///   - input: the forward's input rows, `[.., width]`, from row `inputRow`; `statistics` their mean and rstd.
    ///   - weight: γ, `[width]`.
    public static func backward(
        _ gradient: inout Tensor, offset: Int = 0, rows: Int, width: Int,
        input: Tensor, inputRow: Int = 0, statistics: NormStatistics, weight: Tensor,
        addingTo sum: inout Tensor, sumOffset: Int = 0
    ) {
        NormBackward.run(&gradient, offset: offset, rows: rows, width: width, input: input, inputRow: inputRow,
                         statistics: statistics, weight: weight, centred: true, sum: &sum, sumOffset: sumOffset)
    }

    /// `backward` without accumulating anywhere.
    public static func backward(
        _ gradient: inout Tensor, offset: Int = 0, rows: Int, width: Int,
        input: Tensor, inputRow: Int = 0, statistics: NormStatistics, weight: Tensor
    ) {
        var none = Tensor(shape: [0])
        NormBackward.run(&gradient, offset: offset, rows: rows, width: width, input: input, inputRow: inputRow,
                         statistics: statistics, weight: weight, centred: true, sum: &none, sumOffset: nil)
    }
}

/// The shared loop of LayerNorm's and RMSNorm's backward: RMSNorm is the uncentred case (μ = 0, no mean(g) term).
enum NormBackward {
    static func run(
        _ gradient: inout Tensor, offset: Int, rows: Int, width: Int, input: Tensor, inputRow: Int,
        statistics: NormStatistics, weight: Tensor, centred: Bool, sum: inout Tensor, sumOffset: Int?
    ) {
        precondition(offset + rows * width <= gradient.count && (inputRow + rows) * width <= input.count
                     && statistics.rows >= rows && weight.count == width, "norm backward: sizes")
        if let sumOffset { precondition(sumOffset + rows * width <= sum.count, "norm backward: sum too small") }
        let mean = statistics.mean, rstd = statistics.rstd
        gradient.withUnsafeMutableBufferPointer { gp in
            input.withUnsafeBufferPointer { xp in
                weight.withUnsafeBufferPointer { wp in
                    sum.withUnsafeMutableBufferPointer { sp in
                        guard let g = gp.baseAddress, let x = xp.baseAddress, let w = wp.baseAddress else { return }
                        // Addresses travel to the workers as integers: rows write disjoint parts of g and sum.
                        let base = (g: Int(bitPattern: g), x: Int(bitPattern: x), w: Int(bitPattern: w),
                                    s: Int(bitPattern: sp.baseAddress))
                        let block: @Sendable (Range<Int>) -> Void = { range in
                            let s = UnsafeMutablePointer<Float>(bitPattern: base.s)
                            for r in range {
                                row(r, g: UnsafeMutablePointer<Float>(bitPattern: base.g)!, gi: offset + r * width,
                                    x: UnsafePointer<Float>(bitPattern: base.x)!, xi: (inputRow + r) * width,
                                    w: UnsafePointer<Float>(bitPattern: base.w)!, width: width,
                                    mean: centred ? mean[r] : 0, rstd: rstd[r], centred: centred,
                                    sum: sumOffset.flatMap { so in s.map { ($0, so + r * width) } })
                            }
                        }
                        // Each row is computed the same way whichever worker takes it: the bits do not depend on
                        // the split. Small inputs stay on the calling thread.
                        Workers.forEachPart(rows, work: rows * width, block)
                    }
                }
            }
        }
    }

    /// One row: dx = rstd·(γ·dy − mean(γ·dy) − x̂·mean(γ·dy·x̂)) in place of dy, added to `sum` when given.
    private static func row(
        _ r: Int, g: UnsafeMutablePointer<Float>, gi: Int, x: UnsafePointer<Float>, xi: Int, w: UnsafePointer<Float>,
        width: Int, mean: Float, rstd: Float, centred: Bool, sum: (UnsafeMutablePointer<Float>, Int)?
    ) {
        let n = Float(width)
        let vm = FastMath.V(repeating: mean), vr = FastMath.V(repeating: rstd)
        // Pass 1: Σ γ·dy and Σ γ·dy·x̂.
        var a1 = FastMath.V(), a2 = FastMath.V()
        var j = 0
        while j + FastMath.width <= width {
            let gw = FastMath.load(g, gi + j) * FastMath.load(w, j)
            let xh = (FastMath.load(x, xi + j) - vm) * vr
            a1 += gw
            a2 += gw * xh
            j += FastMath.width
        }
        var s1 = a1.sum(), s2 = a2.sum()
        while j < width {
            let gw = g[gi + j] * w[j]
            s1 += gw
            s2 += gw * (x[xi + j] - mean) * rstd
            j += 1
        }
        let m1 = centred ? s1 / n : 0, m2 = s2 / n
        let vm1 = FastMath.V(repeating: m1), vm2 = FastMath.V(repeating: m2)
        // Pass 2: dx = rstd·(γ·dy − m1 − x̂·m2).
        j = 0
        if let (s, si) = sum {
            while j + FastMath.width <= width {
                let gw = FastMath.load(g, gi + j) * FastMath.load(w, j)
                let xh = (FastMath.load(x, xi + j) - vm) * vr
                let dx = vr * (gw - vm1 - xh * vm2)
                FastMath.store(dx, g, gi + j)
                FastMath.store(FastMath.load(s, si + j) + dx, s, si + j)
                j += FastMath.width
            }
            while j < width {
                let dx = rstd * (g[gi + j] * w[j] - m1 - (x[xi + j] - mean) * rstd * m2)
                g[gi + j] = dx
                s[si + j] += dx
                j += 1
            }
        } else {
            while j + FastMath.width <= width {
                let gw = FastMath.load(g, gi + j) * FastMath.load(w, j)
                let xh = (FastMath.load(x, xi + j) - vm) * vr
                FastMath.store(vr * (gw - vm1 - xh * vm2), g, gi + j)
                j += FastMath.width
            }
            while j < width {
                g[gi + j] = rstd * (g[gi + j] * w[j] - m1 - (x[xi + j] - mean) * rstd * m2)
                j += 1
            }
        }
    }
}
