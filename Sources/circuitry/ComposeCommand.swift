import ArgumentParser
import Circuits
import Transformer

/// `circuitry compose`: weight-based Q-, K- and V-composition scores between attention heads (Elhage et al. 2021),
/// strongest links first, with the score random matrices of the same shapes would get.
struct ComposeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compose",
        abstract: "Rank head-to-head composition scores computed from the weights.",
        discussion: """
            The score of sender A and receiver B is ‖OV_A·M_B‖_F / (‖OV_A‖_F·‖M_B‖_F) with M_B = QK_B (q), QK_Bᵀ (k) \
            or OV_B (v), as TransformerLens's all_composition_scores; only A in an earlier layer than B. \
            The chance baseline is the mean score of random Gaussian heads of the same shapes. \
            σ₁ is the largest singular value of the virtual weight OV_A·M_B, eff. rank its effective rank \
            exp(entropy of σ/Σσ) (Roy and Vetterli 2007).
            """)

    @OptionGroup var modelOptions: ModelOptions

    @Option(name: .long, help: ArgumentHelp("Only links from this head (layer.head, e.g. 0.1).", valueName: "head"))
    var sender: String?

    @Option(name: .long, help: ArgumentHelp("Only links into this head (layer.head, e.g. 7.3).", valueName: "head"))
    var receiver: String?

    @Option(name: .long, help: ArgumentHelp("Only this kind of composition: q, k or v.", valueName: "kind"))
    var kind: CompositionKind?

    @Option(name: .long, help: "How many links to show.")
    var top: Int = 20

    @Flag(name: .customLong("fold-ln"), help: """
        Process the weights as TransformerLens's from_pretrained does: ln1 scale folded into W_Q/W_K/W_V, those \
        and W_O centred over d_model (no effect on models without LayerNorm).
        """)
    var foldLN = false

    @Option(name: .long, help: "Seed of the random heads behind the chance baseline.")
    var baselineSeed: UInt64 = 0

    @Flag(name: .long, help: "Print JSON instead of a table.")
    var json = false

    func validate() throws {
        if top < 0 { throw ValidationError("--top must be 0 or more, not \(top).") }
    }

    func run() throws {
        let loaded = try modelOptions.load()
        let model = loaded.model
        let weights = HeadWeights(model: model, processing: foldLN ? .transformerLensDefault : .none)
        let senderHead = try sender.map { try Self.head($0, option: "--sender", shape: weights.shape) }
        let receiverHead = try receiver.map { try Self.head($0, option: "--receiver", shape: weights.shape) }
        if let s = senderHead, let r = receiverHead, s.layer >= r.layer {
            throw ValidationError("--sender \(s) is not in an earlier layer than --receiver \(r); no head composes backwards.")
        }
        let senders = senderHead.map { Set([$0]) }
        let receivers = receiverHead.map { Set([$0]) }
        let kinds = kind.map { [$0] } ?? CompositionKind.allCases
        let table = try CompositionTable.compute(weights, kinds: kinds, senders: senders, receivers: receivers)
        if let bad = table.links(kinds: kinds, senders: senders, receivers: receivers).first(where: { !$0.score.isFinite }) {
            throw CLIError.refused(
                "the \(bad.kind.rawValue)-composition score of \(bad.sender) → \(bad.receiver) is \(bad.score): the "
                    + "weights of these heads hold NaN or infinity")
        }
        let baseline = try CompositionBaseline.sample(for: weights, seed: baselineSeed)
        var report = CompositionReport(
            model: model.source, table: table, baseline: baseline, kinds: kinds, senders: senders,
            receivers: receivers, top: top)
        try report.addSpectra(weights)
        print(json ? try JSONOutput.checked(report.json(), option: "--json") : report.text())
    }

    /// Parses `layer.head` (or `alayer.head`) and checks it exists.
    static func head(_ text: String, option: String, shape: HeadShape) throws -> AttentionHead {
        guard let head = AttentionHead(parsing: text) else {
            throw ValidationError("\(option) '\(text)': expected layer.head, e.g. 0.1.")
        }
        guard head.isValid(in: shape) else {
            throw ValidationError(
                "\(option) \(head): the model has layers 0–\(shape.nLayers - 1) with heads 0–\(shape.nHeads - 1).")
        }
        return head
    }
}

extension CompositionKind: ExpressibleByArgument {}
