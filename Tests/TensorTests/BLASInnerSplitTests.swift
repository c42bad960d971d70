import Testing
@testable import Tensor

/// `BLAS.gemmSplittingInner` (attribution's score products, `[m, k] · [n, k]ᵀ` with a huge k): the same bits whatever
/// the number of workers, within float rounding of a Double product, slices with strides and `beta` honoured.
@Suite(.serialized) struct BLASInnerSplitTests {
    @Test func sameBitsForAnyNumberOfWorkersAndTheDoubleProduct() throws {
        // 12 × 5 outputs over 100,003 inner elements: six chunks; a, b and c are windows of larger tensors.
        let m = 12, n = 5, k = 100_003
        #expect(InnerSplit(m: m, n: n, k: k).chunks.count == 6)
        let a = BLASThreadCountTests.random(m + 1, k + 7, seed: 1)
        let b = BLASThreadCountTests.random(n + 2, k + 7, seed: 2)
        let aSlice = MatrixSlice(offset: (k + 7) + 3, rows: m, cols: k, rowStride: k + 7)
        let bSlice = MatrixSlice(offset: 2 * (k + 7) + 5, rows: n, cols: k, rowStride: k + 7)
        let before = BLAS.threads
        defer { BLAS.setThreads(before) }
        var results: [Tensor] = []
        for workers in [1, 2, 3, 4] {
            BLAS.setThreads(workers)
            var c = BLASThreadCountTests.random(m, n + 1, seed: 3)
            BLAS.gemmSplittingInner(a, aSlice, b, bSlice, into: &c, MatrixSlice(offset: 1, rows: m, cols: n, rowStride: n + 1),
                                    beta: 0.5)
            results.append(c)
        }
        for r in results.dropFirst() { #expect(r.scalars == results[0].scalars) }
        let c0 = BLASThreadCountTests.random(m, n + 1, seed: 3)
        var worst = 0.0
        for i in 0..<m {
            #expect(results[0][flat: i * (n + 1)] == c0[flat: i * (n + 1)], "the column left of the window is untouched")
            for j in 0..<n {
                var sum = 0.0
                for p in 0..<k {
                    sum += Double(a[flat: aSlice.offset + i * aSlice.rowStride + p])
                        * Double(b[flat: bSlice.offset + j * bSlice.rowStride + p])
                }
                let expected = sum + 0.5 * Double(c0[flat: i * (n + 1) + 1 + j])
                // Sums of 10⁵ products of unit normals: |sum| ~ 300, float rounding ~ 1e-4 of it at worst.
                worst = max(worst, abs(Double(results[0][flat: i * (n + 1) + 1 + j]) - expected))
            }
        }
        #expect(worst < 2e-2, "max |Δ| \(worst)")
    }

    @Test func splitDependsOnTheShapeAlone() {
        #expect(InnerSplit(m: 4, n: 4, k: 1000).chunks == [0..<1000])
        let chunks = InnerSplit(m: 144, n: 37, k: 1_152_000).chunks
        #expect(chunks.count == 8 && chunks.first?.lowerBound == 0 && chunks.last?.upperBound == 1_152_000)
        #expect(zip(chunks, chunks.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound && $0.upperBound % 16 == 0 })
    }
}
