import Foundation

/// Derivatives of the MLP nonlinearities, for the backward pass. Each is the derivative of exactly the function
/// `apply(_:)` evaluates:
///
/// * `geluNew`, y = x·σ(2a) with a = √(2/π)(x + 0.044715x³): y' = σ(2a) + x·σ(2a)(1 − σ(2a))·2√(2/π)(1 + 3·0.044715x²);
/// * `gelu`, y = x·Φ(x): y' = Φ(x) + x·φ(x), φ the standard normal density;
/// * `relu`: 1 for x > 0, else 0 (PyTorch's choice at 0);
/// * `silu`, y = x·σ(x): y' = σ(x)(1 + x(1 − σ(x))).
extension ActivationFunction {
    /// (f(x), f'(x)) for four lanes.
    @inline(__always)
    func valueAndDerivative(_ x: FastMath.V) -> (FastMath.V, FastMath.V) {
        switch self {
        case .geluNew:
            let c: Float = 0.7978845608028654
            let x2 = x * x
            let a = c * (x + 0.044715 * x2 * x)
            let s = 1 / (1 + FastMath.exp(-2 * a))
            let da = 2 * c * (1 + 3 * 0.044715 * x2)
            return (x * s, s + x * s * (1 - s) * da)
        case .silu:
            let s = 1 / (1 + FastMath.exp(-x))
            return (x * s, s * (1 + x * (1 - s)))
        case .gelu, .relu:
            var value = FastMath.V(), slope = FastMath.V()
            for lane in 0..<FastMath.width {
                let (v, d) = scalarValueAndDerivative(x[lane])
                value[lane] = v
                slope[lane] = d
            }
            return (value, slope)
        }
    }

    /// (f(x), f'(x)) for one value.
    @inline(__always)
    func scalarValueAndDerivative(_ x: Float) -> (Float, Float) {
        switch self {
        case .gelu:
            let phi = 0.5 * (1 + erff(x * 0.7071067811865476))
            let density = expf(-0.5 * x * x) * 0.3989422804014327
            return (x * phi, phi + x * density)
        case .relu:
            return x > 0 ? (x, 1) : (0, 0)
        case .geluNew, .silu:
            let (v, d) = valueAndDerivative(FastMath.V(repeating: x))
            return (v[0], d[0])
        }
    }
}

extension Tensor {
    /// `self[i] *= f'(pre[i])` for the first `count` elements: the upstream gradient (in `self`) times the
    /// activation's derivative at its input `pre` (same layout).
    public mutating func multiplyByDerivative(of function: ActivationFunction, at pre: Tensor, count: Int) {
        precondition(count <= self.count && count <= pre.count, "multiplyByDerivative: \(count) elements")
        withUnsafeMutableBufferPointer { gp in
            pre.withUnsafeBufferPointer { xp in
                guard let g = gp.baseAddress, let x = xp.baseAddress else { return }
                let base = (g: Int(bitPattern: g), x: Int(bitPattern: x))
                // Groups of four lanes shared between the workers (the backward's own elementwise work, millions of
                // elements per layer); each element is computed the same way on any worker.
                let groups = count / FastMath.width
                Workers.forEachPart(groups, work: count) { part in
                    let g = UnsafeMutablePointer<Float>(bitPattern: base.g)!, x = UnsafePointer<Float>(bitPattern: base.x)!
                    for i in stride(from: part.lowerBound * FastMath.width, to: part.upperBound * FastMath.width,
                                    by: FastMath.width) {
                        let (_, d) = function.valueAndDerivative(FastMath.load(x, i))
                        FastMath.store(FastMath.load(g, i) * d, g, i)
                    }
                }
                for i in (groups * FastMath.width)..<count {
                    g[i] *= function.scalarValueAndDerivative(x[i]).1
                }
            }
        }
    }

    /// The gated MLP's backward (`gatedActivation`'s): from the pre-activations `gateUp` (`[rows, 2·width]`, rows
    /// `[gate | up]` before the activation) and the hidden layer's gradient `hidden` (`[rows, width]`), writes
    /// `[d gate | d up]` into the first `rows·2·width` elements of `self`:
    ///
    ///     d gate = dh ⊙ up ⊙ f'(gate),   d up = dh ⊙ f(gate)
    public mutating func gatedActivationBackward(
        _ function: ActivationFunction, gateUp: Tensor, hidden: Tensor, rows: Int, width: Int
    ) {
        precondition(gateUp.count >= rows * 2 * width && hidden.count >= rows * width && count >= rows * 2 * width,
                     "gatedActivationBackward: sizes")
        withUnsafeMutableBufferPointer { op in
            gateUp.withUnsafeBufferPointer { xp in
                hidden.withUnsafeBufferPointer { hp in
                    guard let po = op.baseAddress, let px = xp.baseAddress, let ph = hp.baseAddress else { return }
                    let base = (o: Int(bitPattern: po), x: Int(bitPattern: px), h: Int(bitPattern: ph))
                    // Rows shared between the workers, each computed the same way on any of them.
                    Workers.forEachPart(rows, work: rows * width) { range in
                    let o = UnsafeMutablePointer<Float>(bitPattern: base.o)!
                    let x = UnsafePointer<Float>(bitPattern: base.x)!, h = UnsafePointer<Float>(bitPattern: base.h)!
                    for r in range {
                        let gi = r * 2 * width, ui = gi + width, hi = r * width
                        var j = 0
                        while j + FastMath.width <= width {
                            let (value, slope) = function.valueAndDerivative(FastMath.load(x, gi + j))
                            let dh = FastMath.load(h, hi + j)
                            FastMath.store(dh * FastMath.load(x, ui + j) * slope, o, gi + j)
                            FastMath.store(dh * value, o, ui + j)
                            j += FastMath.width
                        }
                        while j < width {
                            let (value, slope) = function.scalarValueAndDerivative(x[gi + j])
                            let dh = h[hi + j]
                            o[gi + j] = dh * x[ui + j] * slope
                            o[ui + j] = dh * value
                            j += 1
                        }
                    }
                    }
                }
            }
        }
    }

    /// The soft cap's backward: `self[i] *= 1 − (capped[i] / cap)²` for the first `count` elements, where `capped`
    /// holds the forward's outputs cap·tanh(x / cap) (so that (capped / cap)² = tanh²).
    public mutating func multiplyBySoftcapDerivative(_ cap: Float, capped: Tensor, count: Int) {
        precondition(count <= self.count && count <= capped.count, "multiplyBySoftcapDerivative: \(count) elements")
        withUnsafeMutableBufferPointer { g in
            capped.withUnsafeBufferPointer { y in
                for i in 0..<count {
                    let t = y[i] / cap
                    g[i] *= 1 - t * t
                }
            }
        }
    }
}
