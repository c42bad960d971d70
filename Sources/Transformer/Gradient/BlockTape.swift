import Tensor

/// What one block's forward pass keeps for its backward (llm.c keeps its activations the same way). Row r of every
/// `[rows, *]` tensor is token row r of the batch (`b·length + t`). Attention patterns are not kept: the backward
/// recomputes them from q and k (`Attention.headBackward`), so a tape grows linearly with the sequence length.
public struct BlockTape: Sendable {
    /// `[rows, dModel]`: the block's input, resid_pre — what every head's q, k and v input copy normalises
    /// (TransformerLens `hook_{q,k,v}_input`) and, under a parallel residual, the MLP's input too.
    var input = Tensor(shape: [0])
    /// `[rows, 3·nHeads·dHead]`: every head's q and k (after rotary) and v, in the ungrouped layout of
    /// `HeadInputLayout`.
    var qkv = Tensor(shape: [0])
    /// `[rows, dModel]`: Σ_h z_h·W_O[h] + b_O before Gemma 2's post-attention norm (empty without that norm).
    var attentionPreNorm = Tensor(shape: [0])
    /// `[rows, dModel]`: the MLP's input, resid_mid (`hook_mlp_in`; empty under a parallel residual, where it is
    /// `input`).
    var mlpInput = Tensor(shape: [0])
    /// `[rows, dMLP]` (gated: `[rows, 2·dMLP]`, gate | up): the MLP's input projection before the activation.
    var mlpPreActivation = Tensor(shape: [0])
    /// `[rows, dModel]`: the MLP's output before Gemma 2's post-MLP norm (empty without that norm).
    var mlpPreNorm = Tensor(shape: [0])
    /// Whether the heads' outputs (or the MLP's) were replaced by constants: no gradient flows into their inputs.
    var headsReplaced = false
    var mlpReplaced = false
    /// The last layer is computed at the read rows only: then these are its token rows, and `attentionPreNorm`,
    /// `mlpInput`, `mlpPreActivation` and `mlpPreNorm` hold those rows alone, in this order (`input` and `qkv`
    /// keep every row: keys and values are read at every position).
    var compactRows: [Int]?

    public init() {}

    /// Floats held.
    public var floatCount: Int {
        input.count + qkv.count + attentionPreNorm.count + mlpInput.count + mlpPreActivation.count + mlpPreNorm.count
    }

    /// Floats one block's tape holds for `rows` rows of `config`.
    public static func floatCount(config c: ModelConfig, rows: Int) -> Int {
        var n = rows * (c.dModel + 3 * c.dAttention)
        if c.sandwichNorms { n += rows * c.dModel * (c.hasMLP ? 2 : 1) }
        if c.hasMLP {
            n += rows * (c.gatedMLP ? 2 : 1) * c.dMLP
            if !c.parallelResidual { n += rows * c.dModel }
        }
        return n
    }
}

/// What a forward pass keeps for the backward: every block's tape and the final residual at the read rows.
public struct ForwardTape: Sendable {
    /// Prompts and tokens per prompt of the batch that made it.
    public internal(set) var batch = 0
    public internal(set) var length = 0
    var layers: [BlockTape] = []
    /// The token row of each read row (`b·length + position`), prompt by prompt.
    public internal(set) var readRows: [Int] = []
    /// `[readRows, dModel]`: the final residual stream at the read rows, before the final normalisation.
    var finalInput = Tensor(shape: [0])
    /// `[readRows, dVocabOut]`: the logits at the read rows (after Gemma 2's soft cap).
    public internal(set) var logits = Tensor(shape: [0])

    public init() {}

    /// Bytes held.
    public var byteCount: Int {
        (layers.reduce(0) { $0 + $1.floatCount } + finalInput.count + logits.count) * MemoryLayout<Float>.size
    }

    /// Keeps `other`'s tapes of layers below `layer` (sharing their storage): a pass that starts at `layer` reuses
    /// them for its backward.
    public mutating func shareLayers(below layer: Int, of other: ForwardTape) {
        precondition(other.layers.count >= layer, "ForwardTape: the source has \(other.layers.count) layers")
        if layers.count < other.layers.count { layers += Array(repeating: BlockTape(), count: other.layers.count - layers.count) }
        for l in 0..<layer { layers[l] = other.layers[l] }
        batch = other.batch
        length = other.length
    }
}
