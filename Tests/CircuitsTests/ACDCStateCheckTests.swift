import Foundation
import Testing
import Tensor
import Transformer
@testable import Circuits

/// A saved state is user-visible and can be hand-edited or come from another run: every field is range-checked and
/// the run's fingerprint must match, or resuming is refused with a message — never a trap or a wrong circuit.
@Suite struct ACDCStateCheckTests {
    static let settings = [ACDCState.Setting("--metric", "kl"), ACDCState.Setting("--seed", "0")]

    /// A state of the tiny GPT-2 run stopped after 20 tests, with `settings`.
    static func stopped() throws -> (ACDCState, CircuitGraph, ACDCConfiguration) {
        var (executor, objective, graph) = try ACDCDeterminismTests.setup()
        let configuration = ACDCConfiguration(threshold: 0.01, maximumTests: 20)
        let result = try ACDCPruner.prune(
            executor: &executor, objective: objective, configuration: configuration, settings: settings)
        return (try #require(result.stoppedState), graph, configuration)
    }

    static func reason(_ body: () throws -> Void) -> String? {
        do {
            try body()
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func aStateOfTheSameRunPassesAndRoundTrips() throws {
        let (state, graph, configuration) = try Self.stopped()
        #expect(state.run == Self.settings)
        try state.check(against: graph, configuration: configuration, run: Self.settings)
        let data = try JSONEncoder().encode(state)
        #expect(try ACDCState.decode(data, file: "s.state") == state)
    }

    @Test func aChangedSettingIsNamedWithBothValues() throws {
        let (state, graph, configuration) = try Self.stopped()
        let other = [ACDCState.Setting("--metric", "logit-diff"), ACDCState.Setting("--seed", "0")]
        #expect(Self.reason { try state.check(against: graph, configuration: configuration, run: other) }
            == "cannot resume ACDC: the state was saved with --metric kl, this run has --metric logit-diff; resume "
                + "with the same settings, or start again without --resume")
        var changed = configuration
        changed.indexOrder = .reverse
        #expect(Self.reason { try state.check(against: graph, configuration: changed, run: Self.settings) }?
            .contains("--index-order normal, this run has --index-order reverse") == true)
        let otherGraph = CircuitGraph(nLayers: 2, nHeads: 4, hasMLP: true)
        #expect(Self.reason { try state.check(against: otherGraph, configuration: configuration, run: Self.settings) }?
            .contains("saved with graph 3x4") == true)
        // The test budget may differ.
        var budget = configuration
        budget.maximumTests = nil
        try state.check(against: graph, configuration: budget, run: Self.settings)
    }

    @Test(arguments: [
        ("step", -5), ("step", 1_000_000), ("edgeCursor", -1), ("edgeCursor", 10_000),
    ])
    func positionsOutsideTheScheduleAreRefused(field: String, value: Int) throws {
        let (state, graph, configuration) = try Self.stopped()
        var edited = state
        if field == "step" { edited.step = value } else { edited.edgeCursor = value }
        let message = Self.reason { try edited.check(against: graph, configuration: configuration, run: Self.settings) }
        #expect(message?.contains("'\(field)' is \(value)") == true, "\(message ?? "accepted")")
    }

    @Test func fieldsThatContradictEachOtherAreRefused() throws {
        let (state, graph, configuration) = try Self.stopped()
        let edits: [(String, (inout ACDCState) -> Void)] = [
            ("'currentLossBits' holds nan", { $0.currentLossBits = Double.nan.bitPattern }),
            ("'fullValueBits' holds inf", { $0.fullValueBits = Double.infinity.bitPattern }),
            ("'removedEdges' holds 262, outside 0..<262", { $0.removedEdges.append(262) }),
            ("'removedEdges' must be strictly ascending", { $0.removedEdges = $0.removedEdges.reversed() }),
            ("is not a head input", { $0.severedInputs = [0] }),
            ("'edgeTests' is", { $0.statistics.edgeTests += 1 }),
            ("edges are removed, the counters say", { $0.statistics.edgesRemovedUnused += 3 }),
            ("one entry per tested edge", { $0.effectBits.removeLast() }),
            ("but the run has not reached its receiver", { $0.step = 0; $0.edgeCursor = 0 }),
            ("'wholeInputsSevered' is negative", { $0.statistics.wholeInputsSevered = -1 }),
        ]
        for (expected, edit) in edits {
            var edited = state
            edit(&edited)
            let message = Self.reason { try edited.check(against: graph, configuration: configuration, run: Self.settings) }
            #expect(message?.contains(expected) == true, "\(expected): \(message ?? "accepted")")
        }
    }

    @Test func decodingExplainsWhatIsWrong() {
        let cases: [(String, String)] = [
            ("", "not valid JSON"),
            ("[1]", "expected a JSON object"),
            (#"{"step": 1}"#, "no formatVersion"),
            (#"{"formatVersion": 1}"#, "saved in state format 1"),
            (#"{"formatVersion": 2}"#, "missing field 'configuration'"),
        ]
        for (text, expected) in cases {
            let message = Self.reason { _ = try ACDCState.decode(Data(text.utf8), file: "s.state") }
            #expect(message?.hasPrefix("cannot resume ACDC: s.state: ") == true && message?.contains(expected) == true,
                    "\(text): \(message ?? "accepted")")
            #expect(message?.contains("Expected to decode") != true)
        }
    }

    @Test func resumingThroughThePrunerChecksTheStateToo() throws {
        let (state, _, configuration) = try Self.stopped()
        var (executor, objective, _) = try ACDCDeterminismTests.setup()
        var edited = state
        edited.step = -5
        #expect(throws: CircuitsError.self) {
            _ = try ACDCPruner.prune(executor: &executor, objective: objective, configuration: configuration,
                                     settings: Self.settings, resume: edited)
        }
    }
}

/// Metrics refuse what would make their numbers meaningless: non-finite logits (naming the prompt), answers that
/// cannot differ, and a patched run that computes NaN (KL used to clamp it to 0).
@Suite struct MetricReliabilityTests {
    static func set(correct: [[Int]] = [[1], [2]], incorrect: [[Int]] = [[3], [4]]) throws -> PromptSet {
        try PromptSet(task: "t", clean: [[0, 1], [0, 2]], corrupted: [[0, 3], [0, 4]], readPositions: [[1], [1]],
                      correct: correct, incorrect: incorrect)
    }

    static func logits(_ values: [Float] = Array(repeating: 0.5, count: 10)) -> Tensor {
        var all = values
        all += (0..<10).map { Float($0) / 10 }
        return Tensor(shape: [2, 1, 10], scalars: all)
    }

    @Test func nonFiniteFullLogitsAreNamed() throws {
        var values = Array(repeating: Float(0.5), count: 10)
        values[3] = .nan
        values[4] = .infinity
        let set = try Self.set()
        #expect(throws: CircuitsError.metric(.nonFiniteLogits(
            what: "the full model's logits on the clean prompts", prompt: 0, read: 0, nan: 1, infinite: 1))) {
            _ = try Metric(kind: .kl, promptSet: set, fullLogits: Self.logits(values))
        }
    }

    @Test(arguments: MetricKind.allCases)
    func aPatchedRunWithNaNIsAnErrorNamingThePrompt(kind: MetricKind) throws {
        let set = try Self.set()
        let metric = try Metric(kind: kind, promptSet: set, fullLogits: Self.logits(),
                                corruptedLogits: Self.logits((0..<10).map { Float($0) }))
        var patched = Self.logits().scalars
        patched[12] = .nan
        #expect(throws: CircuitsError.self) {
            _ = try metric.evaluate(Tensor(shape: [2, 1, 10], scalars: patched))
        }
        do {
            _ = try metric.evaluate(Tensor(shape: [2, 1, 10], scalars: patched))
        } catch let CircuitsError.metric(.nonFiniteValue(name, prompt, _)) {
            #expect(name == kind.cliName && prompt == 1)
        } catch {
            // kinds that never read entry 2 of prompt 1 (logit-diff reads only the answers)
        }
    }

    @Test(arguments: [MetricKind.logitDiff, .probDiff, .ioiNormalized])
    func identicalAnswersAreRefused(kind: MetricKind) throws {
        let set = try Self.set(correct: [[1], [2, 5]], incorrect: [[3], [5, 2]])
        #expect(throws: CircuitsError.metric(.identicalAnswers(prompt: 1, tokens: [2, 5], metric: kind.cliName))) {
            _ = try Metric(kind: kind, promptSet: set, fullLogits: Self.logits(),
                           corruptedLogits: Self.logits((0..<10).map { Float($0) }))
        }
        // Metrics that do not compare answers do not care.
        _ = try Metric(kind: .kl, promptSet: set, fullLogits: Self.logits())
    }
}

/// Hypothesis files with a byte-order mark, CRLF lines, invalid UTF-8 or absurd nesting.
@Suite struct HypothesisReliabilityTests {
    static let graph = CircuitGraph(nLayers: 3, nHeads: 4, hasMLP: true)

    @Test func aByteOrderMarkAndCRLFReadLikePlainText() throws {
        let plain = "a0.1 -> a2.3.k\nm0 -> resid_post\n"
        let a = try Hypothesis.read(data: Data(plain.utf8), graph: Self.graph, file: "h.txt")
        let b = try Hypothesis.read(
            data: Data([0xEF, 0xBB, 0xBF]) + Data(plain.replacingOccurrences(of: "\n", with: "\r\n").utf8),
            graph: Self.graph, file: "h.txt")
        #expect(a == b && a.circuit.count == 2)
        let json = #"{"edges": [{"sender": "a0.1", "receiver": "a2.3.k"}]}"#
        let c = try Hypothesis.read(data: Data([0xEF, 0xBB, 0xBF]) + Data(json.utf8), graph: Self.graph, file: "h.json")
        #expect(c.circuit.count == 1)
    }

    @Test func invalidUTF8IsNamedWithItsLine() {
        #expect(throws: CircuitsError.unreadableFile(
            path: "h.txt", reason: "line 2, byte 3: not UTF-8 text (byte 0xFE); save the file as UTF-8")) {
            _ = try Hypothesis.read(data: Data("a0.1 -> m2\nm0".utf8) + Data([0xFE]), graph: Self.graph, file: "h.txt")
        }
    }

    @Test func deepNestingIsAnErrorNotAStackOverflow() {
        let text = #"{"edges": "# + String(repeating: "[", count: 50_000)
        do {
            _ = try Hypothesis.read(text, graph: Self.graph, file: "h.json")
            Issue.record("accepted")
        } catch {
            #expect("\(error)".contains("nested more than 200 levels deep"))
        }
    }

    @Test func longGarbageTokensAreShortenedAndNotSearched() {
        let token = String(repeating: "x", count: 100_000)
        do {
            _ = try Hypothesis.read(token + " -> a2.3.k\n", graph: Self.graph, file: "h.txt")
            Issue.record("accepted")
        } catch {
            let message = "\(error)"
            #expect(message.count < 300 && message.contains("…"), "\(message.prefix(300))")
        }
    }
}
