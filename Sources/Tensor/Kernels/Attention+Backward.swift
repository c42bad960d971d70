import Foundation

/// The backward of `Attention.head` (llm.c's `attention_backward`, per head). The pattern is recomputed from q and
/// k as the forward computes it (flash-attention style; vectorised, so equal to rounding), so the forward keeps only
/// q, k and v, not the `[batch, heads, length, length]` patterns. With P the pattern of query i, s its (soft-capped) scores and dz_i
/// the gradient of z_i:
///
///     dP_j  = dz_i · v_j
///     dS_j  = P_j · (dP_j − Σ_l P_l dP_l)                  (softmax backward)
///     dS_j ← dS_j · (1 − (s_j / cap)²)                      (soft cap cap·tanh(u / cap), when present)
///     dq_i  = Σ_j dS_j k_j / scale,   dk_j += dS_j q_i / scale,   dv_j += P_j dz_i
///
/// Masked keys (causal, sliding window) have P_j = 0 and receive nothing.
extension Attention {
    /// Gradients of one head's q, k and v over a batch from the gradient of its z.
    ///
    /// - Parameters:
    ///   - q, k, v: the forward's operands (`[batch·length, *]` buffers, q and k after rotary).
    ///   - dz: `[batch·length, *]` at `dzOperand`: ∂L/∂z. Rows of queries outside `queryPositions` are not read.
    ///   - queryPositions: the queries whose z carries a gradient (all when nil); the others' dq rows are zeroed.
    ///   - gradient: receives dq, dk and dv at their operands; every row of the three is written (dk and dv rows
    ///     that no query reads become zero).
    public static func headBackward(
        q: Tensor, _ qOperand: Operand, k: Tensor, _ kOperand: Operand, v: Tensor, _ vOperand: Operand,
        dz: Tensor, _ dzOperand: Operand, batch: Int, length: Int, dHead: Int, causal: Bool, scale: Float,
        queryPositions: [Int]? = nil, window: Int? = nil, softcap: Float? = nil,
        into gradient: inout Tensor, dq dqOperand: Operand, dk dkOperand: Operand, dv dvOperand: Operand
    ) {
        var scores = [Float](repeating: 0, count: length)
        var p = [Float](repeating: 0, count: length)
        var dP = [Float](repeating: 0, count: length)
        let positions = queryPositions ?? Array(0..<length)
        q.withUnsafeBufferPointer { qp in
            k.withUnsafeBufferPointer { kp in
                v.withUnsafeBufferPointer { vp in
                    dz.withUnsafeBufferPointer { dzp in
                        gradient.withUnsafeMutableBufferPointer { gp in
                            for b in 0..<batch {
                                let row0 = b * length
                                for t in 0..<length {
                                    let dqi = dqOperand.offset + (row0 + t) * dqOperand.rowStride
                                    let dki = dkOperand.offset + (row0 + t) * dkOperand.rowStride
                                    let dvi = dvOperand.offset + (row0 + t) * dvOperand.rowStride
                                    for d in 0..<dHead {
                                        gp[dqi + d] = 0
                                        gp[dki + d] = 0
                                        gp[dvi + d] = 0
                                    }
                                }
                                for i in positions {
                                    let qi = qOperand.offset + (row0 + i) * qOperand.rowStride
                                    let zi = dzOperand.offset + (row0 + i) * dzOperand.rowStride
                                    let keys = causal ? i + 1 : length
                                    let firstKey = causal && window != nil ? Swift.max(0, i + 1 - window!) : 0
                                    // The forward's scores and softmax (the dot products summed four lanes at a
                                    // time: the pattern equals the forward's to rounding).
                                    var maxScore = -Float.infinity
                                    for j in firstKey..<keys {
                                        let kj = kOperand.offset + (row0 + j) * kOperand.rowStride
                                        let dot = Self.dot(qp, qi, kp, kj, count: dHead)
                                        var s = dot / scale
                                        if let cap = softcap { s = tanhf(s / cap) * cap }
                                        scores[j] = s
                                        if s > maxScore { maxScore = s }
                                    }
                                    var sum: Float = 0
                                    for j in firstKey..<keys {
                                        let e = expf(scores[j] - maxScore)
                                        p[j] = e
                                        sum += e
                                    }
                                    let norm = 1 / sum
                                    for j in firstKey..<keys { p[j] *= norm }
                                    // dP_j = dz_i · v_j, and dv_j += P_j dz_i.
                                    var weighted: Float = 0
                                    for j in firstKey..<keys {
                                        let vj = vOperand.offset + (row0 + j) * vOperand.rowStride
                                        let dvj = dvOperand.offset + (row0 + j) * dvOperand.rowStride
                                        let dot = dotAndAccumulate(dzp, zi, vp, vj, gp, dvj, scale: p[j], count: dHead)
                                        dP[j] = dot
                                        weighted += p[j] * dot
                                    }
                                    let dqi = dqOperand.offset + (row0 + i) * dqOperand.rowStride
                                    for j in firstKey..<keys {
                                        var ds = p[j] * (dP[j] - weighted)
                                        if let cap = softcap {
                                            let t = scores[j] / cap
                                            ds *= 1 - t * t
                                        }
                                        ds /= scale
                                        let kj = kOperand.offset + (row0 + j) * kOperand.rowStride
                                        let dkj = dkOperand.offset + (row0 + j) * dkOperand.rowStride
                                        accumulate(gp, dqi, ds, kp, kj, count: dHead)
                                        accumulate(gp, dkj, ds, qp, qi, count: dHead)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Returns Σ_d a[ai + d]·b[bi + d] and adds `scale`·a[ai + d] to out[oi + d], four lanes at a time.
    @inline(__always)
    private static func dotAndAccumulate(
        _ a: UnsafeBufferPointer<Float>, _ ai: Int, _ b: UnsafeBufferPointer<Float>, _ bi: Int,
        _ out: UnsafeMutableBufferPointer<Float>, _ oi: Int, scale: Float, count: Int
    ) -> Float {
        guard let pa = a.baseAddress, let pb = b.baseAddress, let po = out.baseAddress else { return 0 }
        var acc = FastMath.V()
        let vs = FastMath.V(repeating: scale)
        var d = 0
        while d + FastMath.width <= count {
            let x = FastMath.load(pa, ai + d)
            acc += x * FastMath.load(pb, bi + d)
            FastMath.store(FastMath.load(po, oi + d) + vs * x, po, oi + d)
            d += FastMath.width
        }
        var sum = acc.sum()
        while d < count {
            sum += pa[ai + d] * pb[bi + d]
            po[oi + d] += scale * pa[ai + d]
            d += 1
        }
        return sum
    }

    /// out[oi + d] += scale·x[xi + d], four lanes at a time.
    @inline(__always)
    private static func accumulate(
        _ out: UnsafeMutableBufferPointer<Float>, _ oi: Int, _ scale: Float, _ x: UnsafeBufferPointer<Float>, _ xi: Int,
        count: Int
    ) {
        guard let po = out.baseAddress, let px = x.baseAddress else { return }
        let vs = FastMath.V(repeating: scale)
        var d = 0
        while d + FastMath.width <= count {
            FastMath.store(FastMath.load(po, oi + d) + vs * FastMath.load(px, xi + d), po, oi + d)
            d += FastMath.width
        }
        while d < count {
            po[oi + d] += scale * px[xi + d]
            d += 1
        }
    }

    /// Σ_d a[ai + d]·b[bi + d], four lanes at a time.
    @inline(__always)
    private static func dot(
        _ a: UnsafeBufferPointer<Float>, _ ai: Int, _ b: UnsafeBufferPointer<Float>, _ bi: Int, count: Int
    ) -> Float {
        guard let pa = a.baseAddress, let pb = b.baseAddress else { return 0 }
        var acc = FastMath.V()
        var d = 0
        while d + FastMath.width <= count {
            acc += FastMath.load(pa, ai + d) * FastMath.load(pb, bi + d)
            d += FastMath.width
        }
        var sum = acc.sum()
        while d < count {
            sum += pa[ai + d] * pb[bi + d]
            d += 1
        }
        return sum
    }
}
