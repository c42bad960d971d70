import Transformer
import Tensor

/// Tests a circuit hypothesis on a model: is the circuit sufficient (faithfulness), is each part necessary, and —
/// for hypotheses with classes — the IOI paper's completeness and minimality (Wang et al. 2022, "Interpretability
/// in the Wild", §4).
///
/// Every measurement is one edge-patching run (`EdgePatchingExecutor.logits(keeping:severedInputs:)`) with the
/// executor's ablation (resample, zero or mean) standing in for everything outside the kept edges, scored with the
/// metric's mean over the prompt set.
public enum CircuitVerifier {
    /// Runs sufficiency, necessity and (with `configuration.ioiCriteria`) completeness and minimality.
    public static func verify(
        executor: inout EdgePatchingExecutor, metric: Metric, hypothesis: Hypothesis,
        configuration: VerificationConfiguration = VerificationConfiguration()
    ) throws -> VerificationReport {
        let sufficiency = try self.sufficiency(
            executor: &executor, metric: metric, hypothesis: hypothesis, configuration: configuration)
        let necessity = try self.necessity(
            executor: &executor, metric: metric, sufficiency: sufficiency, configuration: configuration)
        var completeness: [CompletenessEntry] = []
        var minimality: [MinimalityEntry] = []
        if configuration.ioiCriteria {
            let classes = hypothesis.classes.map { (name: $0.name, nodes: $0.nodes) }
            completeness = try IOICriteria.completeness(
                executor: &executor, metric: metric, sufficiency: sufficiency, classes: classes)
            minimality = try IOICriteria.minimality(
                executor: &executor, metric: metric, sufficiency: sufficiency, classes: classes)
        }
        return VerificationReport(
            configuration: configuration, sufficiency: sufficiency, necessity: necessity,
            completeness: completeness, minimality: minimality)
    }

    /// The edges a hypothesis keeps at a level (edge level: its edges; node level: every edge among its heads and
    /// MLPs, from the embeddings and to `resid_post`).
    public static func keptEdges(of hypothesis: Hypothesis, level: CircuitLevel, graph: CircuitGraph) -> Circuit {
        switch level {
        case .edges:
            return hypothesis.circuit
        case .nodes:
            let components = hypothesis.nodes.filter { isRemovable($0, graph: graph) }
            return Hypothesis.inducedEdges(listing: components, in: graph)
        }
    }

    /// The head inputs to sever for a kept circuit: the hypothesis's own, plus (with `severEmptyHeadInputs`, and
    /// only when the hypothesis does not list its severed inputs itself, as an ACDC report does) every input of a
    /// head that sends some kept edge but receives none through that input.
    public static func severedInputs(
        for kept: Circuit, hypothesis: Hypothesis, graph: CircuitGraph, severEmptyHeadInputs: Bool
    ) -> Set<NodeID> {
        var severed = hypothesis.severedInputs
        guard severEmptyHeadInputs, !hypothesis.severedInputsGiven else { return severed }
        for sender in graph.senders {
            guard case .head = graph[sender].kind, !kept.outgoingEdges(of: sender, in: graph).isEmpty else { continue }
            for input in graph.inputReceivers(of: sender) where kept.count(in: graph.incomingEdgeRange(of: input)) == 0 {
                severed.insert(input)
            }
        }
        return severed
    }

    /// Metric of the full model (the executor's clean logits), of the kept circuit, and of the empty graph.
    public static func sufficiency(
        executor: inout EdgePatchingExecutor, metric: Metric, hypothesis: Hypothesis,
        configuration: VerificationConfiguration
    ) throws -> SufficiencyResult {
        let graph = executor.graph
        let kept = keptEdges(of: hypothesis, level: configuration.level, graph: graph)
        let severed = severedInputs(
            for: kept, hypothesis: hypothesis, graph: graph, severEmptyHeadInputs: configuration.severEmptyHeadInputs)
        let full = try metric.evaluate(executor.cleanLogits)
        let circuit = try metric.evaluate(executor.logits(keeping: kept, severedInputs: severed))
        let empty = try metric.evaluate(executor.logits(keeping: .empty(graph)))
        return SufficiencyResult(
            metric: metric.kind, full: full, circuit: circuit, empty: empty,
            faithfulness: Faithfulness.value(circuit: circuit.mean, full: full.mean, empty: empty.mean),
            faithfulnessPerPrompt: Spread(Faithfulness.perPrompt(
                circuit: circuit.perPrompt, full: full.perPrompt, empty: empty.perPrompt)),
            kept: kept, severedInputs: severed)
    }

    /// Removes each head and MLP (or each edge) of the kept circuit alone and measures the cost; sorted by cost,
    /// largest first.
    public static func necessity(
        executor: inout EdgePatchingExecutor, metric: Metric, sufficiency: SufficiencyResult,
        configuration: VerificationConfiguration
    ) throws -> [NecessityEntry] {
        let graph = executor.graph
        let kept = sufficiency.kept
        let circuitMean = sufficiency.circuit.mean
        let scale = abs(circuitMean - sufficiency.empty.mean)
        var entries: [(order: Int, entry: NecessityEntry)] = []

        func measure(_ without: Circuit, name: String, node: NodeID?, edge: EdgeID?, order: Int) throws {
            let value = try metric.evaluate(
                executor.logits(keeping: without, severedInputs: sufficiency.severedInputs)).mean
            let cost = metric.kind.loss(value) - metric.kind.loss(circuitMean)
            entries.append((order, NecessityEntry(
                name: name, node: node, edge: edge, metricWithout: value, change: value - circuitMean, cost: cost,
                relativeCost: scale > 0 ? cost / scale : nil,
                necessary: cost > configuration.necessaryFraction * scale)))
        }

        switch configuration.necessityUnit {
        case .nodes:
            for component in kept.nodeView(in: graph).components(in: graph) where isRemovable(component, graph: graph) {
                try measure(
                    removing([component], from: kept, graph: graph), name: graph[component].name, node: component,
                    edge: nil, order: component.rawValue)
            }
        case .edges:
            for edge in kept.edges {
                var without = kept
                without.remove(edge)
                try measure(without, name: graph.name(of: edge), node: nil, edge: edge, order: edge.rawValue)
            }
        }
        return entries.sorted { a, b in
            a.entry.cost != b.entry.cost ? a.entry.cost > b.entry.cost : a.order < b.order
        }.map(\.entry)
    }

    /// `circuit` without every edge that leaves or enters one of `components` (heads, MLPs).
    public static func removing(_ components: [NodeID], from circuit: Circuit, graph: CircuitGraph) -> Circuit {
        var result = circuit
        for component in components {
            guard graph.isSender(component) else { continue }
            for edge in graph.outgoingEdges(of: component) { result.remove(edge) }
            for input in graph.inputReceivers(of: component) {
                for raw in graph.incomingEdgeRange(of: input) { result.remove(EdgeID(raw)) }
            }
        }
        return result
    }

    /// Heads and MLPs; the embeddings and `resid_post` are not removed one at a time (without them nothing is left).
    static func isRemovable(_ node: NodeID, graph: CircuitGraph) -> Bool {
        switch graph[node].kind {
        case .head, .mlp: true
        default: false
        }
    }
}
