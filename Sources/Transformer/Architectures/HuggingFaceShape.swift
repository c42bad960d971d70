/// The size keys every Hugging Face decoder configuration states (`LlamaConfig`, `Qwen2Config`, `GPTNeoXConfig`,
/// `Gemma2Config` share the names), decoded once for all of them; families add their own keys beside these.
struct HuggingFaceShapeKeys: Decodable {
    enum CodingKeys: String, CodingKey {
        case hiddenSize = "hidden_size", intermediateSize = "intermediate_size"
        case numHiddenLayers = "num_hidden_layers", numAttentionHeads = "num_attention_heads"
        case numKeyValueHeads = "num_key_value_heads", headDim = "head_dim", vocabSize = "vocab_size"
        case maxPositionEmbeddings = "max_position_embeddings", tieWordEmbeddings = "tie_word_embeddings"
        case hiddenAct = "hidden_act"
    }

    var hiddenSize, intermediateSize, numHiddenLayers, numAttentionHeads, numKeyValueHeads, headDim: Int?
    var vocabSize, maxPositionEmbeddings: Int?
    var tieWordEmbeddings: Bool?
    var hiddenAct: String?

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        hiddenSize = try c.decodeIfPresent(Int.self, forKey: .hiddenSize)
        intermediateSize = try c.decodeIfPresent(Int.self, forKey: .intermediateSize)
        numHiddenLayers = try c.decodeIfPresent(Int.self, forKey: .numHiddenLayers)
        numAttentionHeads = try c.decodeIfPresent(Int.self, forKey: .numAttentionHeads)
        numKeyValueHeads = try c.decodeIfPresent(Int.self, forKey: .numKeyValueHeads)
        headDim = try c.decodeIfPresent(Int.self, forKey: .headDim)
        vocabSize = try c.decodeIfPresent(Int.self, forKey: .vocabSize)
        maxPositionEmbeddings = try c.decodeIfPresent(Int.self, forKey: .maxPositionEmbeddings)
        tieWordEmbeddings = try c.decodeIfPresent(Bool.self, forKey: .tieWordEmbeddings)
        hiddenAct = try c.decodeIfPresent(String.self, forKey: .hiddenAct)
    }
}

/// The sizes of a Hugging Face decoder configuration, checked: required keys present, sizes positive, key/value
/// heads dividing the query heads, the head width given or dividing the residual width.
struct HuggingFaceShape {
    let hidden, intermediate, layers, heads, kvHeads, headDim, vocabulary, context: Int

    /// The family's defaults stand in for absent keys: `max_position_embeddings` and, for families whose
    /// `head_dim` has a default (Gemma 2: 256), `head_dim`.
    init(_ keys: HuggingFaceShapeKeys, defaultContext: Int, defaultHeadDim: Int? = nil, groupedHeads: Bool = true,
         file: String) throws {
        func need(_ value: Int?, _ key: String) throws -> Int {
            try ConfigValues.positive(ConfigValues.require(value, key, file: file), key, file: file)
        }
        hidden = try need(keys.hiddenSize, "hidden_size")
        intermediate = try need(keys.intermediateSize, "intermediate_size")
        layers = try need(keys.numHiddenLayers, "num_hidden_layers")
        heads = try need(keys.numAttentionHeads, "num_attention_heads")
        kvHeads = try ConfigValues.keyValueHeads(groupedHeads ? keys.numKeyValueHeads : nil, heads: heads, file: file)
        headDim = try ConfigValues.headWidth(
            explicit: keys.headDim ?? defaultHeadDim, width: hidden, heads: heads, widthKey: "hidden_size",
            headsKey: "num_attention_heads", file: file)
        vocabulary = try need(keys.vocabSize, "vocab_size")
        context = try ConfigValues.positive(keys.maxPositionEmbeddings ?? defaultContext, "max_position_embeddings", file: file)
    }
}
