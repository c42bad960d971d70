/// What an ACDC run found: the circuit, the measured effect of every tested edge, and the metric of the full model,
/// the circuit and the empty graph.
public struct PruningResult: Sendable {
    public let configuration: ACDCConfiguration
    /// The edges kept.
    public let circuit: Circuit
    /// Head inputs whose q, k or v was replaced as a whole (their incoming edges are all absent from `circuit`).
    public let severedInputs: Set<NodeID>
    /// Per edge id, the metric change measured when its removal was tried (nil: removed untested, or never reached).
    public let effects: [Double?]
    /// Per severed-or-kept head input tested as a whole, the measured change.
    public let wholeInputEffects: [NodeID: Double]
    /// The objective's name and its natural value for the full model, the circuit and the empty graph (every edge
    /// ablated), and the circuit's lower-is-better loss.
    public let metricName: String
    public let fullMetric: Double
    public let circuitMetric: Double
    public let emptyMetric: Double
    public let statistics: ACDCStatistics
    /// How this process ran its tests: their rate, and the work sparse propagation skipped.
    public let testing: EdgeTestSummary
    /// False when `maximumTests` stopped the run early.
    public let completed: Bool
    /// When stopped early, the state to resume from.
    public let stoppedState: ACDCState?
}

/// Progress of a running ACDC, reported after every test.
public struct ACDCProgress: Sendable {
    /// The receiver (or head input) being worked on, its layer, and the step's index in the schedule.
    public var node: String
    /// The node's layer (`layerCount` for `resid_post`), and the model's number of layers.
    public var layer: Int
    public var layerCount: Int
    public var step: Int
    public var steps: Int
    public var statistics: ACDCStatistics
    /// The current metric in natural units.
    public var currentMetric: Double
    /// Edges still present, and the edges in the graph.
    public var edgesPresent: Int
    public var edgeCount: Int
}

/// The edge tests of one ACDC run in this process (a resumed run counts only its own).
public struct EdgeTestSummary: Sendable, Equatable {
    /// Sparse tests from the executor's state, or dense runs.
    public var mode: EdgeTestMode
    /// Wall time spent in tests, metric included.
    public var seconds: Double
    /// Tests and their FLOPs (see `EdgeTestStatistics`; for dense tests the FLOPs done are the dense count).
    public var work: EdgeTestStatistics

    public init(mode: EdgeTestMode, seconds: Double, work: EdgeTestStatistics) {
        self.mode = mode
        self.seconds = seconds
        self.work = work
    }

    public var testsPerSecond: Double { seconds > 0 ? Double(work.tests) / seconds : 0 }
}
