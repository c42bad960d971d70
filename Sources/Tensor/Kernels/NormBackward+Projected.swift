/// The kernels of a normalisation's backward taken through many projections of its output at once: the gradient
/// of every head input of a block, each head's q, k and v reading `norm₁`'s output through its own columns of the
/// fused projection (`TransformerBlock.headInputsBackward`).
///
/// For one receiver with weight columns W (`[dModel, dHead]`) and output gradient dq (`[dHead]` per row), the
/// normalisation's input gradient is (see `LayerNorm.backward`, with dy = dq·Wᵀ and γ the scale)
///
///     dx = rstd · (γ ⊙ dy − m₁ − x̂ · m₂),   m₁ = mean(γ ⊙ dy),   m₂ = mean(γ ⊙ dy ⊙ x̂)
///
/// and both means are dHead-long dot products, not dModel-long ones:
///
///     d·m₁ = dq · (Wᵀγ),   d·m₂ = dq · ((γ ⊙ x̂)·W) = dq · (q − c)
///
/// where q is the receiver's projection (kept by the forward) and c = Wᵀβ + b its constant part (LayerNorm's
/// shift β, the projection's bias b). So the backward writes the part outside the product first,
/// −rstd·(m₁ + x̂·m₂), and lets the product (rstd·dq)·(γ ⊙ W)ᵀ add the rest — one pass over each receiver's
/// `[rows, dModel]` gradient besides the product, instead of the separate zeroing, reduction and update passes
/// of a product followed by `LayerNorm.backward`; the block input's gradient then gets every receiver's in one
/// pass (`addBlocks`). RMSNorm is the uncentred case (μ = 0, no m₁ term).
public enum ProjectedNormBackward {
    /// `[rows, blocks.count]`: per row, the dot products of `width`-long blocks of two row-major buffers,
    /// `Σ_c a[r·aStride + blocks[i].a + c] · b[r·bStride + blocks[i].b + c]` — with `bStride` 0, `b` is one
    /// vector read at the same place for every row.
    public static func blockDots(
        _ a: Tensor, stride aStride: Int, _ b: Tensor, stride bStride: Int, blocks: [(a: Int, b: Int)], width: Int,
        rows: Int
    ) -> [Float] {
        let n = blocks.count
        precondition(rows == 0 || blocks.allSatisfy {
            (rows - 1) * aStride + $0.a + width <= a.count && (rows - 1) * bStride + $0.b + width <= b.count
        }, "blockDots: blocks out of range")
        var out = [Float](repeating: 0, count: rows * n)
        a.withUnsafeBufferPointer { ap in
            b.withUnsafeBufferPointer { bp in
                out.withUnsafeMutableBufferPointer { op in
                    guard let pa = ap.baseAddress, let pb = bp.baseAddress, let po = op.baseAddress else { return }
                    let base = (a: Int(bitPattern: pa), b: Int(bitPattern: pb), o: Int(bitPattern: po))
                    // Rows write disjoint parts of the output; each dot is summed the same way on any worker.
                    Workers.forEachPart(rows, work: rows * n * width) { range in
                        let a = UnsafePointer<Float>(bitPattern: base.a)!, b = UnsafePointer<Float>(bitPattern: base.b)!
                        let o = UnsafeMutablePointer<Float>(bitPattern: base.o)!
                        for r in range {
                            for (i, block) in blocks.enumerated() {
                                o[r * n + i] = FastMath.dot(a, r * aStride + block.a, b, r * bStride + block.b, count: width)
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    /// Writes the part of a receiver's input gradient outside the product, `−rstd·(m₁ + x̂·m₂)`, into `rows` rows of
    /// `out` from element `offset` (`[rows, width]`), from the moments `first` (d·m₁; ignored uncentred) and
    /// `second` (d·m₂) at index `r·momentStride + moment` of their `[rows, momentStride]` buffers.
    ///
    /// - Parameters:
    ///   - input: the normalisation's input rows, `[rows, width]`; `statistics` their mean and rstd.
    public static func writeOuterPart(
        into out: inout Tensor, offset: Int, rows: Int, width: Int, input: Tensor, statistics: NormStatistics,
        centred: Bool, first: [Float], second: [Float], moment: Int, momentStride: Int
    ) {
        precondition(offset + rows * width <= out.count && rows * width <= input.count && statistics.rows >= rows
                     && second.count >= rows * momentStride && (!centred || first.count >= rows * momentStride),
                     "writeOuterPart: sizes")
        let mean = statistics.mean, rstd = statistics.rstd
        let n = Float(width)
        out.withUnsafeMutableBufferPointer { op in
            input.withUnsafeBufferPointer { xp in
                guard let po = op.baseAddress, let px = xp.baseAddress else { return }
                let base = (o: Int(bitPattern: po), x: Int(bitPattern: px))
                // Rows write disjoint parts of `out`, each the same way on any worker.
                Workers.forEachPart(rows, work: rows * width) { range in
                    let o = UnsafeMutablePointer<Float>(bitPattern: base.o)!
                    let x = UnsafePointer<Float>(bitPattern: base.x)!
                    for r in range {
                        let scale = rstd[r], mu = centred ? mean[r] : 0
                        let m1 = centred ? first[r * momentStride + moment] / n : 0
                        let m2 = second[r * momentStride + moment] / n
                        // −rstd·(m₁ + (x − μ)·rstd·m₂) = a + x·b.
                        let b = -scale * scale * m2
                        let a = -scale * m1 + scale * scale * m2 * mu
                        let va = FastMath.V(repeating: a), vb = FastMath.V(repeating: b)
                        let oi = offset + r * width, xi = r * width
                        var j = 0
                        while j + FastMath.width <= width {
                            FastMath.store(va + FastMath.load(x, xi + j) * vb, o, oi + j)
                            j += FastMath.width
                        }
                        while j < width {
                            o[oi + j] = a + x[xi + j] * b
                            j += 1
                        }
                    }
                }
            }
        }
    }

    /// Adds `count` consecutive `[rows, width]` blocks of `blocks` (from element `offset`, `blockSize` apart) to
    /// `sum` (`[rows, width]`), each element getting block 0, then block 1, … — the order of sequential additions —
    /// rows shared between the workers.
    public static func addBlocks(
        _ blocks: Tensor, offset: Int, count: Int, blockSize: Int, rows: Int, width: Int, to sum: inout Tensor
    ) {
        precondition(offset + (count - 1) * blockSize + rows * width <= blocks.count && rows * width <= sum.count,
                     "addBlocks: sizes")
        blocks.withUnsafeBufferPointer { bp in
            sum.withUnsafeMutableBufferPointer { sp in
                guard let pb = bp.baseAddress, let ps = sp.baseAddress else { return }
                let base = (b: Int(bitPattern: pb), s: Int(bitPattern: ps))
                Workers.forEachPart(rows, work: rows * width * count) { range in
                    let b = UnsafePointer<Float>(bitPattern: base.b)!, s = UnsafeMutablePointer<Float>(bitPattern: base.s)!
                    // A few rows at a time, so that the running sums stay in the cache while every block is added.
                    var start = range.lowerBound
                    while start < range.upperBound {
                        let end = min(start + 8, range.upperBound)
                        let first = start * width, n = (end - start) * width
                        for i in 0..<count {
                            let bi = offset + i * blockSize + first
                            var j = 0
                            while j + FastMath.width <= n {
                                FastMath.store(FastMath.load(s, first + j) + FastMath.load(b, bi + j), s, first + j)
                                j += FastMath.width
                            }
                            while j < n {
                                s[first + j] += b[bi + j]
                                j += 1
                            }
                        }
                        start = end
                    }
                }
            }
        }
    }

    /// `[rows, width]`: `rows` rows of `a` (row stride `width`) each multiplied by `scale[r]`.
    public static func scaledRows(_ a: Tensor, rows: Int, width: Int, scale: [Float], into out: inout Tensor) {
        precondition(rows * width <= a.count && scale.count >= rows, "scaledRows: sizes")
        if out.count < rows * width { out.resize(to: [rows, width]) }
        a.withUnsafeBufferPointer { ap in
            out.withUnsafeMutableBufferPointer { op in
                guard let pa = ap.baseAddress, let po = op.baseAddress else { return }
                let base = (a: Int(bitPattern: pa), o: Int(bitPattern: po))
                Workers.forEachPart(rows, work: rows * width) { range in
                    let a = UnsafePointer<Float>(bitPattern: base.a)!, o = UnsafeMutablePointer<Float>(bitPattern: base.o)!
                    for r in range {
                        let s = scale[r]
                        for j in (r * width)..<((r + 1) * width) { o[j] = a[j] * s }
                    }
                }
            }
        }
    }

    /// `[k, n]`: `weight` (`[k, n]`, row-major) with row j multiplied by `scale[j]` — γ ⊙ W.
    public static func scaledWeight(_ weight: Tensor, scale: Tensor, into out: inout Tensor) {
        let k = scale.count, n = weight.count / max(k, 1)
        precondition(k * n == weight.count, "scaledWeight: \(weight.count) weights for \(k) scales")
        if out.count != weight.count { out.resize(to: [k, n]) }
        weight.withUnsafeBufferPointer { wp in
            scale.withUnsafeBufferPointer { sp in
                out.withUnsafeMutableBufferPointer { op in
                    for j in 0..<k {
                        let s = sp[j]
                        for c in (j * n)..<((j + 1) * n) { op[c] = wp[c] * s }
                    }
                }
            }
        }
    }
}
