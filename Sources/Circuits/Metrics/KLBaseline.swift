import Foundation
import Tensor

/// The full model's side of KL(full ‖ patched), precomputed once so that scoring a patched run costs one pass of
/// `exp` over its logits and no allocation — ACDC scores every edge test with it, over the whole vocabulary.
///
/// With lp = x_p − lse_p and lq = x_q − lse_q (log-softmax of the full and patched logits x_p, x_q):
///
///     KL = Σ_v p_v (lp_v − lq_v) = Σ_v p_v x_p,v − Σ_v p_v x_q,v + (lse_q − lse_p) · Σ_v p_v
///
/// so only Σ_v p_v x_q,v and lse_q depend on the patched run. Terms with p_v = 0 (underflow) contribute nothing, as
/// in `MetricFunctions.klDivergence`, which this equals up to rounding in Double.
struct KLBaseline: Sendable {
    let prompts: Int
    let reads: Int
    /// The vocabulary entries compared (`outputDims`, or every entry).
    let dims: [Int]?
    let width: Int
    /// `[prompts·reads, width]`: p_v of the full model.
    let probabilities: [Double]
    /// Per row: Σ p_v x_p,v, lse_p, Σ p_v.
    let pDotFull: [Double]
    let lseFull: [Double]
    let pSum: [Double]

    init(full: Tensor, outputDims: [Int]?) {
        let (n, r, v) = MetricFunctions.rows(full)
        prompts = n
        reads = r
        dims = outputDims
        width = outputDims?.count ?? v
        var probabilities = [Double](repeating: 0, count: n * r * width)
        var pDot = [Double](repeating: 0, count: n * r), lse = pDot, sums = pDot
        for row in 0..<(n * r) {
            let x = MetricFunctions.row(full, row / r, row % r)
            // The same kernels as `divergence` uses, so that scoring the full model itself gives exactly 0.
            let l = outputDims == nil
                ? Reductions.logSumExp(full, offset: row * v, count: v) : KLBaseline.logSumExp(x, dims: outputDims)
            var dot = 0.0, total = 0.0
            for k in 0..<width {
                let value = Double(x[x.startIndex + (outputDims?[k] ?? k)])
                let p = exp(value - l)
                probabilities[row * width + k] = p
                dot += p * value
                total += p
            }
            if outputDims == nil {
                dot = Reductions.dot(probabilities, weightOffset: row * width, full, offset: row * v, count: v)
            }
            pDot[row] = dot
            lse[row] = l
            sums[row] = total
        }
        self.probabilities = probabilities
        self.pDotFull = pDot
        self.lseFull = lse
        self.pSum = sums
    }

    /// log Σ exp(x), stably, in Double.
    static func logSumExp(_ x: ArraySlice<Float>, dims: [Int]?) -> Double {
        let base = x.startIndex
        let count = dims?.count ?? x.count
        var m = -Double.infinity
        for k in 0..<count { m = max(m, Double(x[base + (dims?[k] ?? k)])) }
        var sum = 0.0
        for k in 0..<count { sum += exp(Double(x[base + (dims?[k] ?? k)]) - m) }
        return m + log(sum)
    }

    /// KL(full ‖ patched) per prompt (mean over read positions) for `patched` rows of `prompts` (indices into the
    /// full model's prompts). - Parameter patched: `[prompts.count, reads, vocab]`.
    func divergence(_ patched: Tensor, prompts selected: [Int]) -> [Double] {
        selected.enumerated().map { i, prompt in
            var total = 0.0
            for j in 0..<reads {
                let row = prompt * reads + j
                let x = MetricFunctions.row(patched, i, j)
                var dot = 0.0
                let base = x.startIndex
                let offset = row * width
                let lse: Double
                if let dims {
                    for k in 0..<width { dot += probabilities[offset + k] * Double(x[base + dims[k]]) }
                    lse = KLBaseline.logSumExp(x, dims: dims)
                } else {
                    // The whole vocabulary: vectorised Double kernels.
                    let start = (i * reads + j) * width
                    dot = Reductions.dot(probabilities, weightOffset: offset, patched, offset: start, count: width)
                    lse = Reductions.logSumExp(patched, offset: start, count: width)
                }
                // KL ≥ 0; the rearranged sum can land a rounding error below it for identical distributions. NaN
                // (non-finite patched logits) must pass through to the caller's check, not be clamped to 0.
                let kl = pDotFull[row] - dot + (lse - lseFull[row]) * pSum[row]
                total += kl.isNaN ? kl : max(0, kl)
            }
            return reads == 0 ? 0 : total / Double(reads)
        }
    }
}
