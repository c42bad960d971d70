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
        let positions = queryPositions ?? Array(0..<length)
        q.withUnsafeBufferPointer { qp in
            k.withUnsafeBufferPointer { kp in
                v.withUnsafeBufferPointer { vp in
                    dz.withUnsafeBufferPointer { dzp in
                        gradient.withUnsafeMutableBufferPointer { gp in
                            // Addresses travel to the workers as integers: each prompt writes its own rows of dq,
                            // dk and dv, and every row is computed the same way whichever worker takes its prompt.
                            let buffers = (q: Int(bitPattern: qp.baseAddress), qn: qp.count,
                                           k: Int(bitPattern: kp.baseAddress), kn: kp.count,
                                           v: Int(bitPattern: vp.baseAddress), vn: vp.count,
                                           dz: Int(bitPattern: dzp.baseAddress), dzn: dzp.count,
                                           g: Int(bitPattern: gp.baseAddress), gn: gp.count)
                            let prompts: @Sendable (Range<Int>) -> Void = { range in
                                let operands = HeadBackwardOperands(
                                    q: UnsafeBufferPointer(start: UnsafePointer(bitPattern: buffers.q), count: buffers.qn),
                                    k: UnsafeBufferPointer(start: UnsafePointer(bitPattern: buffers.k), count: buffers.kn),
                                    v: UnsafeBufferPointer(start: UnsafePointer(bitPattern: buffers.v), count: buffers.vn),
                                    dz: UnsafeBufferPointer(start: UnsafePointer(bitPattern: buffers.dz), count: buffers.dzn),
                                    gradient: UnsafeMutableBufferPointer(
                                        start: UnsafeMutablePointer(bitPattern: buffers.g), count: buffers.gn),
                                    qOperand: qOperand, kOperand: kOperand, vOperand: vOperand, dzOperand: dzOperand,
                                    dqOperand: dqOperand, dkOperand: dkOperand, dvOperand: dvOperand)
                                var scratch = (scores: [Float](repeating: 0, count: length),
                                               p: [Float](repeating: 0, count: length),
                                               dP: [Float](repeating: 0, count: length))
                                for b in range {
                                    promptBackward(b, operands, positions: positions, length: length, dHead: dHead,
                                                   causal: causal, scale: scale, window: window, softcap: softcap,
                                                   scores: &scratch.scores, p: &scratch.p, dP: &scratch.dP)
                                }
                            }
                            // Prompts over the workers when there is enough work (a GPT-2-small layer's 100 prompts
                            // of 15 tokens is); small inputs stay on the calling thread.
                            let work = batch * positions.count * length * dHead
                            Workers.forEachPart(batch, work: work, prompts)
                        }
                    }
                }
            }
        }
    }

    /// The buffers and operands of one head's backward.
    private struct HeadBackwardOperands {
        let q, k, v, dz: UnsafeBufferPointer<Float>
        let gradient: UnsafeMutableBufferPointer<Float>
        let qOperand, kOperand, vOperand, dzOperand, dqOperand, dkOperand, dvOperand: Operand
    }

    /// `headBackward` for prompt `b`: its rows of dq, dk and dv.
    private static func promptBackward(
        _ b: Int, _ o: HeadBackwardOperands, positions: [Int], length: Int, dHead: Int, causal: Bool, scale: Float,
        window: Int?, softcap: Float?, scores: inout [Float], p: inout [Float], dP: inout [Float]
    ) {
        let qp = o.q, kp = o.k, vp = o.v, dzp = o.dz, gp = o.gradient
        let (qOperand, kOperand, vOperand, dzOperand) = (o.qOperand, o.kOperand, o.vOperand, o.dzOperand)
        let (dqOperand, dkOperand, dvOperand) = (o.dqOperand, o.dkOperand, o.dvOperand)
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
            // The forward's scores and softmax (the dot products summed four lanes at a time: the pattern equals
            // the forward's to rounding).
            let maxScore = scoreKeys(firstKey..<keys, scale: scale, softcap: softcap, into: &scores) { j in
                Self.dot(qp, qi, kp, kOperand.offset + (row0 + j) * kOperand.rowStride, count: dHead)
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
        return FastMath.dot(pa, ai, pb, bi, count: count)
    }
}
