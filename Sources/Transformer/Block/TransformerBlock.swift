import Tensor

/// One transformer block of any supported family, built from its weights and the configuration: the only code that
/// knows how a block's weights are laid out and what a block computes. Every engine — the forward runner, the
/// edge-patching executor, path patching, activation patching, composition scores — computes through it.
///
/// A block is pre-normalised and reads and writes the residual stream:
///
///     sequential (GPT-2, Llama, Qwen2, Gemma 2):  h = x + post₁(attn(norm₁(x)));  x' = h + post₂(mlp(norm₂(h)))
///     parallel (GPT-NeoX/Pythia):                 x' = x + attn(norm₁(x)) + mlp(norm₂(x))
///
/// where post₁, post₂ are Gemma 2's sandwich norms (identity elsewhere). The pieces are offered separately because
/// the engines recompute them separately: each head's q, k and v from its own (patched) input, each head's output
/// `z_h · W_O[h]` as a sender of its own, the MLP from its own input. Kernels are the Tensor module's; products go
/// through a `MatrixProductLog` so that benchmarks can count them. Each forward computation is written so that a
/// backward can sit beside it (llm.c's `*_forward` / `*_backward` pairing).
public struct TransformerBlock: Sendable {
    /// The block's index in the model.
    public let layer: Int
    /// Where each head's q, k, v sit in weights and activations.
    public let layout: HeadInputLayout
    public let dModel: Int
    public let dMLP: Int
    /// Whether the block has an MLP.
    public let hasMLP: Bool
    /// Whether the MLP reads the block's input (GPT-NeoX's parallel residual) rather than the attention's output.
    public let parallelResidual: Bool
    /// The normalisation before attention (`ln_1`, `input_layernorm`).
    public let attentionNorm: Normalizer
    /// The normalisation before the MLP (`ln_2`, `post_attention_layernorm` in Llama's naming).
    public let mlpNorm: Normalizer
    /// Gemma 2's normalisation of the attention output (nil elsewhere).
    public let postAttentionNorm: Normalizer?
    /// Gemma 2's normalisation of the MLP output (nil elsewhere).
    public let postMLPNorm: Normalizer?

    let weights: BlockWeights
    let rotary: RotaryTable?
    let activation: ActivationFunction
    let gated: Bool
    let causal: Bool
    let scale: Float
    let window: Int?
    let softcap: Float?

    init(layer: Int, config c: ModelConfig, weights: BlockWeights, rotary: RotaryTable?) {
        self.layer = layer
        self.layout = HeadInputLayout(config: c)
        self.dModel = c.dModel
        self.dMLP = c.dMLP
        self.hasMLP = c.hasMLP
        self.parallelResidual = c.parallelResidual
        self.attentionNorm = Normalizer(kind: c.normalization, weight: weights.ln1Weight, bias: weights.ln1Bias,
                                        epsilon: c.layerNormEpsilon, width: c.dModel)
        self.mlpNorm = Normalizer(kind: c.normalization, weight: weights.ln2Weight, bias: weights.ln2Bias,
                                  epsilon: c.layerNormEpsilon, width: c.dModel)
        self.postAttentionNorm = c.sandwichNorms ? Normalizer(
            kind: c.normalization, weight: weights.postAttentionNormWeight, bias: .absent,
            epsilon: c.layerNormEpsilon, width: c.dModel) : nil
        self.postMLPNorm = c.sandwichNorms && c.hasMLP ? Normalizer(
            kind: c.normalization, weight: weights.postMLPNormWeight, bias: .absent,
            epsilon: c.layerNormEpsilon, width: c.dModel) : nil
        self.weights = weights
        self.rotary = rotary
        self.activation = c.activation.kernel
        self.gated = c.gatedMLP
        self.causal = c.causal
        self.scale = c.attentionScale
        self.window = c.attentionWindow(layer: layer)
        self.softcap = c.attentionSoftcap
    }

    public var nHeads: Int { layout.nHeads }
    public var dHead: Int { layout.dHead }

    /// Whether a head's output reaches the residual stream as the sum of per-head terms z_h·W_O[h] (false under
    /// Gemma 2's post-attention norm, which normalises the sum of the heads).
    public var headOutputsAreAdditive: Bool { postAttentionNorm == nil }

    /// `[dModel]`: b_O, which stays with the residual stream (no graph node owns it), or empty.
    public var attentionOutputBias: Tensor { weights.outBias }

    // MARK: Weights for weight-based analysis

    /// `[dModel, dHead]`: W_Q[h], W_K[h] or W_V[h] of query head `head` (under grouping, its key/value head's).
    public func headWeight(_ input: HeadInput, head: Int) -> Tensor {
        let column = layout.weightColumn(input, head: head)
        var out = Tensor(shape: [dModel, dHead])
        out.copyBlocks(from: weights.qkvWeight, sourceOffset: column, sourceStride: layout.weightWidth,
                       offset: 0, stride: dHead, blockLength: dHead, blocks: dModel)
        return out
    }

    /// `[dHead, dModel]`: W_O[h].
    public func headOutputWeight(head: Int) -> Tensor {
        let start = head * dHead * dModel
        var out = Tensor(shape: [dHead, dModel])
        out.copy(from: weights.outWeight, range: 0..<(dHead * dModel), otherOffset: start)
        return out
    }
}

extension ModelConfig.Activation {
    /// The Tensor module's kernel for this activation.
    public var kernel: ActivationFunction {
        switch self {
        case .gelu: .gelu
        case .geluNew: .geluNew
        case .relu: .relu
        case .silu: .silu
        }
    }
}
