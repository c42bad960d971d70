import Foundation
import Transformer

/// Reading a saved state back and checking it before anything is resumed from it: a state is a user-visible file
/// that can be truncated, hand-edited or saved by another run, and every one of those must be refused with a
/// message rather than trap (a negative step) or finish with a wrong circuit marked complete (a step past the end,
/// NaN bits).
extension ACDCState {
    /// Decodes a state file's bytes; `file` names it in errors. Refuses anything that is not a state of this
    /// format version with `CircuitsError.acdcState` saying why in words.
    public static func decode(_ data: Data, file: String) throws -> ACDCState {
        func fail(_ reason: String) -> CircuitsError { .acdcState(reason: "\(file): \(reason)") }
        let text: String
        do {
            text = try TextFile.decode(data, file: file)
        } catch let TransformerError.textUnreadable(_, reason) {
            throw fail(reason)
        }
        let bytes = Data(text.utf8)
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: bytes)
        } catch {
            throw fail(TextFile.describeJSONError(error, expected: "a saved ACDC state (a JSON object)"))
        }
        guard let fields = object as? [String: Any] else {
            throw fail("not a saved ACDC state: expected a JSON object")
        }
        guard let version = fields["formatVersion"] as? Int else {
            throw fail("not a saved ACDC state (no formatVersion)")
        }
        guard version == formatVersion else {
            throw fail("saved in state format \(version); this circuitry reads format \(formatVersion) "
                + "(start the run again without --resume)")
        }
        do {
            return try JSONDecoder().decode(ACDCState.self, from: bytes)
        } catch {
            throw fail(TextFile.describeJSONError(error, expected: "a saved ACDC state (a JSON object)"))
        }
    }

    /// The first setting of `run` whose value differs from `current`'s (a setting only one side has counts as
    /// differing), as (name, saved value, current value).
    public func firstDifference(from current: [Setting]) -> (name: String, saved: String, current: String)? {
        let saved = Dictionary(run.map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first })
        let now = Dictionary(current.map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first })
        for setting in current where saved[setting.name] != setting.value {
            return (setting.name, saved[setting.name] ?? "(not recorded)", setting.value)
        }
        for setting in run where now[setting.name] == nil {
            return (setting.name, setting.value, "(not set)")
        }
        return nil
    }

    /// Checks that this state can resume a run on `graph` with `configuration` and fingerprint `run`: the same
    /// graph, settings and run (`CircuitsError.acdcStateMismatch` names the first setting that differs), and every
    /// field in range and consistent with the others (`CircuitsError.acdcState` names the field).
    public func check(against graph: CircuitGraph, configuration: ACDCConfiguration, run current: [Setting]) throws {
        func fail(_ reason: String) -> CircuitsError { .acdcState(reason: reason) }
        guard formatVersion == ACDCState.formatVersion else {
            throw fail("state format \(formatVersion), this circuitry reads format \(ACDCState.formatVersion)")
        }
        let signature = ACDCState.signature(of: graph)
        guard graphSignature == signature else {
            throw CircuitsError.acdcStateMismatch(setting: "graph", saved: graphSignature, current: signature)
        }
        if let difference = firstDifference(from: current) {
            throw CircuitsError.acdcStateMismatch(
                setting: difference.name, saved: difference.saved, current: difference.current)
        }
        try checkConfiguration(configuration)
        try checkFields(graph: graph)
    }

    /// The ACDC settings must agree (the test budget may differ between the stopped and the resumed run).
    private func checkConfiguration(_ configuration: ACDCConfiguration) throws {
        let pairs: [(String, String, String)] = [
            ("--threshold", JSONValue.format(self.configuration.threshold), JSONValue.format(configuration.threshold)),
            ("--absolute", "\(self.configuration.absoluteDifference)", "\(configuration.absoluteDifference)"),
            ("--skip-whole-inputs", "\(!self.configuration.testWholeInputs)", "\(!configuration.testWholeInputs)"),
            ("--index-order", self.configuration.indexOrder.rawValue, configuration.indexOrder.rawValue),
        ]
        for (name, saved, now) in pairs where saved != now {
            throw CircuitsError.acdcStateMismatch(setting: name, saved: saved, current: now)
        }
        guard self.configuration.threshold.bitPattern == configuration.threshold.bitPattern else {
            throw CircuitsError.acdcStateMismatch(
                setting: "--threshold", saved: "\(self.configuration.threshold)", current: "\(configuration.threshold)")
        }
    }

    /// Ranges and consistency of the schedule position, edge and node ids, bit patterns and counters.
    private func checkFields(graph: CircuitGraph) throws {
        func fail(_ reason: String) -> CircuitsError { .acdcState(reason: reason) }
        let schedule = graph.acdcSchedule(testWholeInputs: configuration.testWholeInputs)
        guard (0...schedule.count).contains(step) else {
            throw fail("'step' is \(step); the schedule has steps 0–\(schedule.count)")
        }
        var cursorLimit = 0
        if step < schedule.count, case .receiver(let receiver) = schedule[step] {
            cursorLimit = graph.incomingEdges(of: receiver).count
        }
        guard (0...cursorLimit).contains(edgeCursor) else {
            throw fail("'edgeCursor' is \(edgeCursor); step \(step) has \(cursorLimit) edges")
        }
        try Self.checkAscending(removedEdges, name: "removedEdges", below: graph.edgeCount)
        try Self.checkAscending(effectEdges, name: "effectEdges", below: graph.edgeCount)
        try Self.checkAscending(severedInputs, name: "severedInputs", below: graph.nodeCount)
        try Self.checkAscending(wholeEffectInputs, name: "wholeEffectInputs", below: graph.nodeCount)
        for id in severedInputs + wholeEffectInputs {
            guard case .headInput = graph[NodeID(id)].kind else {
                throw fail("node \(id) (\(graph[NodeID(id)].name)) is not a head input (a{L}.{H}.q|k|v)")
            }
        }
        guard effectBits.count == effectEdges.count, wholeEffectBits.count == wholeEffectInputs.count else {
            throw fail("'effectBits' and 'wholeEffectBits' must have one entry per tested edge and input")
        }
        let values = [("currentLossBits", currentLossBits), ("currentValueBits", currentValueBits),
                      ("fullLossBits", fullLossBits), ("fullValueBits", fullValueBits)]
            + effectBits.map { ("effectBits", $0) } + wholeEffectBits.map { ("wholeEffectBits", $0) }
        for (name, bits) in values where !Double(bitPattern: bits).isFinite {
            throw fail("'\(name)' holds \(Double(bitPattern: bits)), not a finite number")
        }
        try checkStatistics()
        try checkRemovedEdgesReached(graph: graph, schedule: schedule)
    }

    private func checkStatistics() throws {
        func fail(_ reason: String) -> CircuitsError { .acdcState(reason: "statistics: " + reason) }
        let s = statistics
        let counters = [("edgeTests", s.edgeTests), ("edgesRemoved", s.edgesRemoved),
                        ("wholeInputTests", s.wholeInputTests), ("wholeInputsSevered", s.wholeInputsSevered),
                        ("edgesRemovedUnused", s.edgesRemovedUnused),
                        ("wholeInputsSeveredUnused", s.wholeInputsSeveredUnused)]
        for (name, value) in counters where value < 0 { throw fail("'\(name)' is negative (\(value))") }
        guard s.edgeTests == effectEdges.count else {
            throw fail("'edgeTests' is \(s.edgeTests) but \(effectEdges.count) edges have a measured effect")
        }
        guard s.wholeInputTests == wholeEffectInputs.count else {
            throw fail("'wholeInputTests' is \(s.wholeInputTests) but \(wholeEffectInputs.count) inputs have one")
        }
        guard s.edgesRemoved <= s.edgeTests, s.wholeInputsSevered <= s.wholeInputTests else {
            throw fail("more removals than tests")
        }
        let (removed, overflow) = s.edgesRemoved.addingReportingOverflow(s.edgesRemovedUnused)
        guard !overflow, removed == removedEdges.count else {
            throw fail("\(removedEdges.count) edges are removed, the counters say \(s.edgesRemoved) + "
                + "\(s.edgesRemovedUnused)")
        }
        let (severed, overflow2) = s.wholeInputsSevered.addingReportingOverflow(s.wholeInputsSeveredUnused)
        guard !overflow2, severed == severedInputs.count else {
            throw fail("\(severedInputs.count) inputs are severed, the counters say \(s.wholeInputsSevered) + "
                + "\(s.wholeInputsSeveredUnused)")
        }
    }

    /// Every removed or tested edge belongs to a receiver the run has already reached.
    private func checkRemovedEdgesReached(graph: CircuitGraph, schedule: [ACDCStep]) throws {
        var stepOfReceiver = [Int](repeating: Int.max, count: graph.nodeCount)
        for (index, s) in schedule.enumerated() {
            if case .receiver(let node) = s { stepOfReceiver[node.rawValue] = index }
        }
        var cursorPosition: [Int: Int] = [:]
        if step < schedule.count, case .receiver(let receiver) = schedule[step] {
            for (k, edge) in graph.incomingEdgesInACDCOrder(receiver, indexOrder: configuration.indexOrder).enumerated() {
                cursorPosition[edge.rawValue] = k
            }
        }
        for id in Set(removedEdges + effectEdges) {
            let receiver = graph[EdgeID(id)].receiver
            let at = stepOfReceiver[receiver.rawValue]
            let reached = at < step || (at == step && (cursorPosition[id].map { $0 < edgeCursor } ?? false))
            guard reached else {
                throw CircuitsError.acdcState(
                    reason: "edge \(id) (\(graph[graph[EdgeID(id)].sender].name) -> \(graph[receiver].name)) is removed "
                        + "or tested, but the run has not reached its receiver (step \(step))")
            }
        }
    }

    private static func checkAscending(_ ids: [Int], name: String, below limit: Int) throws {
        var previous = -1
        for id in ids {
            guard id > previous, id < limit else {
                throw CircuitsError.acdcState(
                    reason: id >= limit || id < 0 ? "'\(name)' holds \(id), outside 0..<\(limit)"
                        : "'\(name)' must be strictly ascending (\(id) after \(previous))")
            }
            previous = id
        }
    }
}
