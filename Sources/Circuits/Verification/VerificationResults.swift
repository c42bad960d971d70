import Transformer

/// Settings and results of `CircuitVerifier`.

/// Whether a hypothesis is taken edge by edge or as a set of nodes.
public enum CircuitLevel: String, Sendable, CaseIterable {
    /// Keep exactly the hypothesis's edges; ablate every other edge.
    case edges
    /// Keep every edge between the hypothesis's components (and from the embeddings, to `resid_post`); a node
    /// outside the hypothesis has all its edges ablated (`Hypothesis.inducedEdges`).
    case nodes
}

/// What necessity removes one at a time.
public enum NecessityUnit: String, Sendable, CaseIterable {
    /// Each head and MLP of the circuit (all its edges in the circuit).
    case nodes
    /// Each edge of the circuit.
    case edges
}

public struct VerificationConfiguration: Sendable, Equatable {
    public var level: CircuitLevel
    public var necessityUnit: NecessityUnit
    /// A part is necessary when removing it costs more than this fraction of what the circuit recovers over the
    /// empty graph, |metric(C) − metric(∅)| (see `NecessityEntry`).
    public var necessaryFraction: Double
    /// Also sever (replace as a whole by the ablation source, as ACDC does) every input of a kept head that has no
    /// kept incoming edge. Under resample ablation this changes nothing; under zero and mean ablation it is how
    /// ACDC's whole-input severing (`hook_q_input → hook_q`) reads a head with no edge into an input. Not applied
    /// to hypotheses that list their severed inputs (ACDC reports), which are taken exactly as written.
    public var severEmptyHeadInputs: Bool
    /// Run the IOI paper's completeness and minimality criteria over the hypothesis's classes.
    public var ioiCriteria: Bool
    /// The circuit is called sufficient when its faithfulness is at least this (both ends of the scale are the
    /// model's own: 1 = behaves as the full model, 0 = as the empty graph).
    public var sufficientFaithfulness: Double

    public init(
        level: CircuitLevel = .edges, necessityUnit: NecessityUnit = .nodes, necessaryFraction: Double = 0.1,
        severEmptyHeadInputs: Bool = true, ioiCriteria: Bool = false, sufficientFaithfulness: Double = 0.9
    ) {
        self.sufficientFaithfulness = sufficientFaithfulness
        self.level = level
        self.necessityUnit = necessityUnit
        self.necessaryFraction = necessaryFraction
        self.severEmptyHeadInputs = severEmptyHeadInputs
        self.ioiCriteria = ioiCriteria
    }
}

/// The circuit alone against the full model and the empty graph.
public struct SufficiencyResult: Sendable {
    public let metric: MetricKind
    /// The unpatched model, the circuit with everything else ablated, and every edge ablated.
    public let full: MetricValues
    public let circuit: MetricValues
    public let empty: MetricValues
    /// `Faithfulness.value` of the means.
    public let faithfulness: Double
    /// Spread of the per-prompt faithfulness (prompts with a zero denominator left out).
    public let faithfulnessPerPrompt: Spread
    /// The edges kept and the head inputs severed in the circuit run.
    public let kept: Circuit
    public let severedInputs: Set<NodeID>

    public var fullSpread: Spread { Spread(full.perPrompt) }
    public var circuitSpread: Spread { Spread(circuit.perPrompt) }
    public var emptySpread: Spread { Spread(empty.perPrompt) }
}

/// The effect of removing one node or edge from the circuit.
///
/// `cost` is the increase of the loss (lower-is-better form of the metric, `MetricKind.loss`): positive when the
/// circuit gets worse without the part. `relativeCost` divides it by |metric(C) − metric(∅)|, the part of the
/// behaviour the circuit recovers; `necessary` is `cost > necessaryFraction · |metric(C) − metric(∅)|`.
public struct NecessityEntry: Sendable, Equatable {
    public let name: String
    public let node: NodeID?
    public let edge: EdgeID?
    /// Mean metric of the circuit without the part.
    public let metricWithout: Double
    /// metricWithout − metric(C), in the metric's units.
    public let change: Double
    public let cost: Double
    public let relativeCost: Double?
    public let necessary: Bool
}

/// Completeness for one class K (Wang et al. 2022, §4.2): the circuit and the model should lose the same when K is
/// knocked out of both; `incompleteness` = |F(C \ K) − F(M \ K)|, with F the metric's mean.
public struct CompletenessEntry: Sendable, Equatable {
    /// The class name; "(none)" for K = ∅, which compares F(C) with F(M).
    public let className: String
    public let nodes: [NodeID]
    public let circuitWithout: Double
    public let modelWithout: Double
    public let incompleteness: Double
}

/// Minimality for one node v (Wang et al. 2022, §4.3): |F(C \ (K ∪ {v})) − F(C \ K)| should be large. Wang et al.
/// choose K per head by hand, mostly the rest of v's class; circuitry takes K = v's class without v (∅ for a node
/// in no class). `relative` divides by |F(C)|.
public struct MinimalityEntry: Sendable, Equatable {
    public let name: String
    public let node: NodeID
    public let className: String?
    public let withoutK: Double
    public let withoutKAndNode: Double
    public let score: Double
    public let relative: Double?
}

/// Everything `CircuitVerifier.verify` measured.
public struct VerificationReport: Sendable {
    public let configuration: VerificationConfiguration
    public let sufficiency: SufficiencyResult
    /// Sorted by cost, largest first (ties: graph order).
    public let necessity: [NecessityEntry]
    public let completeness: [CompletenessEntry]
    public let minimality: [MinimalityEntry]

    /// Whether the faithfulness reaches `configuration.sufficientFaithfulness` (false when it is NaN).
    public var isSufficient: Bool { sufficiency.faithfulness >= configuration.sufficientFaithfulness }
}
