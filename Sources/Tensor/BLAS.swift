import COpenBLAS
import Foundation
import Synchronization

/// The BLAS and LAPACK entry points circuitry uses. This file (with the others in the Tensor module) is the only
/// Swift code that touches `COpenBLAS`.
///
/// **Same bits whatever the thread count.** OpenBLAS's own threading splits a product differently for 1 and for 2
/// threads, and the results differ in their last bits (measured on OpenBLAS 0.3.21: up to two thirds of the
/// elements; `scripts/blas_threads`). So OpenBLAS always runs single-threaded here, and `gemm` parallelises itself:
/// a large product is cut into a fixed grid of tiles that depends only on its shape (`GemmTiling`), each tile is one
/// single-threaded `cblas_sgemm`, and the tiles are spread over `threads` workers. Every element is then computed by
/// the same call whatever the number of workers, so one run, two threads, or four MPI ranks of one thread give the
/// same bytes on the same OpenBLAS kernel.
public enum BLAS {
    /// Workers for large products: `OPENBLAS_NUM_THREADS` when set (the variable users know), else the number of
    /// active processors.
    private static let workerCount = Atomic<Int>(BLAS.defaultThreads())

    /// OpenBLAS itself stays single-threaded (set once, before the first product).
    static let singleThreaded: Bool = {
        openblas_set_num_threads(1)
        return true
    }()

    private static func defaultThreads() -> Int {
        if let text = ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"], let n = Int(text), n > 0 {
            return min(n, 256)
        }
        return max(1, ProcessInfo.processInfo.activeProcessorCount)
    }

    /// Sets how many workers share a large product. Results do not depend on it.
    public static func setThreads(_ n: Int) {
        _ = singleThreaded
        workerCount.store(max(1, n), ordering: .relaxed)
    }

    /// The number of workers products use.
    public static var threads: Int { workerCount.load(ordering: .relaxed) }

    /// The name of the CPU kernel set OpenBLAS chose at run time (for example `SkylakeX`).
    public static var coreName: String {
        guard let p = openblas_get_corename() else { return "unknown" }
        return String(cString: p)
    }

    /// `c[cSlice] = alpha · op(a[aSlice]) · op(b[bSlice]) + beta · c[cSlice]`, single precision, row-major.
    ///
    /// `op(x)` is `x` or its transpose. The slices' shapes must agree: op(a) is `m × k`, op(b) is `k × n`, c is
    /// `m × n` (checked with preconditions; a mismatch is a programming error).
    public static func gemm(
        _ a: Tensor, _ aSlice: MatrixSlice, transposeA: Bool = false,
        _ b: Tensor, _ bSlice: MatrixSlice, transposeB: Bool = false,
        into c: inout Tensor, _ cSlice: MatrixSlice,
        alpha: Float = 1, beta: Float = 0
    ) {
        let m = transposeA ? aSlice.cols : aSlice.rows
        let k = transposeA ? aSlice.rows : aSlice.cols
        let kb = transposeB ? bSlice.cols : bSlice.rows
        let n = transposeB ? bSlice.rows : bSlice.cols
        precondition(k == kb && cSlice.rows == m && cSlice.cols == n,
                     "gemm: op(a) \(m)×\(k), op(b) \(kb)×\(n), c \(cSlice.rows)×\(cSlice.cols)")
        precondition(aSlice.end <= a.count && bSlice.end <= b.count && cSlice.end <= c.count, "gemm: slice out of range")
        if m == 0 || n == 0 { return }
        if k == 0 {
            if beta != 1 { c.scale(cSlice, by: beta) }
            return
        }
        _ = singleThreaded
        let tiles = GemmTiling(m: m, n: n, k: k).tiles
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    // Addresses travel to the workers as integers: the tiles write disjoint parts of c.
                    let base = (a: Int(bitPattern: pa.baseAddress! + aSlice.offset),
                                b: Int(bitPattern: pb.baseAddress! + bSlice.offset),
                                c: Int(bitPattern: pc.baseAddress! + cSlice.offset))
                    let strides = (a: aSlice.rowStride, b: bSlice.rowStride, c: cSlice.rowStride)
                    let run: @Sendable (GemmTiling.Tile) -> Void = { tile in
                        // Row block of op(a): rows of a, or columns of a when transposed; column block of op(b):
                        // columns of b, or rows of b when transposed.
                        let aOffset = transposeA ? tile.rows.lowerBound : tile.rows.lowerBound * strides.a
                        let bOffset = transposeB ? tile.columns.lowerBound * strides.b : tile.columns.lowerBound
                        let cOffset = tile.rows.lowerBound * strides.c + tile.columns.lowerBound
                        cblas_sgemm(
                            CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                            Int32(tile.rows.count), Int32(tile.columns.count), Int32(k), alpha,
                            UnsafePointer<Float>(bitPattern: base.a)! + aOffset, Int32(strides.a),
                            UnsafePointer<Float>(bitPattern: base.b)! + bOffset, Int32(strides.b),
                            beta,
                            UnsafeMutablePointer<Float>(bitPattern: base.c)! + cOffset, Int32(strides.c))
                    }
                    // Which worker runs a tile does not change its bits.
                    Workers.forEachTaken(tiles.count, workers: threads) { run(tiles[$0]) }
                }
            }
        }
    }

    /// Whole-tensor product of rank-2 tensors: `op(a) · op(b)`.
    public static func matmul(_ a: Tensor, transposeA: Bool = false, _ b: Tensor, transposeB: Bool = false) -> Tensor {
        let sa = MatrixSlice(a), sb = MatrixSlice(b)
        let m = transposeA ? sa.cols : sa.rows
        let n = transposeB ? sb.rows : sb.cols
        var c = Tensor(shape: [m, n])
        gemm(a, sa, transposeA: transposeA, b, sb, transposeB: transposeB, into: &c, MatrixSlice(c))
        return c
    }

    /// OpenBLAS's own multi-threaded `sgemm` on whole tensors, with `threads` threads: the yardstick benchmarks
    /// compare circuitry's products with (not used by circuitry itself, whose results must not depend on threads).
    public static func referenceGemm(
        _ a: Tensor, _ aSlice: MatrixSlice, _ b: Tensor, _ bSlice: MatrixSlice, transposeB: Bool = false,
        into c: inout Tensor, _ cSlice: MatrixSlice, threads: Int
    ) {
        let m = aSlice.rows, k = aSlice.cols, n = transposeB ? bSlice.rows : bSlice.cols
        precondition(cSlice.rows == m && cSlice.cols == n && aSlice.end <= a.count && bSlice.end <= b.count
                     && cSlice.end <= c.count, "referenceGemm: shapes")
        _ = singleThreaded
        openblas_set_num_threads(Int32(threads))
        defer { openblas_set_num_threads(1) }
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                                Int32(m), Int32(n), Int32(k), 1, pa.baseAddress! + aSlice.offset, Int32(aSlice.rowStride),
                                pb.baseAddress! + bSlice.offset, Int32(bSlice.rowStride), 0,
                                pc.baseAddress! + cSlice.offset, Int32(cSlice.rowStride))
                }
            }
        }
    }
}

/// How a product `[m, k] · [k, n]` is cut into independent tiles of `c`: a function of the shape alone, so that the
/// bits of every element do not depend on how many workers run the tiles.
///
/// Small products (under 2²² multiply-adds) are one tile: splitting would cost more than it gains. Larger ones are
/// cut along the longer side of `c` into up to four tiles (enough for the machines circuitry runs on, few enough
/// that repacking the other operand per tile costs little; measured against OpenBLAS's own threading in the
/// benchmarks), each at least 32 rows or 64 columns, boundaries on multiples of 16 (OpenBLAS's register blocks).
public struct GemmTiling: Sendable, Equatable {
    public struct Tile: Sendable, Equatable {
        public let rows: Range<Int>
        public let columns: Range<Int>
    }

    public let tiles: [Tile]

    public init(m: Int, n: Int, k: Int) {
        let work = Double(m) * Double(n) * Double(k)
        guard work >= Double(1 << 22) else {
            tiles = [Tile(rows: 0..<m, columns: 0..<n)]
            return
        }
        let alongRows = m >= n
        let length = alongRows ? m : n
        let pieces = max(1, min(4, length / (alongRows ? 32 : 64)))
        var cuts = [0]
        for i in 1..<pieces { cuts.append(length * i / pieces / 16 * 16) }
        cuts.append(length)
        var result: [Tile] = []
        for i in 0..<pieces where cuts[i] < cuts[i + 1] {
            let range = cuts[i]..<cuts[i + 1]
            result.append(alongRows ? Tile(rows: range, columns: 0..<n) : Tile(rows: 0..<m, columns: range))
        }
        tiles = result
    }
}

extension Tensor {
    /// Multiplies the elements of a window by `factor`.
    public mutating func scale(_ slice: MatrixSlice, by factor: Float) {
        withUnsafeMutableBufferPointer { p in
            for r in 0..<slice.rows {
                let base = slice.offset + r * slice.rowStride
                for j in 0..<slice.cols { p[base + j] *= factor }
            }
        }
    }
}
