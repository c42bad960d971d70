import Tensor

extension TransformerWeights {
    /// Random weights of the right shapes for `config`, reproducible from `seed`: matrices N(0, 0.02²) as GPT-2
    /// initialises them, biases N(0, 0.02²), normalisation scales 1 + N(0, 0.1²) and shifts N(0, 0.02²). Every
    /// family's layout is covered (grouped key/value heads, gated MLPs, RMSNorm without shifts, rotary models
    /// without a position table, Gemma 2's extra norms). For benchmarks and shape tests; never a stand-in for a
    /// trained model in a numeric reference test.
    public static func random(config c: ModelConfig, seed: UInt64) -> TransformerWeights {
        var g = SeededGenerator(seed: seed)
        func normal(_ shape: [Int], std: Float, mean: Float = 0) -> Tensor {
            let n = shape.reduce(1, *)
            var values = [Float](repeating: 0, count: n)
            for i in 0..<n { values[i] = mean + std * g.normal() }
            return Tensor(shape: shape, scalars: values)
        }
        func norm(_ present: Bool = true) -> (Tensor, Tensor) {
            guard present, c.normalization != .none else { return (.absent, .absent) }
            let scale = normal([c.dModel], std: 0.1, mean: 1)
            return (scale, c.normalization == .layerNorm ? normal([c.dModel], std: 0.02) : .absent)
        }
        func bias(_ width: Int, _ present: Bool) -> Tensor { present ? normal([width], std: 0.02) : .absent }
        let layout = HeadInputLayout(config: c)
        let wte = normal([c.dVocab, c.dModel], std: 0.02)
        let wpe = c.hasLearnedPositions ? normal([c.nCtx, c.dModel], std: 0.01) : .absent
        let inWidth = c.gatedMLP ? 2 * c.dMLP : c.dMLP
        var blocks: [BlockWeights] = []
        for _ in 0..<c.nLayers {
            let (l1w, l1b) = norm()
            let (l2w, l2b) = norm(c.hasMLP)
            blocks.append(BlockWeights(
                ln1Weight: l1w, ln1Bias: l1b,
                qkvWeight: normal([c.dModel, layout.weightWidth], std: 0.02),
                qkvBias: bias(layout.weightWidth, c.qkvBias),
                outWeight: normal([c.dAttention, c.dModel], std: 0.02), outBias: bias(c.dModel, c.outputBias),
                ln2Weight: l2w, ln2Bias: l2b,
                mlpInWeight: c.hasMLP ? normal([c.dModel, inWidth], std: 0.02) : .absent,
                mlpInBias: bias(inWidth, c.hasMLP && c.mlpBias),
                mlpOutWeight: c.hasMLP ? normal([c.dMLP, c.dModel], std: 0.02) : .absent,
                mlpOutBias: bias(c.dModel, c.hasMLP && c.mlpBias),
                postAttentionNormWeight: c.sandwichNorms ? norm().0 : .absent,
                postMLPNormWeight: c.sandwichNorms && c.hasMLP ? norm().0 : .absent))
        }
        let (fw, fb) = norm()
        let unembedding = c.tiedEmbeddings ? wte : normal([c.dVocabOut, c.dModel], std: 0.02)
        let ub = c.unembedBias ? normal([c.dVocabOut], std: 0.02) : Tensor(shape: [c.dVocabOut])
        return TransformerWeights(
            tokenEmbedding: wte, positionEmbedding: wpe, blocks: blocks, lnFinalWeight: fw, lnFinalBias: fb,
            unembedding: unembedding, unembeddingBias: ub)
    }
}

extension TransformerModel {
    /// A model of `config` with `TransformerWeights.random(config:seed:)`.
    public static func random(config: ModelConfig, seed: UInt64) -> TransformerModel {
        TransformerModel(config: config, weights: .random(config: config, seed: seed), source: "random(seed: \(seed))")
    }
}
