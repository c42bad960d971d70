/// Everything needed to continue an ACDC run exactly where it stopped: the position in the schedule, the circuit so
/// far, the metric, and every measured effect. Doubles are stored as their bit patterns so a resumed run compares
/// against exactly the values an uninterrupted run would.
///
/// The state also knows its run: `run` lists every setting that decides the circuit (model files, prompts, metric,
/// ablation, seed, BLAS threads, …, filled in by the caller), and a resumed run must match it exactly — otherwise
/// two different runs would be silently blended into one circuit.
public struct ACDCState: Codable, Sendable, Equatable {
    /// Version 2 added `run`.
    public static let formatVersion = 2

    /// One setting of the run that saved the state, by the name a user knows it by (`--metric`, `model file
    /// model.safetensors`, …) and its value as text.
    public struct Setting: Codable, Sendable, Equatable {
        public var name: String
        public var value: String

        public init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
    }

    public var formatVersion = ACDCState.formatVersion
    public var configuration: ACDCConfiguration
    /// The run's fingerprint, in a fixed order (see the type's documentation).
    public var run: [Setting]
    /// `"<layers>x<heads>,mlp=<bool>,embeds=<n>,edges=<n>"`: guards against resuming on another graph.
    public var graphSignature: String
    /// Index of the next step of the schedule.
    public var step: Int
    /// Within a receiver step, how many of its ordered incoming edges are done.
    public var edgeCursor: Int
    /// Edge ids removed so far, ascending.
    public var removedEdges: [Int]
    /// Head-input node ids severed so far, ascending.
    public var severedInputs: [Int]
    /// Bit patterns of the current loss and value, and of the full model's.
    public var currentLossBits: UInt64
    public var currentValueBits: UInt64
    public var fullLossBits: UInt64
    public var fullValueBits: UInt64
    /// Tested edges and their effect's bit pattern, ascending by edge id.
    public var effectEdges: [Int]
    public var effectBits: [UInt64]
    /// Tested whole inputs (node ids) and their effect's bit pattern.
    public var wholeEffectInputs: [Int]
    public var wholeEffectBits: [UInt64]
    public var statistics: ACDCStatistics

    public init(
        configuration: ACDCConfiguration, run: [Setting], graphSignature: String, step: Int, edgeCursor: Int,
        removedEdges: [Int], severedInputs: [Int], currentLossBits: UInt64, currentValueBits: UInt64,
        fullLossBits: UInt64, fullValueBits: UInt64, effectEdges: [Int], effectBits: [UInt64],
        wholeEffectInputs: [Int], wholeEffectBits: [UInt64], statistics: ACDCStatistics
    ) {
        self.configuration = configuration
        self.run = run
        self.graphSignature = graphSignature
        self.step = step
        self.edgeCursor = edgeCursor
        self.removedEdges = removedEdges
        self.severedInputs = severedInputs
        self.currentLossBits = currentLossBits
        self.currentValueBits = currentValueBits
        self.fullLossBits = fullLossBits
        self.fullValueBits = fullValueBits
        self.effectEdges = effectEdges
        self.effectBits = effectBits
        self.wholeEffectInputs = wholeEffectInputs
        self.wholeEffectBits = wholeEffectBits
        self.statistics = statistics
    }

    public static func signature(of graph: CircuitGraph) -> String {
        "\(graph.nLayers)x\(graph.nHeads),mlp=\(graph.hasMLP),embeds=\(graph.embedCount),edges=\(graph.edgeCount)"
    }
}

/// Counters of one ACDC run.
public struct ACDCStatistics: Codable, Sendable, Equatable {
    /// Single-edge removals tried (each one metric evaluation).
    public var edgeTests = 0
    /// Single edges removed after a test.
    public var edgesRemoved = 0
    /// Head inputs tried as a whole (each one metric evaluation).
    public var wholeInputTests = 0
    /// Head inputs severed after a test.
    public var wholeInputsSevered = 0
    /// Edges removed without a test because their receiver no longer reached the output.
    public var edgesRemovedUnused = 0
    /// Head inputs severed without a test for the same reason.
    public var wholeInputsSeveredUnused = 0

    public init() {}

    /// Every metric evaluation of the run.
    public var tests: Int { edgeTests + wholeInputTests }
}
