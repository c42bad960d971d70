import Foundation
import Testing
@testable import Tensor

/// Every backward kernel against central finite differences of a Double-precision re-implementation of its forward
/// (step 1e-5: truncation error ~1e-10, rounding ~1e-11, far below the Float backward's own ~1e-6). The Double
/// forwards are checked against the Float kernels first, so the differences are of the function the kernels compute.
@Suite struct BackwardKernelTests {
    static func random(_ n: Int, seed: UInt64, scale: Float = 1) -> [Float] {
        var g = SeededGenerator(seed: seed)
        return (0..<n).map { _ in scale * g.normal() }
    }

    /// Central differences of `f` at `x`.
    static func numericalGradient(_ x: [Double], h: Double = 1e-5, _ f: ([Double]) -> Double) -> [Double] {
        var x = x
        return (0..<x.count).map { i in
            let saved = x[i]
            x[i] = saved + h
            let up = f(x)
            x[i] = saved - h
            let down = f(x)
            x[i] = saved
            return (up - down) / (2 * h)
        }
    }

    static func expectClose(_ got: [Float], _ want: [Double], tolerance: Double, _ what: String) {
        let scale = max(1e-3, want.map(abs).max() ?? 0)
        var worst = 0.0
        for (a, b) in zip(got, want) { worst = max(worst, abs(Double(a) - b)) }
        #expect(worst <= tolerance * scale, "\(what): worst difference \(worst), scale \(scale)")
    }

    // MARK: Normalisations

    static func layerNorm64(_ x: [Double], width: Int, gamma: [Double], beta: [Double], eps: Double, rms: Bool) -> [Double] {
        var y = x
        for r in 0..<(x.count / width) {
            let row = x[(r * width)..<((r + 1) * width)]
            let mean = rms ? 0 : row.reduce(0, +) / Double(width)
            let v = row.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(width)
            let rstd = 1 / (v + eps).squareRoot()
            for j in 0..<width { y[r * width + j] = (x[r * width + j] - mean) * rstd * gamma[j] + (rms ? 0 : beta[j]) }
        }
        return y
    }

    @Test(arguments: [false, true])
    func normalisationBackward(rms: Bool) {
        let rows = 5, width = 13
        let x = Self.random(rows * width, seed: 1).enumerated().map { $1 + Float($0 % 3) }
        let gamma = Self.random(width, seed: 2).map { 1 + 0.3 * $0 }
        let beta = Self.random(width, seed: 3)
        let dy = Self.random(rows * width, seed: 4)
        let eps: Float = 1e-5
        let xt = Tensor(shape: [rows, width], scalars: x)
        // The Double forward is the Float kernel's function.
        var yf = Tensor(shape: [rows, width])
        if rms {
            RMSNorm.apply(xt, rows: rows, width: width, weight: Tensor(shape: [width], scalars: gamma), epsilon: eps, into: &yf)
        } else {
            LayerNorm.apply(xt, rows: rows, width: width, weight: Tensor(shape: [width], scalars: gamma),
                            bias: Tensor(shape: [width], scalars: beta), epsilon: eps, into: &yf)
        }
        let y64 = Self.layerNorm64(x.map(Double.init), width: width, gamma: gamma.map(Double.init),
                                   beta: beta.map(Double.init), eps: Double(eps), rms: rms)
        Self.expectClose(yf.scalars, y64, tolerance: 1e-6, "forward")

        let want = Self.numericalGradient(x.map(Double.init)) { v in
            zip(Self.layerNorm64(v, width: width, gamma: gamma.map(Double.init), beta: beta.map(Double.init),
                                 eps: Double(eps), rms: rms), dy).reduce(0) { $0 + $1.0 * Double($1.1) }
        }
        var grad = Tensor(shape: [rows, width], scalars: dy)
        var sum = Tensor(shape: [rows, width], repeating: 0.5)
        let weight = Tensor(shape: [width], scalars: gamma)
        if rms {
            let stats = RMSNorm.statistics(xt, rows: rows, width: width, epsilon: eps)
            RMSNorm.backward(&grad, rows: rows, width: width, input: xt, statistics: stats, weight: weight, addingTo: &sum)
        } else {
            let stats = LayerNorm.statistics(xt, rows: rows, width: width, epsilon: eps)
            LayerNorm.backward(&grad, rows: rows, width: width, input: xt, statistics: stats, weight: weight, addingTo: &sum)
        }
        Self.expectClose(grad.scalars, want, tolerance: 2e-6, "input gradient")
        Self.expectClose(sum.scalars, want.map { $0 + 0.5 }, tolerance: 2e-6, "accumulated gradient")
    }

    /// `ProjectedNormBackward` for three receivers reading one normalised input through their own weight columns
    /// (the last two sharing theirs, as grouped keys and values do): each receiver's input gradient equals the
    /// numerical gradient of its ⟨dq, norm(x)·W + b⟩, and the residual gets all three.
    @Test(arguments: [false, true])
    func projectedNormalisationBackward(rms: Bool) {
        let rows = 5, width = 13, dHead = 4, eps: Float = 1e-5
        let weightWidth = 2 * dHead, stride = 3 * dHead, size = rows * width
        let blocks = [(a: 0, b: 0), (a: dHead, b: dHead), (a: 2 * dHead, b: dHead)]
        let x = Self.random(size, seed: 1).enumerated().map { $1 + Float($0 % 3) }
        let gamma = Self.random(width, seed: 2).map { 1 + 0.3 * $0 }
        let beta = rms ? [Float](repeating: 0, count: width) : Self.random(width, seed: 3)
        let w = Self.random(width * weightWidth, seed: 5, scale: 0.5)
        let bias = Self.random(weightWidth, seed: 6)
        let dq = Self.random(rows * stride, seed: 7)
        let xt = Tensor(shape: [rows, width], scalars: x), weight = Tensor(shape: [width], scalars: gamma)
        let wt = Tensor(shape: [width, weightWidth], scalars: w), dqt = Tensor(shape: [rows, stride], scalars: dq)
        // The forward: the receivers' projections of the normalised input, in their activation columns.
        var normed = Tensor(shape: [rows, width])
        let stats: NormStatistics
        if rms {
            RMSNorm.apply(xt, rows: rows, width: width, weight: weight, epsilon: eps, into: &normed)
            stats = RMSNorm.statistics(xt, rows: rows, width: width, epsilon: eps)
        } else {
            LayerNorm.apply(xt, rows: rows, width: width, weight: weight, bias: Tensor(shape: [width], scalars: beta),
                            epsilon: eps, into: &normed)
            stats = LayerNorm.statistics(xt, rows: rows, width: width, epsilon: eps)
        }
        var q = Tensor(shape: [rows, stride])
        var gammaW = Tensor(shape: [weightWidth]), constant = Tensor(shape: [weightWidth])
        for c in 0..<weightWidth {
            gammaW[flat: c] = (0..<width).reduce(0) { $0 + gamma[$1] * w[$1 * weightWidth + c] }
            constant[flat: c] = bias[c] + (0..<width).reduce(0) { $0 + beta[$1] * w[$1 * weightWidth + c] }
        }
        for r in 0..<rows {
            for block in blocks {
                for c in 0..<dHead {
                    q[flat: r * stride + block.a + c] = bias[block.b + c]
                        + (0..<width).reduce(0) { $0 + normed[flat: r * width + $1] * w[$1 * weightWidth + block.b + c] }
                }
            }
        }
        // The backward.
        let rotated = ProjectedNormBackward.blockDots(dqt, stride: stride, q, stride: stride,
                                                      blocks: blocks.map { ($0.a, $0.a) }, width: dHead, rows: rows)
        let first = ProjectedNormBackward.blockDots(dqt, stride: stride, gammaW, stride: 0, blocks: blocks,
                                                    width: dHead, rows: rows)
        var second = ProjectedNormBackward.blockDots(dqt, stride: stride, constant, stride: 0, blocks: blocks,
                                                     width: dHead, rows: rows)
        for i in second.indices { second[i] = rotated[i] - second[i] }
        var scaledDQ = Tensor(shape: [0]), scaledW = Tensor(shape: [0])
        ProjectedNormBackward.scaledRows(dqt, rows: rows, width: stride, scale: stats.rstd, into: &scaledDQ)
        ProjectedNormBackward.scaledWeight(wt, scale: weight, into: &scaledW)
        var out = Tensor(shape: [blocks.count, size])
        var residual = Tensor(shape: [rows, width], repeating: 0.5)
        for (i, block) in blocks.enumerated() {
            ProjectedNormBackward.writeOuterPart(
                into: &out, offset: i * size, rows: rows, width: width, input: xt, statistics: stats, centred: !rms,
                first: first, second: second, moment: i, momentStride: blocks.count)
            BLAS.gemm(scaledDQ, MatrixSlice(offset: block.a, rows: rows, cols: dHead, rowStride: stride),
                      scaledW, MatrixSlice(offset: block.b, rows: width, cols: dHead, rowStride: weightWidth),
                      transposeB: true, into: &out, MatrixSlice(offset: i * size, rows: rows, cols: width), beta: 1)
        }
        ProjectedNormBackward.addBlocks(out, offset: 0, count: blocks.count, blockSize: size, rows: rows, width: width,
                                        to: &residual)

        var total = [Double](repeating: 0.5, count: size)
        for (i, block) in blocks.enumerated() {
            let want = Self.numericalGradient(x.map(Double.init)) { v in
                let y = Self.layerNorm64(v, width: width, gamma: gamma.map(Double.init), beta: beta.map(Double.init),
                                         eps: Double(eps), rms: rms)
                var f = 0.0
                for r in 0..<rows {
                    for c in 0..<dHead {
                        var proj = Double(bias[block.b + c])
                        for j in 0..<width { proj += y[r * width + j] * Double(w[j * weightWidth + block.b + c]) }
                        f += Double(dq[r * stride + block.a + c]) * proj
                    }
                }
                return f
            }
            Self.expectClose(Array(out.scalars[(i * size)..<((i + 1) * size)]), want, tolerance: 1e-5, "receiver \(i)")
            for j in 0..<size { total[j] += want[j] }
        }
        Self.expectClose(residual.scalars, total, tolerance: 1e-5, "the residual's sum")
    }

    // MARK: Activations

    static func activation64(_ f: ActivationFunction, _ x: Double) -> Double {
        switch f {
        case .geluNew: 0.5 * x * (1 + tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)))
        case .gelu: 0.5 * x * (1 + erf(x / 2.0.squareRoot()))
        case .relu: max(0, x)
        case .silu: x / (1 + exp(-x))
        }
    }

    @Test(arguments: [ActivationFunction.geluNew, .gelu, .relu, .silu])
    func activationDerivative(function: ActivationFunction) {
        // Away from relu's kink at 0.
        let x = Self.random(37, seed: 5, scale: 2).map { abs($0) < 1e-3 ? $0 + 0.01 : $0 }
        let dy = Self.random(37, seed: 6)
        var forward = Tensor(shape: [37], scalars: x)
        forward.apply(function)
        Self.expectClose(forward.scalars, x.map { Self.activation64(function, Double($0)) }, tolerance: 1e-6, "forward")
        var g = Tensor(shape: [37], scalars: dy)
        g.multiplyByDerivative(of: function, at: Tensor(shape: [37], scalars: x), count: 37)
        let want = x.indices.map { i in
            let h = 1e-6
            let d = (Self.activation64(function, Double(x[i]) + h) - Self.activation64(function, Double(x[i]) - h)) / (2 * h)
            return d * Double(dy[i])
        }
        Self.expectClose(g.scalars, want, tolerance: 2e-6, "derivative")
    }

    @Test(arguments: [ActivationFunction.silu, .geluNew])
    func gatedBackward(function: ActivationFunction) {
        let rows = 3, width = 9
        let gateUp = Self.random(rows * 2 * width, seed: 7, scale: 1.5)
        let dh = Self.random(rows * width, seed: 8)
        var out = Tensor(shape: [rows, 2 * width])
        out.gatedActivationBackward(function, gateUp: Tensor(shape: [rows, 2 * width], scalars: gateUp),
                                    hidden: Tensor(shape: [rows, width], scalars: dh), rows: rows, width: width)
        let want = Self.numericalGradient(gateUp.map(Double.init)) { v in
            var total = 0.0
            for r in 0..<rows {
                for j in 0..<width {
                    total += Self.activation64(function, v[r * 2 * width + j]) * v[r * 2 * width + width + j]
                        * Double(dh[r * width + j])
                }
            }
            return total
        }
        Self.expectClose(out.scalars, want, tolerance: 2e-6, "gate and up gradients")
    }

    @Test func softcapDerivative() {
        let x = Self.random(20, seed: 9, scale: 4)
        var capped = Tensor(shape: [20], scalars: x)
        capped.softcap(3)
        var g = Tensor(shape: [20], repeating: 1)
        g.multiplyBySoftcapDerivative(3, capped: capped, count: 20)
        let want = x.map { v in 1 - pow(tanh(Double(v) / 3), 2) }
        Self.expectClose(g.scalars, want, tolerance: 1e-6, "soft cap")
    }

    // MARK: Rotary

    @Test func rotaryInverseIsTheTranspose() {
        // rows 4, two heads of 10 with 6 rotated components (partial rotary), row stride 23.
        let rows = 4, stride = 23, heads = 2, dHead = 10, dims = 6
        let half = dims / 2
        let angles = (0..<(rows * half)).map { Float($0) * 0.37 }
        let cos = Tensor(shape: [rows, half], scalars: angles.map { cosf($0) })
        let sin = Tensor(shape: [rows, half], scalars: angles.map { sinf($0) })
        let x = Self.random(rows * stride, seed: 10)
        let dy = Self.random(rows * stride, seed: 11)
        var y = Tensor(shape: [rows * stride], scalars: x)
        Rotary.apply(&y, offset: 1, rowStride: stride, rows: rows, heads: heads, headStride: dHead, dims: dims,
                     cos: cos, sin: sin, positions: RowPositions(length: rows))
        var g = Tensor(shape: [rows * stride], scalars: dy)
        Rotary.applyInverse(&g, offset: 1, rowStride: stride, rows: rows, heads: heads, headStride: dHead, dims: dims,
                            cos: cos, sin: sin, positions: RowPositions(length: rows))
        // ⟨dy, R x⟩ = ⟨Rᵀ dy, x⟩ for every x: check with the basis through linearity of the rotation.
        let lhs = zip(dy, y.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        let rhs = zip(g.scalars, x).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        #expect(abs(lhs - rhs) < 1e-5)
        // Untouched components pass through.
        #expect(g[flat: 0] == dy[0] && g[flat: 1 + dims] == dy[1 + dims])
    }

    // MARK: Attention

    static func attention64(
        q: [Double], k: [Double], v: [Double], length: Int, dHead: Int, causal: Bool, scale: Double,
        window: Int?, softcap: Double?
    ) -> [Double] {
        var z = [Double](repeating: 0, count: length * dHead)
        for i in 0..<length {
            let keys = causal ? i + 1 : length
            let first = causal && window != nil ? max(0, i + 1 - window!) : 0
            var s = [Double](repeating: -.infinity, count: length)
            for j in first..<keys {
                var dot = 0.0
                for d in 0..<dHead { dot += q[i * dHead + d] * k[j * dHead + d] }
                var value = dot / scale
                if let cap = softcap { value = cap * tanh(value / cap) }
                s[j] = value
            }
            let m = s.max()!
            let e = s.map { $0 == -.infinity ? 0 : exp($0 - m) }
            let total = e.reduce(0, +)
            for j in first..<keys {
                for d in 0..<dHead { z[i * dHead + d] += e[j] / total * v[j * dHead + d] }
            }
        }
        return z
    }

    @Test(arguments: [(true, nil, nil), (true, 3, nil), (true, nil, 1.5), (false, nil, nil)] as [(Bool, Int?, Float?)])
    func attentionBackward(causal: Bool, window: Int?, softcap: Float?) {
        let length = 6, dHead = 4, scale: Float = 2
        let n = length * dHead
        // q, k, v in one buffer with row stride 3·dHead, as the ungrouped activations.
        let qkv = Self.random(3 * n, seed: 12)
        let dz = Self.random(n, seed: 13)
        func split(_ all: [Double]) -> ([Double], [Double], [Double]) {
            var q = [Double](), k = [Double](), v = [Double]()
            for t in 0..<length {
                let base: Int = t * 3 * dHead
                for d in 0..<dHead {
                    q.append(all[base + d])
                    k.append(all[base + dHead + d])
                    v.append(all[base + 2 * dHead + d])
                }
            }
            return (q, k, v)
        }
        let t = Tensor(shape: [length, 3 * dHead], scalars: qkv)
        let op = { (o: Int) in Attention.Operand(offset: o, rowStride: 3 * dHead) }
        var pattern = Tensor(shape: [0])
        var z = Tensor(shape: [length, dHead])
        Attention.head(q: t, op(0), k: t, op(dHead), v: t, op(2 * dHead), batch: 1, length: length, dHead: dHead,
                       causal: causal, scale: scale, window: window, softcap: softcap, pattern: &pattern,
                       patternOffset: nil, z: &z, .init(offset: 0, rowStride: dHead))
        let (q0, k0, v0) = split(qkv.map(Double.init))
        let z64 = Self.attention64(q: q0, k: k0, v: v0, length: length, dHead: dHead, causal: causal,
                                   scale: Double(scale), window: window, softcap: softcap.map(Double.init))
        Self.expectClose(z.scalars, z64, tolerance: 1e-6, "forward")

        var grad = Tensor(shape: [length, 3 * dHead], repeating: 9)
        Attention.headBackward(q: t, op(0), k: t, op(dHead), v: t, op(2 * dHead),
                               dz: Tensor(shape: [length, dHead], scalars: dz), .init(offset: 0, rowStride: dHead),
                               batch: 1, length: length, dHead: dHead, causal: causal, scale: scale,
                               window: window, softcap: softcap, into: &grad, dq: op(0), dk: op(dHead), dv: op(2 * dHead))
        let want = Self.numericalGradient(qkv.map(Double.init)) { all in
            let (q, k, v) = split(all)
            return zip(Self.attention64(q: q, k: k, v: v, length: length, dHead: dHead, causal: causal,
                                        scale: Double(scale), window: window, softcap: softcap.map(Double.init)), dz)
                .reduce(0) { $0 + $1.0 * Double($1.1) }
        }
        Self.expectClose(grad.scalars, want, tolerance: 2e-6, "q, k, v gradients")
    }
}
