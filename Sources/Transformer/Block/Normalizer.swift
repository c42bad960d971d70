import Tensor

/// One normalisation of the residual stream — LayerNorm, RMSNorm or none — with its parameters: what a block
/// applies before attention and before the MLP, what Gemma 2 applies after them, and the final normalisation.
public struct Normalizer: Sendable {
    public let kind: ModelConfig.Normalization
    /// `[width]` scale γ (empty for `.none`).
    public let weight: Tensor
    /// `[width]` shift β (LayerNorm only; empty otherwise).
    public let bias: Tensor
    public let epsilon: Float
    public let width: Int

    init(kind: ModelConfig.Normalization, weight: Tensor, bias: Tensor, epsilon: Float, width: Int) {
        // A model with normalisation whose weights for this position are absent (e.g. no MLP) normalises nothing.
        self.kind = weight.count == 0 ? .none : kind
        self.weight = weight
        self.bias = bias
        self.epsilon = epsilon
        self.width = width
    }

    /// Normalises `rows` rows of `input` starting at `inputRow` into `output` starting at `outputRow` (a copy for
    /// `.none`). `[.., width]` each.
    public func apply(
        _ input: Tensor, inputRow: Int = 0, rows: Int, into output: inout Tensor, outputRow: Int = 0
    ) {
        switch kind {
        case .layerNorm, .none:
            LayerNorm.apply(input, inputRow: inputRow, rows: rows, width: width,
                            weight: kind == .none ? .absent : weight, bias: kind == .none ? .absent : bias,
                            epsilon: epsilon, into: &output, outputRow: outputRow)
        case .rmsNorm:
            RMSNorm.apply(input, inputRow: inputRow, rows: rows, width: width, weight: weight, epsilon: epsilon,
                          into: &output, outputRow: outputRow)
        }
    }

    /// `[rows, width]`: the first-order change of the output at `x` for an input change `delta` — the Jacobian of
    /// the normalisation at each row applied to δ, with the scale taken from `x` and held fixed as TransformerLens's
    /// linearised direct path patching does (`δ / hook_scale` on folded weights):
    /// LayerNorm `γ ⊙ (δ − mean δ) / sqrt(var(x) + ε)`, RMSNorm `γ ⊙ δ / sqrt(mean(x²) + ε)`, none: δ.
    /// Computed in Double.
    public func linearizedChange(_ delta: Tensor, at x: Tensor) -> Tensor {
        guard kind != .none else { return delta }
        let rows = delta.count / max(width, 1)
        var out = [Float](repeating: 0, count: delta.count)
        for r in 0..<rows {
            let o = r * width
            var mean = 0.0, deltaMean = 0.0, squares = 0.0
            for j in 0..<width {
                mean += Double(x.scalars[o + j])
                deltaMean += Double(delta.scalars[o + j])
                squares += Double(x.scalars[o + j]) * Double(x.scalars[o + j])
            }
            mean /= Double(width)
            deltaMean /= Double(width)
            let scale: Double
            if kind == .layerNorm {
                var variance = 0.0
                for j in 0..<width {
                    let d = Double(x.scalars[o + j]) - mean
                    variance += d * d
                }
                scale = (variance / Double(width) + Double(epsilon)).squareRoot()
            } else {
                scale = (squares / Double(width) + Double(epsilon)).squareRoot()
                deltaMean = 0
            }
            for j in 0..<width {
                out[o + j] = Float((Double(delta.scalars[o + j]) - deltaMean) / scale * Double(weight.scalars[j]))
            }
        }
        return Tensor(shape: delta.shape, scalars: out)
    }
}
