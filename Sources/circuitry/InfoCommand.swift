import ArgumentParser
import Circuits
import Tensor
import Transformer

/// `circuitry info`: a model's configuration, parameter count and circuit-graph size.
struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Print a model's configuration, parameter count and circuit graph size.")

    @OptionGroup var modelOptions: ModelOptions

    func run() throws {
        let loaded = try modelOptions.load()
        print(Self.describe(loaded.model, location: loaded.location))
    }

    static func describe(_ model: TransformerModel, location: ModelResolver.Location) -> String {
        let c = model.config
        let graph = CircuitGraph(config: c)
        let headInputs = graph.nodes.filter { if case .headInput = $0.kind { true } else { false } }.count
        var rows: [(String, String)] = [
            ("model", model.source),
            ("folder", location.url.path),
            ("architecture", architecture(c)),
            ("layers", "\(c.nLayers)"),
            ("heads", "\(c.nHeads) per layer, d_head \(c.dHead)"
                + (c.nKVHeads == c.nHeads ? "" : ", \(c.nKVHeads) key/value heads (grouped-query attention)")),
            ("d_model", "\(c.dModel)"),
            ("mlp", c.hasMLP ? "d_mlp \(c.dMLP), \(c.gatedMLP ? "gated, " : "")\(c.activation.rawValue)" : "none (attention only)"),
            ("layer norm", normalization(c)),
            ("attention", attention(c)),
            ("positions", positions(c)),
            ("context", "\(c.nCtx) positions"),
            ("vocabulary", c.dVocab == c.dVocabOut ? "\(c.dVocab)" : "\(c.dVocab) in, \(c.dVocabOut) out"),
            ("unembedding", (c.tiedEmbeddings ? "tied to the token embedding" : "separate") + (c.unembedBias ? ", with bias" : "")),
            ("parameters", grouped(c.parameterCount)),
            ("graph nodes", "\(graph.senderCount) senders, \(graph.receiverCount) receivers (\(headInputs) head inputs)"),
            ("graph edges", grouped(graph.edgeCount)),
            ("edge formula", graph.edgeFormula),
            ("BLAS", "OpenBLAS \(BLAS.coreName), \(BLAS.threads) threads"),
        ]
        if c.separatePositionEmbedding { rows.insert(("embedding nodes", "embed and pos_embed apart"), at: 13) }
        if c.parallelResidual { rows.insert(("residual", "parallel (attention and MLP read the block input)"), at: 8) }
        let width = rows.map(\.0.count).max() ?? 0
        return rows.map { $0.0.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + $0.1 }
            .joined(separator: "\n")
    }

    /// The family and its Hugging Face `model_type`.
    static func architecture(_ c: ModelConfig) -> String {
        switch c.architecture {
        case "gpt2": "GPT-2 (gpt2)"
        case "llama": "Llama (llama)"
        case "mistral": "Mistral (mistral)"
        case "qwen2": "Qwen2 (qwen2)"
        case "gpt_neox": "GPT-NeoX / Pythia (gpt_neox)"
        case "gemma2": "Gemma 2 (gemma2): forward pass only, no circuit graph"
        case "transformer_lens": "TransformerLens export (tracr)"
        default: c.architecture
        }
    }

    static func normalization(_ c: ModelConfig) -> String {
        switch c.normalization {
        case .layerNorm: "LayerNorm, epsilon \(c.layerNormEpsilon)"
        case .rmsNorm: "RMSNorm, epsilon \(c.layerNormEpsilon)" + (c.sandwichNorms ? ", also after attention and MLP" : "")
        case .none: "no"
        }
    }

    static func attention(_ c: ModelConfig) -> String {
        var parts = [c.causal ? "causal" : "bidirectional"]
        if let window = c.slidingWindow {
            parts.append("sliding window \(window) in \(c.slidingLayers.filter { $0 }.count) of \(c.nLayers) layers")
        }
        if let cap = c.attentionSoftcap { parts.append("scores soft-capped at \(cap)") }
        return parts.joined(separator: ", ")
    }

    static func positions(_ c: ModelConfig) -> String {
        switch c.positionEncoding {
        case .learned: return "learned table"
        case let .rotary(r):
            let part = r.dims == c.dHead ? "" : " on \(r.dims) of \(c.dHead) components"
            let scaling = r.llama3Scaling == nil ? "" : ", Llama 3 scaling"
            return "rotary, theta \(r.theta)\(part)\(scaling)"
        }
    }

    /// 32491 → "32,491".
    static func grouped(_ n: Int) -> String {
        let s = String(n)
        var out = ""
        for (i, ch) in s.enumerated() {
            if i > 0 && (s.count - i) % 3 == 0 { out.append(",") }
            out.append(ch)
        }
        return out
    }
}
