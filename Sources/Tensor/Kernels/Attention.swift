import Foundation

/// Scaled dot-product attention for one head over a batch of equal-length sequences, as GPT-2 computes it:
/// scores = q·kᵀ / scale, masked (causal models: a query sees keys at positions ≤ its own), softmax over keys in
/// Float, z = pattern · v. Two options serve Gemma 2: a sliding window (a query at i sees keys j with
/// i − j < window, Hugging Face's `sliding_window_overlay`) and soft-capped scores (cap·tanh(score / cap), applied
/// after the scale and before the mask, as `Gemma2Attention` does).
///
/// Queries, keys and values are read from row-major buffers where row `b·length + t` holds token t of prompt b
/// and the head's `dHead` components start at a column offset. This serves both the fused QKV buffer of the plain
/// forward pass (offsets h·dHead, dAttention + h·dHead, 2·dAttention + h·dHead, stride 3·dAttention) and the
/// per-head buffers of the edge-patching executor.
public enum Attention {
    /// Where one head's vectors sit in a buffer.
    public struct Operand: Sendable {
        public var offset: Int
        public var rowStride: Int
        public init(offset: Int, rowStride: Int) {
            self.offset = offset
            self.rowStride = rowStride
        }
    }

    /// Computes one head for every prompt of the batch.
    ///
    /// - Parameters:
    ///   - q, k, v: buffers `[batch·length, *]` with the head's vectors at the operands' offsets.
    ///   - queryPositions: the query positions to compute (all when nil); keys and values always cover every position.
    ///   - window: with a causal mask, how many positions up to and including its own a query sees (nil: all).
    ///   - softcap: the scores' soft cap (nil: none).
    ///   - pattern: when `patternOffset` is given, receives the pattern: prompt b's row for query i starts at
    ///     `patternOffset + b·patternBatchStride + i·length` (for TransformerLens's `[batch, head, query, key]`
    ///     layout: offset h·length², batch stride heads·length²). Only computed queries' rows are written.
    ///   - z: receives z `[batch·length, *]` at `zOperand` (rows of uncomputed queries are left untouched).
    public static func head(
        q: Tensor, _ qOperand: Operand, k: Tensor, _ kOperand: Operand, v: Tensor, _ vOperand: Operand,
        batch: Int, length: Int, dHead: Int, causal: Bool, scale: Float,
        queryPositions: [Int]? = nil, window: Int? = nil, softcap: Float? = nil,
        pattern: inout Tensor, patternOffset: Int?, patternBatchStride: Int = 0,
        z: inout Tensor, _ zOperand: Operand
    ) {
        var scores = [Float](repeating: 0, count: length)
        let positions = queryPositions ?? Array(0..<length)
        q.withUnsafeBufferPointer { qp in
            k.withUnsafeBufferPointer { kp in
                v.withUnsafeBufferPointer { vp in
                    z.withUnsafeMutableBufferPointer { zp in
                        pattern.withUnsafeMutableBufferPointer { pp in
                            for b in 0..<batch {
                                let row0 = b * length
                                for i in positions {
                                    let qi = qOperand.offset + (row0 + i) * qOperand.rowStride
                                    let keys = causal ? i + 1 : length
                                    let firstKey = causal && window != nil ? Swift.max(0, i + 1 - window!) : 0
                                    let maxScore = scoreKeys(firstKey..<keys, scale: scale, softcap: softcap,
                                                             into: &scores) { j in
                                        let kj = kOperand.offset + (row0 + j) * kOperand.rowStride
                                        var dot: Float = 0
                                        for d in 0..<dHead { dot += qp[qi + d] * kp[kj + d] }
                                        return dot
                                    }
                                    var sum: Float = 0
                                    for j in 0..<firstKey { scores[j] = 0 }
                                    for j in firstKey..<keys {
                                        let e = expf(scores[j] - maxScore)
                                        scores[j] = e
                                        sum += e
                                    }
                                    let norm = 1 / sum
                                    let zi = zOperand.offset + (row0 + i) * zOperand.rowStride
                                    for d in 0..<dHead { zp[zi + d] = 0 }
                                    for j in firstKey..<keys {
                                        let p = scores[j] * norm
                                        scores[j] = p
                                        let vj = vOperand.offset + (row0 + j) * vOperand.rowStride
                                        for d in 0..<dHead { zp[zi + d] += p * vp[vj + d] }
                                    }
                                    if let po = patternOffset {
                                        let pr = po + b * patternBatchStride + i * length
                                        for j in 0..<length { pp[pr + j] = j < keys ? scores[j] : 0 }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

extension Attention {
    /// One query's scores against `keys` — dot(j) / scale (a division, as Hugging Face GPT-2 does; exact for
    /// power-of-two scales), soft-capped as cap·tanh(s / cap) when a cap is given — into `scores[j]`; returns the
    /// largest. The forward and the backward's recomputation of the pattern share it.
    @inline(__always)
    static func scoreKeys(
        _ keys: Range<Int>, scale: Float, softcap: Float?, into scores: inout [Float], dot: (Int) -> Float
    ) -> Float {
        var maxScore = -Float.infinity
        for j in keys {
            var s = dot(j) / scale
            if let cap = softcap { s = tanhf(s / cap) * cap }
            scores[j] = s
            if s > maxScore { maxScore = s }
        }
        return maxScore
    }
}
