import Testing
@testable import Tensor

/// Kernels that share their work between workers give the same bits for any number of them: the attention
/// backward (prompts split between workers), the backward's elementwise kernels and the projected norm backward
/// (rows or lanes split), and large zero-filled storage (slices zeroed by the workers).
@Suite(.serialized) struct WorkerSplitTests {
    static func random(_ count: Int, seed: UInt64) -> [Float] {
        var g = SeededGenerator(seed: seed)
        return (0..<count).map { _ in g.normal() }
    }

    /// 40 prompts of 12 tokens, dHead 16, one head among two in the buffer: enough work to be split. With a query
    /// subset (the last layer's read rows) too.
    @Test(arguments: [nil, [11, 4]] as [[Int]?])
    func attentionBackwardIsTheSameForAnyNumberOfWorkers(queries: [Int]?) {
        let batch = 40, length = 12, dHead = 16, stride = 6 * dHead
        let qkv = Tensor(shape: [batch * length, stride], scalars: Self.random(batch * length * stride, seed: 1))
        let dz = Tensor(shape: [batch * length, 2 * dHead], scalars: Self.random(batch * length * 2 * dHead, seed: 2))
        let op = { (o: Int) in Attention.Operand(offset: o, rowStride: stride) }
        let before = BLAS.threads
        defer { BLAS.setThreads(before) }
        var results: [Tensor] = []
        for workers in [1, 2, 3] {
            BLAS.setThreads(workers)
            var gradient = Tensor(shape: [batch * length, stride], repeating: 7)
            Attention.headBackward(
                q: qkv, op(dHead), k: qkv, op(3 * dHead), v: qkv, op(5 * dHead),
                dz: dz, .init(offset: dHead, rowStride: 2 * dHead), batch: batch, length: length, dHead: dHead,
                causal: true, scale: 4, queryPositions: queries, into: &gradient, dq: op(dHead), dk: op(3 * dHead),
                dv: op(5 * dHead))
            results.append(gradient)
        }
        for r in results.dropFirst() { #expect(r.scalars == results[0].scalars) }
        // The other head's columns are untouched.
        #expect(results[0][flat: 0] == 7 && results[0][flat: 2 * dHead] == 7)
    }

    /// The activation derivatives (plain and gated; 70,001 elements, not a multiple of the four lanes) and the
    /// projected norm backward's kernels on 300 rows.
    @Test(arguments: [ActivationFunction.geluNew, .gelu, .relu, .silu])
    func backwardElementwiseKernelsAreTheSameForAnyNumberOfWorkers(function: ActivationFunction) {
        let count = 70_001, rows = 300, width = 40
        let pre = Tensor(shape: [count], scalars: Self.random(count, seed: 3))
        let upstream = Tensor(shape: [count], scalars: Self.random(count, seed: 4))
        let gateUp = Tensor(shape: [rows, 2 * width * 6], scalars: Self.random(rows * 2 * width * 6, seed: 5))
        let hidden = Tensor(shape: [rows, width * 6], scalars: Self.random(rows * width * 6, seed: 6))
        let x = Tensor(shape: [rows, width], scalars: Self.random(rows * width, seed: 7))
        let moments = Self.random(rows * 3, seed: 8)
        let stats = LayerNorm.statistics(x, rows: rows, width: width, epsilon: 1e-5)
        let before = BLAS.threads
        defer { BLAS.setThreads(before) }
        var results: [[Float]] = []
        for workers in [1, 2, 3] {
            BLAS.setThreads(workers)
            var plain = upstream
            plain.multiplyByDerivative(of: function, at: pre, count: count)
            var gated = Tensor(shape: [rows, 2 * width * 6])
            gated.gatedActivationBackward(function, gateUp: gateUp, hidden: hidden, rows: rows, width: width * 6)
            let dots = ProjectedNormBackward.blockDots(gateUp, stride: 2 * width * 6, hidden, stride: width * 6,
                                                       blocks: [(0, 0), (width, 3 * width)], width: width, rows: rows)
            var outer = Tensor(shape: [2, rows * width])
            ProjectedNormBackward.writeOuterPart(into: &outer, offset: rows * width, rows: rows, width: width, input: x,
                                                 statistics: stats, centred: true, first: moments, second: moments,
                                                 moment: 1, momentStride: 3)
            var sum = x
            ProjectedNormBackward.addBlocks(outer, offset: 0, count: 2, blockSize: rows * width, rows: rows,
                                            width: width, to: &sum)
            var scaled = Tensor(shape: [0])
            ProjectedNormBackward.scaledRows(hidden, rows: rows, width: width * 6, scale: stats.rstd, into: &scaled)
            results.append(plain.scalars + gated.scalars + dots + outer.scalars + sum.scalars + scaled.scalars)
        }
        for r in results.dropFirst() { #expect(r == results[0]) }
    }

    @Test func largeStorageIsZeroForAnyNumberOfWorkers() {
        let before = BLAS.threads
        defer { BLAS.setThreads(before) }
        for workers in [1, 2, 3] {
            BLAS.setThreads(workers)
            let count = 3 * Tensor.largeAllocation + 5
            #expect(Tensor(shape: [count]).scalars.allSatisfy { $0 == 0 })
            var grown = Tensor(shape: [0])
            grown.resize(to: [count])
            #expect(grown.count == count && grown.scalars.allSatisfy { $0 == 0 })
            // Growing keeps what was there.
            var kept = Tensor(shape: [4], scalars: [1, 2, 3, 4])
            kept.resize(to: [count])
            #expect(Array(kept.scalars[0..<4]) == [1, 2, 3, 4] && kept.scalars[4...].allSatisfy { $0 == 0 })
        }
    }
}
