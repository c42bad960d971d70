import Foundation
import Testing
import Tensor
import Transformer
@testable import Circuits

/// The circuit machinery on every family the block layer runs (the Hugging Face reference models of
/// `TransformerTests/Fixtures/architectures`): the graph's edge count against its formula, the executor's
/// self-checks under every ablation, the executor's direct edges against the same patch spelled out with
/// interventions (an independent route through the runner), path patching through MLPs, activation patching's
/// end points and composition scores.
@Suite struct ArchitectureCircuitTests {
    static let families = ["llama", "qwen2", "gpt-neox", "stories260k"]

    static func model(_ name: String) throws -> TransformerModel {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        return try TransformerModel.load(
            directory: root.appendingPathComponent("TransformerTests/Fixtures/architectures/\(name)"))
    }

    /// Eight prompts of 12 tokens (seeded), their corruptions (three positions resampled), and per prompt the
    /// tokens whose logit difference the clean run raises most and least against the corrupted run.
    struct Prompts {
        var clean: [[Int]]
        var corrupted: [[Int]]
        var answer: [Int]
        var wrong: [Int]

        func perPrompt(_ logits: Tensor) -> [Double] {
            (0..<answer.count).map { b in Double(logits[b, 0, answer[b]]) - Double(logits[b, 0, wrong[b]]) }
        }

        func logitDifference(_ logits: Tensor) -> Double {
            perPrompt(logits).reduce(0, +) / Double(answer.count)
        }
    }

    static func prompts(_ model: TransformerModel) throws -> Prompts {
        var g = SeededGenerator(seed: 7)
        let vocabulary = model.config.dVocab
        let clean = (0..<8).map { _ in (0..<12).map { _ in 3 + g.uniform(vocabulary - 3) } }
        let corrupted = clean.map { prompt in
            var p = prompt
            for i in [2, 5, 9] { p[i] = 3 + g.uniform(vocabulary - 3) }
            return p
        }
        var runner = TransformerRunner(model: model)
        let a = try runner.run(TokenBatch(clean, config: model.config)).logits
        let b = try runner.run(TokenBatch(corrupted, config: model.config)).logits
        var answer: [Int] = [], wrong: [Int] = []
        for p in 0..<8 {
            let diff = (0..<vocabulary).map { a[p, 0, $0] - b[p, 0, $0] }
            answer.append(diff.indices.max { diff[$0] < diff[$1] }!)
            wrong.append(diff.indices.min { diff[$0] < diff[$1] }!)
        }
        return Prompts(clean: clean, corrupted: corrupted, answer: answer, wrong: wrong)
    }

    /// The stated formula: q/k/v of layer L have `1 + (H+1)·L` incoming edges each, MLP L `1 + H·(L+1) + L`
    /// (parallel residual: `1 + (H+1)·L`), resid_post `1 + L_total·(H+1)`.
    static func formulaEdgeCount(_ c: ModelConfig) -> Int {
        var n = 0
        for l in 0..<c.nLayers {
            n += 3 * c.nHeads * (1 + (c.nHeads + 1) * l)
            n += c.parallelResidual ? 1 + (c.nHeads + 1) * l : 1 + c.nHeads * (l + 1) + l
        }
        return n + 1 + c.nLayers * (c.nHeads + 1)
    }

    @Test(arguments: families)
    func edgeCountFollowsTheFormula(family: String) throws {
        let config = try Self.model(family).config
        let graph = CircuitGraph(config: config)
        #expect(graph.edgeCount == Self.formulaEdgeCount(config))
        if config.parallelResidual {
            // MLP L receives nothing from its own layer's heads.
            let mlp = try #require(graph.mlpInputReceiver(layer: 1))
            #expect(graph.edge(sender: graph.headSender(layer: 1, head: 0), receiver: mlp) == nil)
            #expect(graph.edge(sender: graph.headSender(layer: 0, head: 0), receiver: mlp) != nil)
        }
    }

    @Test(arguments: families, AblationKind.allCases)
    func selfChecksHold(family: String, ablation: AblationKind) throws {
        let model = try Self.model(family)
        let prompts = try Self.prompts(model)
        var executor = try EdgePatchingExecutor(
            model: model, clean: prompts.clean, corrupted: prompts.corrupted, reference: prompts.corrupted,
            ablation: ablation)
        try executor.selfCheck()
        // Ablating everything must move the logits (the checks would pass vacuously on a model that ignores input).
        let empty = executor.logits(keeping: .empty(executor.graph))
        #expect(empty.maxAbsDifference(executor.cleanLogits) > 1e-3)
    }

    /// The executor's single-edge and multi-edge ablations (path patching's `.residual` path) equal the same patch
    /// spelled out with runner interventions and the block layer's head projection (positional path patching at
    /// every position), for q, k and v receivers — with grouped-query attention, patching `a{L}.{H}.k` changes
    /// head H's keys alone.
    @Test(arguments: families)
    func executorEdgesEqualInterventions(family: String) throws {
        let model = try Self.model(family)
        let prompts = try Self.prompts(model)
        var patcher = try PathPatcher(model: model, clean: prompts.clean, corrupted: prompts.corrupted) {
            prompts.logitDifference($0)
        }
        let last = model.config.nLayers - 1
        let receivers: [PathPatchingReceiver] = [
            .heads([AttentionHead(layer: last, head: 1)], input: .q),
            .heads([AttentionHead(layer: last, head: 0), AttentionHead(layer: 1, head: 2)], input: .k),
            .heads([AttentionHead(layer: last, head: 3)], input: .v),
            .residPost,
        ]
        let senders = [AttentionHead(layer: 0, head: 1), AttentionHead(layer: 0, head: 2)]
        for receiver in receivers {
            let direct = try patcher.metric(senders: senders, receiver: receiver, path: .residual)
            let spelled = try patcher.metric(
                senders: senders, receiver: receiver, path: .residual, sourcePositions: .all,
                destinationPositions: .all)
            #expect(abs(direct - spelled) <= 1e-5 + 1e-5 * abs(direct), "\(family) \(receiver): \(direct) vs \(spelled)")
            #expect(abs(direct - patcher.cleanMetric) > 1e-6, "\(family) \(receiver) should matter")
            let through = try patcher.metric(senders: senders, receiver: receiver, path: .throughMLPs)
            #expect(through.isFinite)
        }
    }

    @Test(arguments: families)
    func activationPatchingEndPoints(family: String) throws {
        let model = try Self.model(family)
        let prompts = try Self.prompts(model)
        var patcher = try ActivationPatcher(
            model: model, clean: prompts.clean, corrupted: prompts.corrupted, readPositions: .last,
            metricName: "logit difference"
        ) { prompts.perPrompt($0) }
        let last = model.config.nLayers - 1
        // Denoising the whole final residual stream restores the clean run; noising it gives the corrupted one.
        let denoised = try patcher.patchedMetric(.residPost, cell: ActivationPatchCell(layer: last), direction: .denoise)
        let noised = try patcher.patchedMetric(.residPost, cell: ActivationPatchCell(layer: last), direction: .noise)
        for b in 0..<prompts.answer.count {
            #expect(abs(denoised[b] - patcher.cleanPerPrompt[b]) <= 1e-4)
            #expect(abs(noised[b] - patcher.corruptedPerPrompt[b]) <= 1e-4)
        }
        // Every head's q, k and v sweep runs (per query head, in the ungrouped view).
        for component in [ActivationComponent.q, .k, .v] {
            let result = try patcher.sweep(component, direction: .denoise)
            #expect(result.perPrompt.count == model.config.nLayers * model.config.nHeads)
            #expect(result.perPrompt.allSatisfy { row in row.allSatisfy { $0.isFinite } })
        }
    }

    @Test(arguments: families)
    func compositionScoresAreFinite(family: String) throws {
        let model = try Self.model(family)
        let weights = HeadWeights(model: model, processing: .transformerLensDefault)
        if model.config.normalization == .rmsNorm {
            // RMSNorm keeps the mean direction: TransformerLens folds the scale but centres nothing.
            #expect(!weights.processing.centerReadingWeights && !weights.processing.centerWritingWeights)
        }
        let table = try CompositionTable.compute(weights)
        for kind in CompositionKind.allCases {
            let dense = table.dense(kind: kind)
            #expect(dense.allSatisfy { $0.isFinite })
            #expect(table.statistics(kind: kind)?.count ?? 0 > 0)
        }
    }
}
