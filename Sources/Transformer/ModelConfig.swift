/// The shape and architecture of a decoder-only transformer: everything the block layer needs to run one.
///
/// One type serves every supported family — GPT-2, Llama/Mistral, Qwen2, GPT-NeoX/Pythia, Gemma 2, the tracr
/// models of ACDC and the project's own small models. Each family's `config.json` dialect is decoded by its
/// architecture file in `Architectures/` (registered by `model_type` in `ModelArchitecture.swift`); the fields below
/// are what those files agree on. Defaults are GPT-2's.
public struct ModelConfig: Sendable, Equatable, Hashable {
    /// The MLP nonlinearity (for gated MLPs: the gate's).
    public enum Activation: String, Sendable, Hashable, CaseIterable {
        /// Exact GELU, `x·Φ(x)` (PyTorch `gelu`; GPT-NeoX/Pythia).
        case gelu
        /// GPT-2's tanh approximation (`gelu_new`, also `gelu_pytorch_tanh` as in Gemma).
        case geluNew = "gelu_new"
        case relu
        /// `x·σ(x)` (Llama, Qwen2).
        case silu
    }

    /// How a block normalises the residual stream before reading it.
    public enum Normalization: String, Sendable, Hashable, CaseIterable {
        /// LayerNorm with scale and shift (GPT-2, GPT-NeoX).
        case layerNorm = "layer_norm"
        /// RMSNorm with a scale only (Llama, Qwen2, Gemma; Gemma's `1 + w` folded into the scale at load).
        case rmsNorm = "rms_norm"
        /// None (tracr).
        case none
    }

    /// Where position information enters.
    public enum PositionEncoding: Sendable, Hashable {
        /// A learned table added to the token embedding (GPT-2, tracr).
        case learned
        /// Rotary embeddings of queries and keys after projection.
        case rotary(RotaryConfig)
    }

    /// Which model family, by its Hugging Face `model_type` (`gpt2`, `llama`, `qwen2`, `gpt_neox`, `gemma2`), or
    /// `transformer_lens` for TransformerLens-style exports such as the tracr models.
    public var architecture: String
    /// Number of transformer blocks.
    public var nLayers: Int
    /// Residual stream width.
    public var dModel: Int
    /// Query heads per block.
    public var nHeads: Int
    /// Key/value heads per block (grouped-query attention: query head h reads key/value head
    /// `h / (nHeads / nKVHeads)`, Hugging Face's `repeat_kv`); equals `nHeads` without grouping.
    public var nKVHeads: Int
    /// Width of one head's query, key and value.
    public var dHead: Int
    /// Hidden width of the MLP (of each of gate and up for gated MLPs); 0 with `attentionOnly`.
    public var dMLP: Int
    /// Maximum sequence length (rows of a learned position table; rotary tables are built this long).
    public var nCtx: Int
    /// Input vocabulary size (rows of the token embedding).
    public var dVocab: Int
    /// Output vocabulary size (columns of the unembedding); equals `dVocab` except for tracr.
    public var dVocabOut: Int
    public var activation: Activation
    /// Gated MLP (`down(act(gate(x)) ⊙ up(x))`, SwiGLU/GeGLU) instead of `out(act(in(x)))`.
    public var gatedMLP: Bool
    public var normalization: Normalization
    /// ε of every normalisation.
    public var layerNormEpsilon: Float
    /// Causal (language models) or bidirectional (tracr) attention.
    public var causal: Bool
    /// Blocks without an MLP.
    public var attentionOnly: Bool
    /// Whether the unembedding is the token embedding (tied `lm_head`).
    public var tiedEmbeddings: Bool
    /// Whether the unembedding has a bias `b_U`.
    public var unembedBias: Bool
    /// Whether circuit graphs treat token and position embeddings as two sender nodes (`embed`, `pos_embed`), as
    /// ACDC does for tracr, instead of one (`embed`).
    public var separatePositionEmbedding: Bool
    /// The divisor of attention scores: `sqrt(dHead)` unless a config says otherwise (Gemma 2:
    /// `sqrt(query_pre_attn_scalar)`).
    public var attentionScale: Float
    public var positionEncoding: PositionEncoding
    /// GPT-NeoX's parallel residual: attention and MLP of a block both read the block's input,
    /// `x + attn(ln1(x)) + mlp(ln2(x))`, so the MLP does not see its own layer's heads.
    public var parallelResidual: Bool
    /// Gemma 2's soft caps of attention scores and of the final logits (nil: none).
    public var attentionSoftcap: Float?
    public var finalLogitSoftcap: Float?
    /// Sliding-window attention: the window, and per layer whether it applies (Gemma 2 alternates; Mistral and
    /// Qwen2 may use it everywhere). Empty when no layer slides.
    public var slidingWindow: Int?
    public var slidingLayers: [Bool]
    /// A factor applied to the token embedding (Gemma: `sqrt(dModel)`); 1 for everything else.
    public var embeddingScale: Float
    /// Gemma 2's extra normalisations of the attention output and of the MLP output before they join the residual.
    public var sandwichNorms: Bool
    /// Which projections carry biases (for the parameter count and random weights; the loader reads what the
    /// architecture maps).
    public var qkvBias: Bool
    public var outputBias: Bool
    public var mlpBias: Bool

    public init(
        nLayers: Int, dModel: Int, nHeads: Int, nKVHeads: Int? = nil, dHead: Int? = nil, dMLP: Int? = nil,
        nCtx: Int, dVocab: Int, dVocabOut: Int? = nil, activation: Activation = .geluNew, gatedMLP: Bool = false,
        layerNorm: Bool = true, normalization: Normalization? = nil, layerNormEpsilon: Float = 1e-5,
        causal: Bool = true, attentionOnly: Bool = false, tiedEmbeddings: Bool = true, unembedBias: Bool = false,
        separatePositionEmbedding: Bool = false, attentionScale: Float? = nil,
        positionEncoding: PositionEncoding = .learned, parallelResidual: Bool = false,
        attentionSoftcap: Float? = nil, finalLogitSoftcap: Float? = nil, slidingWindow: Int? = nil,
        slidingLayers: [Bool] = [], embeddingScale: Float = 1, sandwichNorms: Bool = false,
        qkvBias: Bool = true, outputBias: Bool = true, mlpBias: Bool = true, architecture: String = "gpt2"
    ) {
        self.architecture = architecture
        self.nLayers = nLayers
        self.dModel = dModel
        self.nHeads = nHeads
        self.nKVHeads = nKVHeads ?? nHeads
        let dHead = dHead ?? (nHeads > 0 ? dModel / nHeads : 0)
        self.dHead = dHead
        self.dMLP = attentionOnly ? 0 : (dMLP ?? 4 * dModel)
        self.nCtx = nCtx
        self.dVocab = dVocab
        self.dVocabOut = dVocabOut ?? dVocab
        self.activation = activation
        self.gatedMLP = gatedMLP
        self.normalization = normalization ?? (layerNorm ? .layerNorm : .none)
        self.layerNormEpsilon = layerNormEpsilon
        self.causal = causal
        self.attentionOnly = attentionOnly
        self.tiedEmbeddings = tiedEmbeddings
        self.unembedBias = unembedBias
        self.separatePositionEmbedding = separatePositionEmbedding
        self.attentionScale = attentionScale ?? Float(dHead).squareRoot()
        self.positionEncoding = positionEncoding
        self.parallelResidual = parallelResidual
        self.attentionSoftcap = attentionSoftcap
        self.finalLogitSoftcap = finalLogitSoftcap
        self.slidingWindow = slidingWindow
        self.slidingLayers = slidingLayers
        self.embeddingScale = embeddingScale
        self.sandwichNorms = sandwichNorms
        self.qkvBias = qkvBias
        self.outputBias = outputBias
        self.mlpBias = mlpBias
    }

    /// Whether every block has an MLP.
    public var hasMLP: Bool { !attentionOnly && dMLP > 0 }

    /// Whether the model normalises at all (LayerNorm or RMSNorm); setting false removes every normalisation.
    public var layerNorm: Bool {
        get { normalization != .none }
        set { normalization = newValue ? (normalization == .none ? .layerNorm : normalization) : .none }
    }

    /// Width of all query heads side by side: `nHeads · dHead`.
    public var dAttention: Int { nHeads * dHead }

    /// Whether positions come from a learned table added to the embedding.
    public var hasLearnedPositions: Bool { positionEncoding == .learned }

    /// Query heads sharing one key/value head.
    public var queriesPerKVHead: Int { nKVHeads > 0 ? nHeads / nKVHeads : 1 }

    /// The sliding window of `layer`'s attention, or nil when it sees every earlier position.
    public func attentionWindow(layer: Int) -> Int? {
        guard let slidingWindow, layer < slidingLayers.count, slidingLayers[layer] else { return nil }
        return slidingWindow
    }

    /// GPT-2 small (124M): 12 layers, 12 heads, d_model 768.
    public static let gpt2Small = ModelConfig(nLayers: 12, dModel: 768, nHeads: 12, nCtx: 1024, dVocab: 50257)

    /// Number of parameters, counting a tied unembedding once.
    public var parameterCount: Int {
        var n = dVocab * dModel + (hasLearnedPositions ? nCtx * dModel : 0)
        let norm = normalization == .none ? 0 : (normalization == .layerNorm ? 2 * dModel : dModel)
        let qkvWidth = (nHeads + 2 * nKVHeads) * dHead
        for _ in 0..<nLayers {
            n += norm + dModel * qkvWidth + (qkvBias ? qkvWidth : 0) + dAttention * dModel + (outputBias ? dModel : 0)
            if sandwichNorms { n += norm }
            if hasMLP {
                let inWidth = gatedMLP ? 2 * dMLP : dMLP
                n += norm + dModel * inWidth + dMLP * dModel + (mlpBias ? inWidth + dModel : 0)
                if sandwichNorms { n += norm }
            }
        }
        n += norm
        if !tiedEmbeddings { n += dModel * dVocabOut }
        if unembedBias { n += dVocabOut }
        return n
    }
}

/// Rotary embedding settings (Su et al. 2021), as Hugging Face's `rope_parameters`/`rope_theta` give them.
public struct RotaryConfig: Sendable, Hashable {
    /// How many leading components of each head rotate (`head_dim`, or GPT-NeoX's `rotary_pct · head_dim`).
    public var dims: Int
    /// The base θ of the frequencies θ^(−2i/dims).
    public var theta: Double
    /// Llama 3's frequency scaling (`rope_type: "llama3"`), nil for the default rotary embedding.
    public var llama3Scaling: Llama3RopeScaling?

    public init(dims: Int, theta: Double, llama3Scaling: Llama3RopeScaling? = nil) {
        self.dims = dims
        self.theta = theta
        self.llama3Scaling = llama3Scaling
    }
}

/// Llama 3.1's rotary frequency scaling (Hugging Face `_compute_llama3_parameters`): long wavelengths are divided by
/// `factor`, short ones kept, and the band between blended smoothly.
public struct Llama3RopeScaling: Sendable, Hashable {
    public var factor: Double
    public var lowFrequencyFactor: Double
    public var highFrequencyFactor: Double
    public var originalMaxPositionEmbeddings: Int

    public init(factor: Double, lowFrequencyFactor: Double, highFrequencyFactor: Double, originalMaxPositionEmbeddings: Int) {
        self.factor = factor
        self.lowFrequencyFactor = lowFrequencyFactor
        self.highFrequencyFactor = highFrequencyFactor
        self.originalMaxPositionEmbeddings = originalMaxPositionEmbeddings
    }
}
