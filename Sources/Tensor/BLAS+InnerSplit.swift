import COpenBLAS

/// Products whose inner dimension dwarfs their output: `[m, k] · [n, k]ᵀ` with m, n in the tens and k in the
/// millions — edge attribution's ⟨Δ_s, g_r⟩ for every sender and receiver of a layer, summed over every token row
/// and the model dimension. `BLAS.gemm` parallelises by cutting `c` into tiles (`GemmTiling`), which leaves such a
/// product on one worker: its `c` is too small to cut. Here the inner dimension is cut instead, into a fixed number of
/// chunks that depends only on the shape (`InnerSplit`); each chunk is one single-threaded `cblas_sgemm` into its own
/// partial `[m, n]`, the chunks are spread over the workers, and the partials are added in chunk order. Every element
/// is therefore the same sum in the same order whatever the number of workers (the same promise as `gemm`).
extension BLAS {
    /// `c[cSlice] = a[aSlice] · b[bSlice]ᵀ + beta · c[cSlice]`, single precision, row-major, with the inner dimension
    /// (`aSlice.cols == bSlice.cols`) cut into `InnerSplit` chunks.
    public static func gemmSplittingInner(
        _ a: Tensor, _ aSlice: MatrixSlice, _ b: Tensor, _ bSlice: MatrixSlice,
        into c: inout Tensor, _ cSlice: MatrixSlice, beta: Float = 0
    ) {
        let m = aSlice.rows, n = bSlice.rows, k = aSlice.cols
        precondition(bSlice.cols == k && cSlice.rows == m && cSlice.cols == n,
                     "gemmSplittingInner: a \(m)×\(k), b \(n)×\(bSlice.cols), c \(cSlice.rows)×\(cSlice.cols)")
        precondition(aSlice.end <= a.count && bSlice.end <= b.count && cSlice.end <= c.count,
                     "gemmSplittingInner: slice out of range")
        let chunks = InnerSplit(m: m, n: n, k: k).chunks
        if m == 0 || n == 0 { return }
        if chunks.count <= 1 {
            gemm(a, aSlice, b, bSlice, transposeB: true, into: &c, cSlice, beta: beta)
            return
        }
        _ = singleThreaded
        // partials[i]: chunk i's [m, n] product.
        var partials = Tensor(shape: [chunks.count, m * n])
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                partials.withUnsafeMutableBufferPointer { pp in
                    let base = (a: Int(bitPattern: pa.baseAddress! + aSlice.offset),
                                b: Int(bitPattern: pb.baseAddress! + bSlice.offset),
                                p: Int(bitPattern: pp.baseAddress!))
                    let strides = (a: aSlice.rowStride, b: bSlice.rowStride)
                    let block = InnerSplit.block
                    let run: @Sendable (Int) -> Void = { i in
                        let range = chunks[i]
                        var start = range.lowerBound
                        while start < range.upperBound {
                            let count = min(block, range.upperBound - start)
                            cblas_sgemm(
                                CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(count), 1,
                                UnsafePointer<Float>(bitPattern: base.a)! + start, Int32(strides.a),
                                UnsafePointer<Float>(bitPattern: base.b)! + start, Int32(strides.b),
                                start == range.lowerBound ? 0 : 1,
                                UnsafeMutablePointer<Float>(bitPattern: base.p)! + i * m * n, Int32(n))
                            start += count
                        }
                    }
                    // Every chunk lands in its own partial, whoever computes it.
                    Workers.forEachTaken(chunks.count, workers: threads, run)
                }
            }
        }
        partials.withUnsafeBufferPointer { pp in
            c.withUnsafeMutableBufferPointer { pc in
                for r in 0..<m {
                    for j in 0..<n {
                        var sum: Float = 0
                        for i in chunks.indices { sum += pp[i * m * n + r * n + j] }
                        let target = cSlice.offset + r * cSlice.rowStride + j
                        pc[target] = beta == 0 ? sum : beta * pc[target] + sum
                    }
                }
            }
        }
    }
}

/// How `gemmSplittingInner` cuts the inner dimension: a function of the shape alone. Products under 2²² multiply-adds
/// stay whole; larger ones are cut into up to eight chunks (enough to keep two to four workers busy when chunks take
/// unequal time), each at least 2¹⁴ long, boundaries on multiples of 16.
public struct InnerSplit: Sendable, Equatable {
    public let chunks: [Range<Int>]
    /// Within a chunk, products of this many inner elements at a time, accumulated in order.
    /// (4096 floats: a block of a and b stays in the caches while OpenBLAS packs it; measured no slower than
    /// whole chunks on the attribution benchmark's shapes.)
    public static let block = 4096

    public init(m: Int, n: Int, k: Int) {
        let work = Double(m) * Double(n) * Double(k)
        let pieces = work < Double(1 << 22) ? 1 : max(1, min(8, k / (1 << 14)))
        var cuts = [0]
        for i in 1..<max(pieces, 1) { cuts.append(k * i / pieces / 16 * 16) }
        cuts.append(k)
        chunks = (0..<pieces).map { cuts[$0]..<cuts[$0 + 1] }.filter { !$0.isEmpty }
    }
}
