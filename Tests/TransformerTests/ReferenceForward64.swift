import Foundation
import Tensor
@testable import Transformer

/// An independent forward pass in Double, written from the model's weights and configuration alone (not through
/// the block layer), with every receiver of the circuit graph as its own input copy that can be perturbed: each
/// head's q, k and v input (TransformerLens split-qkv, per query head), each MLP input, the final residual. Its
/// central finite differences are the reference for the backward pass.
///
/// Covers every supported family: LayerNorm / RMSNorm / none, learned or rotary positions (full and partial,
/// rotate-half), grouped key/value heads, biases, causal and sliding-window masks, attention and final soft caps,
/// Gemma 2's embedding scale and sandwich norms, GELU variants, ReLU, SiLU and gated MLPs, parallel residuals.
struct ReferenceForward64 {
    enum Receiver: Hashable {
        case head(layer: Int, head: Int, input: Int)
        case mlp(layer: Int)
        case final
    }

    /// One block's parameters in Double; `[in, out]` matrices row-major, absent ones empty.
    struct Block64 {
        var ln1w, ln1b, qkvW, qkvB, outW, outB, ln2w, ln2b, inW, inB, mlpOutW, mlpOutB, postAttention, postMLP: [Double]
    }

    let model: TransformerModel
    let c: ModelConfig
    let blocks: [Block64]
    let tokenEmbedding, positionEmbedding, lnFinalWeight, lnFinalBias, unembedding, unembeddingBias: [Double]
    let rotaryCos, rotarySin: [Double]
    let rotaryDims: Int

    init(model: TransformerModel) {
        self.model = model
        self.c = model.config
        func d(_ t: Tensor) -> [Double] { t.scalars.map(Double.init) }
        blocks = model.weights.blocks.map { b in
            Block64(ln1w: d(b.ln1Weight), ln1b: d(b.ln1Bias), qkvW: d(b.qkvWeight), qkvB: d(b.qkvBias),
                    outW: d(b.outWeight), outB: d(b.outBias), ln2w: d(b.ln2Weight), ln2b: d(b.ln2Bias),
                    inW: d(b.mlpInWeight), inB: d(b.mlpInBias), mlpOutW: d(b.mlpOutWeight), mlpOutB: d(b.mlpOutBias),
                    postAttention: d(b.postAttentionNormWeight), postMLP: d(b.postMLPNormWeight))
        }
        let w = model.weights
        tokenEmbedding = d(w.tokenEmbedding)
        positionEmbedding = d(w.positionEmbedding)
        lnFinalWeight = d(w.lnFinalWeight)
        lnFinalBias = d(w.lnFinalBias)
        unembedding = d(w.unembedding)
        unembeddingBias = d(w.unembeddingBias)
        let table = RotaryTable(config: model.config)
        rotaryCos = table.map { d($0.cos) } ?? []
        rotarySin = table.map { d($0.sin) } ?? []
        rotaryDims = table?.dims ?? 0
    }

    func norm(_ x: [Double], kind: ModelConfig.Normalization, weight: [Double], bias: [Double]) -> [Double] {
        let d = c.dModel
        guard kind != .none, !weight.isEmpty else { return x }
        let eps = Double(c.layerNormEpsilon)
        var y = x
        for r in 0..<(x.count / d) {
            let row = Array(x[(r * d)..<((r + 1) * d)])
            let mean = kind == .layerNorm ? row.reduce(0, +) / Double(d) : 0
            let variance = row.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(d)
            let rstd = 1 / (variance + eps).squareRoot()
            for j in 0..<d {
                let b = kind == .layerNorm && !bias.isEmpty ? bias[j] : 0
                y[r * d + j] = (row[j] - mean) * rstd * weight[j] + b
            }
        }
        return y
    }

    /// `x [rows, k] · W[:, columns]` (+ bias[columns]), W stored `[k, n]`.
    func project(_ x: [Double], rows: Int, k: Int, weight: [Double], n: Int, columns: Range<Int>, bias: [Double]) -> [Double] {
        var y = [Double](repeating: 0, count: rows * columns.count)
        let width = columns.count
        // Unsafe buffers: this runs unoptimised in debug test builds, thousands of times.
        x.withUnsafeBufferPointer { xp in
            weight.withUnsafeBufferPointer { wp in
                y.withUnsafeMutableBufferPointer { yp in
                    for r in 0..<rows {
                        for o in 0..<width {
                            let col = columns.lowerBound + o
                            var s = bias.isEmpty ? 0 : bias[col]
                            for i in 0..<k { s += xp[r * k + i] * wp[i * n + col] }
                            yp[r * width + o] = s
                        }
                    }
                }
            }
        }
        return y
    }

    func activation(_ x: Double) -> Double {
        switch c.activation {
        case .geluNew: 0.5 * x * (1 + tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)))
        case .gelu: 0.5 * x * (1 + erf(x / 2.0.squareRoot()))
        case .relu: max(0, x)
        case .silu: x / (1 + exp(-x))
        }
    }

    func rotate(_ x: inout [Double], rows: Int, length: Int, dHead: Int) {
        guard rotaryDims > 0 else { return }
        let half = rotaryDims / 2
        for r in 0..<rows {
            let p = r % length
            for i in 0..<half {
                let cs = rotaryCos[p * half + i], sn = rotarySin[p * half + i]
                let a = x[r * dHead + i], b = x[r * dHead + i + half]
                x[r * dHead + i] = a * cs - b * sn
                x[r * dHead + i + half] = b * cs + a * sn
            }
        }
    }

    /// Σ_{read rows, v} seed[readRow, v] · logits[readRow, v], with `perturbation` added to its receiver's input.
    /// `residuals` (from `residuals(tokens:)`) lets the pass start at the perturbed receiver's layer.
    func objective(
        tokens: [[Int]], readPositions: [[Int]], seed: [Double], perturbation: (Receiver, [Double])? = nil,
        residuals: [[Double]]? = nil
    ) -> Double {
        let logits = logits(tokens: tokens, readPositions: readPositions, perturbation: perturbation, residuals: residuals)
        return zip(logits, seed).reduce(0) { $0 + $1.0 * $1.1 }
    }

    /// The unperturbed residual stream entering each layer, and after the last: `nLayers + 1` arrays.
    func residuals(tokens: [[Int]]) -> [[Double]] {
        var out: [[Double]] = []
        _ = logits(tokens: tokens, readPositions: tokens.map { _ in [] }, record: { out.append($0) })
        return out
    }

    /// `[readRows, dVocabOut]` logits.
    func logits(
        tokens: [[Int]], readPositions: [[Int]], perturbation: (Receiver, [Double])? = nil,
        residuals: [[Double]]? = nil, record: ([Double]) -> Void = { _ in }
    ) -> [Double] {
        let d = c.dModel, length = tokens[0].count, rows = tokens.count * length
        func perturbed(_ x: [Double], _ receiver: Receiver) -> [Double] {
            guard let (target, delta) = perturbation, target == receiver else { return x }
            return zip(x, delta).map { $0 + $1 }
        }
        var start = 0
        if residuals != nil, let (target, _) = perturbation {
            switch target {
            case .head(let layer, _, _), .mlp(let layer): start = layer
            case .final: start = c.nLayers
            }
        }
        var resid = [Double](repeating: 0, count: rows * d)
        if start > 0, let residuals { resid = residuals[start] } else {
        for (b, prompt) in tokens.enumerated() {
            for (t, token) in prompt.enumerated() {
                for j in 0..<d {
                    var e = tokenEmbedding[token * d + j] * Double(c.embeddingScale)
                    if c.hasLearnedPositions { e += positionEmbedding[t * d + j] }
                    resid[(b * length + t) * d + j] = e
                }
            }
        }
        }
        let layout = HeadInputLayout(config: c)
        let dh = c.dHead
        for l in start..<c.nLayers {
            let bw = blocks[l]
            let x = resid
            record(x)
            let shared = norm(x, kind: c.normalization, weight: bw.ln1w, bias: bw.ln1b)
            var attention = [Double](repeating: 0, count: rows * d)
            for r in 0..<rows { for j in 0..<d { attention[r * d + j] = bw.outB.isEmpty ? 0 : bw.outB[j] } }
            for h in 0..<c.nHeads {
                var qkv: [[Double]] = []
                for (index, input) in HeadInput.allCases.enumerated() {
                    let receiver = Receiver.head(layer: l, head: h, input: index)
                    let normed = perturbation?.0 == receiver
                        ? norm(perturbed(x, receiver), kind: c.normalization, weight: bw.ln1w, bias: bw.ln1b) : shared
                    let column = layout.weightColumn(input, head: h)
                    var projected = project(normed, rows: rows, k: d, weight: bw.qkvW, n: layout.weightWidth,
                                            columns: column..<(column + dh), bias: bw.qkvB)
                    if input != .v { rotate(&projected, rows: rows, length: length, dHead: dh) }
                    qkv.append(projected)
                }
                let z = attend(q: qkv[0], k: qkv[1], v: qkv[2], batch: tokens.count, length: length, layer: l)
                // z_h · W_O[h].
                let out = project(z, rows: rows, k: dh, weight: Array(bw.outW[(h * dh * d)..<((h + 1) * dh * d)]),
                                  n: d, columns: 0..<d, bias: [])
                for i in 0..<(rows * d) { attention[i] += out[i] }
            }
            if c.sandwichNorms {
                attention = norm(attention, kind: c.normalization, weight: bw.postAttention, bias: [])
            }
            let mid = zip(x, attention).map { $0 + $1 }
            resid = mid
            if c.hasMLP {
                let input = perturbed(c.parallelResidual ? x : mid, .mlp(layer: l))
                let out = mlp(norm(input, kind: c.normalization, weight: bw.ln2w, bias: bw.ln2b), rows: rows,
                              weights: bw)
                resid = zip(resid, out).map { $0 + $1 }
            }
        }
        record(resid)
        var finalRows: [Double] = []
        let residPost = perturbed(resid, .final)
        for (b, positions) in readPositions.enumerated() {
            for p in positions { finalRows += residPost[((b * length + p) * d)..<((b * length + p + 1) * d)] }
        }
        let normed = norm(finalRows, kind: c.normalization, weight: lnFinalWeight, bias: lnFinalBias)
        let reads = finalRows.count / d
        var logits = [Double](repeating: 0, count: reads * c.dVocabOut)
        normed.withUnsafeBufferPointer { np in
            unembedding.withUnsafeBufferPointer { up in
                for r in 0..<reads {
                    for v in 0..<c.dVocabOut {
                        var s = c.unembedBias ? unembeddingBias[v] : 0
                        for j in 0..<d { s += np[r * d + j] * up[v * d + j] }
                        if let cap = c.finalLogitSoftcap { s = Double(cap) * tanh(s / Double(cap)) }
                        logits[r * c.dVocabOut + v] = s
                    }
                }
            }
        }
        return logits
    }

    func attend(q: [Double], k: [Double], v: [Double], batch: Int, length: Int, layer: Int) -> [Double] {
        let dh = c.dHead
        var z = [Double](repeating: 0, count: batch * length * dh)
        let window = c.attentionWindow(layer: layer)
        for b in 0..<batch {
            for i in 0..<length {
                let keys = c.causal ? i + 1 : length
                let first = c.causal && window != nil ? max(0, i + 1 - window!) : 0
                var scores = [Double](repeating: 0, count: keys)
                for j in first..<keys {
                    var dot = 0.0
                    for e in 0..<dh { dot += q[(b * length + i) * dh + e] * k[(b * length + j) * dh + e] }
                    var s = dot / Double(c.attentionScale)
                    if let cap = c.attentionSoftcap { s = Double(cap) * tanh(s / Double(cap)) }
                    scores[j] = s
                }
                let m = scores[first..<keys].max()!
                let total = scores[first..<keys].reduce(0) { $0 + exp($1 - m) }
                for j in first..<keys {
                    let p = exp(scores[j] - m) / total
                    for e in 0..<dh { z[(b * length + i) * dh + e] += p * v[(b * length + j) * dh + e] }
                }
            }
        }
        return z
    }

    func mlp(_ normed: [Double], rows: Int, weights bw: Block64) -> [Double] {
        let d = c.dModel, m = c.dMLP
        let inWidth = c.gatedMLP ? 2 * m : m
        let pre = project(normed, rows: rows, k: d, weight: bw.inW, n: inWidth, columns: 0..<inWidth, bias: bw.inB)
        var hidden = [Double](repeating: 0, count: rows * m)
        for r in 0..<rows {
            for j in 0..<m {
                hidden[r * m + j] = c.gatedMLP
                    ? activation(pre[r * inWidth + j]) * pre[r * inWidth + m + j] : activation(pre[r * inWidth + j])
            }
        }
        var out = project(hidden, rows: rows, k: m, weight: bw.mlpOutW, n: d, columns: 0..<d, bias: bw.mlpOutB)
        if c.sandwichNorms { out = norm(out, kind: c.normalization, weight: bw.postMLP, bias: []) }
        return out
    }
}
