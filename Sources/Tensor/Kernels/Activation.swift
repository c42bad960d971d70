import Foundation

/// The MLP nonlinearities of the supported model families, applied in place.
public enum ActivationFunction: Sendable {
    /// GPT-2's `gelu_new` (also Gemma's `gelu_pytorch_tanh`): 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))),
    /// computed as the algebraically equal x / (1 + e^(−2a)) with a = √(2/π)·(x + 0.044715·x³), which needs one
    /// vectorised exp and no tanh.
    case geluNew
    /// Exact GELU, x·Φ(x) = 0.5·x·(1 + erf(x/√2)) (PyTorch `gelu`; GPT-NeoX/Pythia).
    case gelu
    case relu
    /// SiLU (swish), x·σ(x) = x / (1 + e^(−x)): the gate of Llama's and Qwen2's SwiGLU MLPs.
    case silu
}

extension Tensor {
    /// Applies `function` to the first `count` elements (all by default).
    public mutating func apply(_ function: ActivationFunction, count: Int? = nil) {
        apply(function, range: 0..<(count ?? self.count))
    }

    /// Applies `function` to the elements in `range`.
    public mutating func apply(_ function: ActivationFunction, range: Range<Int>) {
        precondition(range.upperBound <= count, "apply: \(range) of \(count) elements")
        withUnsafeMutableBufferPointer { p in
            guard let base = p.baseAddress else { return }
            var i = range.lowerBound
            let n = range.upperBound
            switch function {
            case .geluNew:
                let c: Float = 0.7978845608028654  // √(2/π)
                while i + FastMath.width <= n {
                    let x = FastMath.load(base, i)
                    let a = c * (x + 0.044715 * x * x * x)
                    FastMath.store(x / (1 + FastMath.exp(-2 * a)), base, i)
                    i += FastMath.width
                }
                while i < n {
                    let x = p[i]
                    let a = c * (x + 0.044715 * x * x * x)
                    p[i] = x / (1 + FastMath.exp(-2 * a))
                    i += 1
                }
            case .gelu:
                let r: Float = 0.7071067811865476
                for j in range { p[j] = 0.5 * p[j] * (1 + erff(p[j] * r)) }
            case .relu:
                for j in range where p[j] < 0 { p[j] = 0 }
            case .silu:
                while i + FastMath.width <= n {
                    let x = FastMath.load(base, i)
                    FastMath.store(x / (1 + FastMath.exp(-x)), base, i)
                    i += FastMath.width
                }
                while i < n {
                    p[i] = p[i] / (1 + FastMath.exp(-p[i]))
                    i += 1
                }
            }
        }
    }

    /// The gated MLP's hidden layer (Shazeer 2020, "GLU Variants Improve Transformer"; Llama's SwiGLU, Gemma's
    /// GeGLU): from `gateUp` rows `[gate | up]` (`[rows, 2·width]`, the fused product with W_gate | W_up) writes
    /// `act(gate) ⊙ up` into the first `rows·width` elements of `self` (`[rows, width]`). The gate's activation is
    /// applied in place, so `gateUp` holds `[act(gate) | up]` afterwards.
    public mutating func gatedActivation(
        _ function: ActivationFunction, gateUp: inout Tensor, rows: Int, width: Int
    ) {
        precondition(gateUp.count >= rows * 2 * width && count >= rows * width, "gatedActivation: sizes")
        for r in 0..<rows {
            gateUp.apply(function, range: (r * 2 * width)..<(r * 2 * width + width))
        }
        withUnsafeMutableBufferPointer { h in
            gateUp.withUnsafeBufferPointer { g in
                for r in 0..<rows {
                    let gi = r * 2 * width, hi = r * width
                    for j in 0..<width { h[hi + j] = g[gi + j] * g[gi + width + j] }
                }
            }
        }
    }

    /// Soft-capping as Gemma 2 applies it to attention scores and final logits: x ↦ cap·tanh(x / cap), on the first
    /// `count` elements (all by default).
    public mutating func softcap(_ cap: Float, count: Int? = nil) {
        let n = count ?? self.count
        precondition(n <= self.count, "softcap: \(n) elements of \(self.count)")
        withUnsafeMutableBufferPointer { p in
            for i in 0..<n { p[i] = tanhf(p[i] / cap) * cap }
        }
    }
}
