import Foundation
import Testing
import Tensor
@testable import Transformer

/// The backward pass on every architecture against central finite differences of an independent Double-precision
/// forward (`ReferenceForward64`), receiver by receiver: for a random direction u of each receiver's input,
/// (L(x + h·u) − L(x − h·u)) / 2h against ⟨∂L/∂x, u⟩ from the Float backward, where L is a random linear function
/// of the logits at two read positions per prompt.
///
/// Step: h = 5e-5 on inputs of size ~1, in Double. The reference models' 2× query and key gains make L strongly
/// curved — a central difference at h = 1e-3 is 1% off for llama's a0.0.q, so there (h²/6)·L'''/L' ≈ 1e-2 — which
/// at h = 5e-5 leaves a truncation error of ~3e-5 of the derivative; rounding adds ~1e-16·|L|/h ≈ 1e-10. Both are
/// far inside the tolerance (2e-4 of the largest directional derivative of the model, plus 1e-3 relative), which
/// the Float backward's own error (~1e-6 relative) meets easily, so the test checks the backward, not the
/// differencing. The Double forward itself is checked against the Float forward's logits first.
@Suite struct GradientCheckTests {
    static let models: [String] = [
        "tiny-gpt2", "tracr-reverse", "architectures/llama", "architectures/qwen2", "architectures/gpt-neox",
        "architectures/gemma2", "architectures/stories260k",
    ]

    struct Setup {
        var model: TransformerModel
        var tokens: [[Int]]
        var reads: [[Int]]
        var seed: [Double]
    }

    static func setup(_ name: String, everyPosition: Bool = false) throws -> Setup {
        let model = try ForwardFixtures.model(name)
        let c = model.config
        var g = SeededGenerator(seed: 11)
        let length = min(5, c.nCtx)
        let tokens = (0..<2).map { _ in (0..<length).map { _ in g.uniform(c.dVocab) } }
        // Two read positions per prompt: the last layer runs at those rows only (`GradientRunner+LastLayer`);
        // reading every position runs it everywhere.
        let reads = everyPosition ? Array(repeating: Array(0..<length), count: 2) : [[length - 1, 2], [length - 1, 2]]
        let seed = (0..<(reads.joined().count * c.dVocabOut)).map { _ in Double(g.normal()) }
        return Setup(model: model, tokens: tokens, reads: reads, seed: seed)
    }

    @Test(arguments: models)
    func forwardMatchesTheRunnerAndTheDoubleReference(name: String) throws {
        let s = try Self.setup(name)
        let c = s.model.config
        let batch = try TokenBatch(s.tokens, config: c)
        var runner = TransformerRunner(model: s.model)
        let expected = try runner.run(batch, readPositions: .perPrompt(s.reads)).logits
        var gradient = GradientRunner(model: s.model)
        var tape = ForwardTape()
        var senders = Tensor(shape: [0])
        let logits = try gradient.forward(batch, readPositions: s.reads, tape: &tape, senders: &senders)
        // The same kernels; summing the heads one by one (to record each head's output, or to keep Gemma 2's
        // post-attention norm input) changes only the rounding.
        let magnitude = expected.scalars.map(abs).max() ?? 1
        #expect(logits.maxAbsDifference(expected) <= 1e-5 * magnitude, "\(name): the tape forward is the runner's")
        let recorded = try gradient.forward(batch, readPositions: s.reads, tape: &tape, senders: &senders, recording: .assign)
        #expect(recorded.maxAbsDifference(expected) <= 1e-5 * magnitude)
        let reference = ReferenceForward64(model: s.model).logits(tokens: s.tokens, readPositions: s.reads)
        let worst = zip(logits.scalars, reference).map { abs(Double($0) - $1) }.max() ?? 0
        #expect(worst <= 1e-4, "\(name): Double reference vs Float forward \(worst)")
    }

    static let cases: [(String, Bool)] = models.map { ($0, false) } + [("tiny-gpt2", true), ("architectures/gpt-neox", true)]

    @Test(arguments: cases)
    func receiverGradientsMatchFiniteDifferences(name: String, everyPosition: Bool) throws {
        let s = try Self.setup(name, everyPosition: everyPosition)
        let c = s.model.config
        let d = c.dModel
        let batch = try TokenBatch(s.tokens, config: c)
        var runner = GradientRunner(model: s.model)
        var tape = ForwardTape()
        var senders = Tensor(shape: [0])
        try runner.forward(batch, readPositions: s.reads, tape: &tape, senders: &senders)
        var gradients: [ReferenceForward64.Receiver: [Float]] = [:]
        let rows = batch.rows
        let seed = Tensor(shape: [tape.readRows.count, c.dVocabOut], scalars: s.seed.map(Float.init))
        runner.backward(tape, logitGradient: seed) { received in
            switch received {
            case let .final(g, readRows):
                var full = [Float](repeating: 0, count: rows * d)
                for (i, row) in readRows.enumerated() {
                    for j in 0..<d { full[row * d + j] += g.scalars[i * d + j] }
                }
                gradients[.final] = full
            case .layers:
                for (layer, g) in received.perLayer {
                    for h in 0..<c.nHeads {
                        for input in 0..<3 {
                            let o = (3 * h + input) * rows * d
                            gradients[.head(layer: layer, head: h, input: input)] = Array(g.scalars[o..<(o + rows * d)])
                        }
                    }
                    if c.hasMLP {
                        let o = 3 * c.nHeads * rows * d
                        gradients[.mlp(layer: layer)] = Array(g.scalars[o..<(o + rows * d)])
                    }
                }
            }
        }
        #expect(gradients.count == c.nLayers * (3 * c.nHeads + (c.hasMLP ? 1 : 0)) + 1)

        let reference = ReferenceForward64(model: s.model)
        var g = SeededGenerator(seed: 5)
        let h = 1e-4
        var results: [(ReferenceForward64.Receiver, Double, Double)] = []
        for receiver in gradients.keys.sorted(by: { "\($0)" < "\($1)" }) {
            let u = (0..<(rows * d)).map { _ in Double(g.normal()) }
            let up = reference.objective(tokens: s.tokens, readPositions: s.reads, seed: s.seed,
                                         perturbation: (receiver, u.map { $0 * h }))
            let down = reference.objective(tokens: s.tokens, readPositions: s.reads, seed: s.seed,
                                           perturbation: (receiver, u.map { -$0 * h }))
            let numeric = (up - down) / (2 * h)
            let analytic = zip(gradients[receiver]!, u).reduce(0.0) { $0 + Double($1.0) * $1.1 }
            results.append((receiver, numeric, analytic))
        }
        let scale = results.map { abs($0.1) }.max() ?? 0
        #expect(scale > 1e-3, "\(name): gradients are not all negligible")
        for (receiver, numeric, analytic) in results {
            #expect(abs(numeric - analytic) <= 2e-4 * scale + 1e-3 * abs(numeric),
                    "\(name) \(receiver): finite differences \(numeric), backward \(analytic)")
        }
    }
}
