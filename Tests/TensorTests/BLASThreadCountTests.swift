import Testing
@testable import Tensor

/// `BLAS.gemm` gives the same bits whatever the number of workers (OpenBLAS's own threading does not: its 1- and
/// 2-thread results differ in the last bits), and the tiled product equals a plain product to float rounding, for
/// every combination of transposes and for shapes split along rows and along columns.
@Suite(.serialized) struct BLASThreadCountTests {
    static func random(_ rows: Int, _ cols: Int, seed: UInt64) -> Tensor {
        var g = SeededGenerator(seed: seed)
        return Tensor(shape: [rows, cols], scalars: (0..<(rows * cols)).map { _ in g.normal() })
    }

    /// (m, k, n): a row split, a column split (the unembedding's shape), a small single-tile product.
    static let shapes = [(300, 96, 256), (24, 128, 3000), (15, 64, 40)]

    @Test(arguments: shapes)
    func sameBitsForAnyNumberOfWorkers(shape: (Int, Int, Int)) throws {
        let (m, k, n) = shape
        let before = BLAS.threads
        defer { BLAS.setThreads(before) }
        for (transposeA, transposeB) in [(false, false), (true, false), (false, true), (true, true)] {
            let a = transposeA ? Self.random(k, m, seed: 1) : Self.random(m, k, seed: 1)
            let b = transposeB ? Self.random(n, k, seed: 2) : Self.random(k, n, seed: 2)
            var results: [Tensor] = []
            for workers in [1, 2, 3, 4] {
                BLAS.setThreads(workers)
                var c = Self.random(m, n, seed: 3)
                BLAS.gemm(a, MatrixSlice(a), transposeA: transposeA, b, MatrixSlice(b), transposeB: transposeB,
                          into: &c, MatrixSlice(c), alpha: 0.5, beta: 2)
                results.append(c)
            }
            for r in results.dropFirst() { #expect(r.scalars == results[0].scalars, "\(shape) \(transposeA) \(transposeB)") }
            // Against a product in Double.
            let c0 = Self.random(m, n, seed: 3)
            var worst: Double = 0
            for i in 0..<m {
                for j in 0..<n {
                    var sum = 0.0
                    for p in 0..<k {
                        let x = transposeA ? a[flat: p * m + i] : a[flat: i * k + p]
                        let y = transposeB ? b[flat: j * k + p] : b[flat: p * n + j]
                        sum += Double(x) * Double(y)
                    }
                    let expected = 0.5 * sum + 2 * Double(c0[flat: i * n + j])
                    worst = max(worst, abs(Double(results[0][flat: i * n + j]) - expected))
                }
            }
            #expect(worst < 1e-4, "\(shape): max |Δ| \(worst)")
        }
    }

    @Test func tilingDependsOnTheShapeAlone() {
        #expect(GemmTiling(m: 15, n: 64, k: 40).tiles.count == 1)
        let rows = GemmTiling(m: 1500, n: 768, k: 3072).tiles
        #expect(rows.count == 4 && rows.allSatisfy { $0.columns == 0..<768 })
        #expect(rows.map(\.rows.count).reduce(0, +) == 1500)
        #expect(rows.dropLast().allSatisfy { $0.rows.upperBound % 16 == 0 })
        let columns = GemmTiling(m: 50, n: 50257, k: 768).tiles
        #expect(columns.count == 4 && columns.allSatisfy { $0.rows == 0..<50 })
        #expect(columns.map(\.columns.count).reduce(0, +) == 50257)
    }
}
