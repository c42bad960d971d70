import Testing
import Tensor
@testable import Transformer

/// `SenderRecording.assignKeepingZ` followed by a difference pass leaves the store that `.assign` followed by the
/// same pass leaves — the heads' rows formed as (z − kept z)·W_O[h] instead of z·W_O[h] − kept z·W_O[h], equal to
/// rounding — for both differences (EAP's patch − clean, EAP-IG's corrupted − clean), with the last layer computed
/// at the read rows only or everywhere; and a keep pass whose next pass runs other prompts' shape is not used.
@Suite struct SenderRecordingTests {
    static let cases: [(String, Bool)] = [
        ("tiny-gpt2", false), ("tiny-gpt2", true), ("architectures/llama", false), ("architectures/gpt-neox", true),
        ("architectures/qwen2", false),
    ]

    /// The store after a first pass on `first` recorded as `keep`, then a pass on `second` recorded as `difference`.
    static func store(
        _ model: TransformerModel, _ first: TokenBatch, _ second: TokenBatch, reads: [[Int]], keep: SenderRecording,
        difference: SenderRecording
    ) throws -> Tensor {
        var runner = GradientRunner(model: model)
        var tape = ForwardTape()
        var senders = Tensor(shape: [0])
        try runner.forward(first, readPositions: reads, tape: &tape, senders: &senders, recording: keep)
        try runner.forward(second, readPositions: reads, tape: &tape, senders: &senders, recording: difference)
        return senders
    }

    @Test(arguments: cases)
    func keptZGivesTheSameDifferences(name: String, everyPosition: Bool) throws {
        let model = try ForwardFixtures.model(name)
        let c = model.config
        var g = SeededGenerator(seed: 5)
        let length = min(6, c.nCtx)
        let clean = try TokenBatch((0..<3).map { _ in (0..<length).map { _ in g.uniform(c.dVocab) } }, config: c)
        let corrupted = try TokenBatch((0..<3).map { _ in (0..<length).map { _ in g.uniform(c.dVocab) } }, config: c)
        let reads = Array(repeating: everyPosition ? Array(0..<length) : [length - 1], count: 3)
        for (first, second, difference) in [(corrupted, clean, SenderRecording.subtract), (clean, corrupted, .differenceFrom)] {
            let expected = try Self.store(model, first, second, reads: reads, keep: .assign, difference: difference)
            let kept = try Self.store(model, first, second, reads: reads, keep: .assignKeepingZ, difference: difference)
            let scale = expected.scalars.map(abs).max() ?? 1
            #expect(expected.count == kept.count)
            #expect(kept.maxAbsDifference(expected) <= 1e-5 * scale, "\(name), \(difference)")
        }
    }

    @Test func aKeepIsNotUsedByPromptsOfAnotherShape() throws {
        let model = try ForwardFixtures.model("tiny-gpt2")
        let c = model.config
        var g = SeededGenerator(seed: 6)
        let long = try TokenBatch((0..<2).map { _ in (0..<6).map { _ in g.uniform(c.dVocab) } }, config: c)
        let short = try TokenBatch((0..<2).map { _ in (0..<4).map { _ in g.uniform(c.dVocab) } }, config: c)
        // The shorter prompts' own outputs, from a runner that keeps nothing.
        var other = GradientRunner(model: model)
        var otherTape = ForwardTape()
        var store = Tensor(shape: [0])
        try other.forward(short, readPositions: [[3], [3]], tape: &otherTape, senders: &store, recording: .assign)
        // A runner that kept the longer prompts' z subtracts the shorter prompts' outputs from that store as a pass
        // without a keep does: every row becomes zero.
        var runner = GradientRunner(model: model)
        var tape = ForwardTape()
        var kept = Tensor(shape: [0])
        try runner.forward(long, readPositions: [[5], [5]], tape: &tape, senders: &kept, recording: .assignKeepingZ)
        try runner.forward(short, readPositions: [[3], [3]], tape: &tape, senders: &store, recording: .subtract)
        #expect(store.scalars.allSatisfy { $0 == 0 }, "a pass minus itself is zero everywhere")
    }
}
