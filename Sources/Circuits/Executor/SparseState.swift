import Tensor

/// How the edge tests of `ACDCPruner` (and of anyone using `EdgePatchingExecutor.test(_:)`) are computed.
public enum EdgeTestMode: String, Sendable, CaseIterable {
    /// From the executor's current state, recomputing only the nodes a change reaches through present edges
    /// (`EdgePatchingExecutor.test(_:)`).
    case sparse
    /// Every test a full patched run of the candidate circuit (`EdgePatchingExecutor.logits(keeping:)`), as
    /// circuitry did before sparse tests; kept for comparison and as a fallback.
    case dense
}

/// A change to test against the executor's current state: edges to remove and head inputs to sever (replace by
/// the ablation source's q, k or v as a whole, as when ACDC removes a `hook_q_input → hook_q` edge).
///
/// Several removals at once are allowed: speculative evaluation tests "the next candidates as cumulative removals"
/// as one change on the state the coordinator last accepted.
public struct StateChange: Sendable, Hashable {
    /// Edges present in the current state.
    public var removedEdges: [EdgeID]
    /// Head-input receivers (`a{L}.{H}.q|k|v`).
    public var severedInputs: [NodeID]

    public init(removedEdges: [EdgeID] = [], severedInputs: [NodeID] = []) {
        self.removedEdges = removedEdges
        self.severedInputs = severedInputs
    }

    public static func removing(_ edge: EdgeID) -> StateChange { StateChange(removedEdges: [edge]) }
    public static func severing(_ input: NodeID) -> StateChange { StateChange(severedInputs: [input]) }
}

/// Buffers of one shape, handed out and taken back, so that tests reuse memory instead of allocating it.
struct RowPool {
    let shape: [Int]
    /// Every buffer ever handed out; indices are stable.
    var rows: [Tensor] = []
    private var free: [Int] = []

    init(shape: [Int]) {
        self.shape = shape
    }

    mutating func take() -> Int {
        if let i = free.popLast() { return i }
        rows.append(Tensor(shape: shape))
        return rows.count - 1
    }

    mutating func give(_ i: Int) {
        free.append(i)
    }

    /// Buffers in use.
    var inUse: Int { rows.count - free.count }

    var floatCount: Int { rows.reduce(0) { $0 + $1.count } }
}

/// The executor's current state for sparse tests: a circuit, its severed head inputs, and the values of the nodes
/// that differ from the clean run and still reach the output.
///
/// A sender holds a row of `senderRows` (`[rows·dModel]`, live − patch, as the dense run's `delta`) when it is
/// *affected* — one of its inputs has an ablated edge, is severed, or reads an affected sender through a present
/// edge — and *alive* — its output reaches `resid_post` through present edges into inputs that are not severed.
/// Every other sender's value is the clean run's (`cleanDelta`); a dead sender's value is never read, so it is not
/// kept. A head input holds a row of `inputRows` (`[rows, dHead]`, its q, k or v after projection and rotation)
/// when it is affected and not severed; otherwise it is the clean run's q, k or v, or the source's when severed.
struct SparseState {
    var circuit: Circuit
    /// By receiver ordinal: the head input is severed.
    var severed: [Bool]
    /// By sender id.
    var senderRow: [Int?]
    /// By receiver ordinal (head inputs only).
    var inputRow: [Int?]
    /// `[batch, readPositions, dVocabOut]`.
    var logits: Tensor

    /// The clean state: every edge present, nothing severed, every value the clean run's.
    init(graph: CircuitGraph, cleanLogits: Tensor) {
        circuit = .full(graph)
        severed = Array(repeating: false, count: graph.receiverCount)
        senderRow = Array(repeating: nil, count: graph.senderCount)
        inputRow = Array(repeating: nil, count: graph.receiverCount)
        logits = cleanLogits
    }
}

/// A test's circuit and the values it recomputed, held until it is committed or discarded.
struct SparseTest {
    var circuit: Circuit
    var severed: [Bool]
    /// By sender id: alive in the test's circuit.
    var alive: [Bool] = []
    /// By sender id / receiver ordinal: the recomputed value's row, nil when not recomputed.
    var senderRow: [Int?]
    var inputRow: [Int?]
    /// Recomputed senders and head inputs, in the order computed.
    var senders: [Int] = []
    var inputs: [Int] = []
    /// Recomputed when the change reached `resid_post`.
    var logits: Tensor?
    /// FLOPs spent (see `EdgeTestStatistics`).
    var flops = 0.0

    init(from state: SparseState) {
        circuit = state.circuit
        severed = state.severed
        senderRow = Array(repeating: nil, count: state.senderRow.count)
        inputRow = Array(repeating: nil, count: state.inputRow.count)
    }
}

/// The work of the edge tests an executor ran through `test(_:)`.
///
/// FLOPs count the matrix products (2·m·k·n), attention (4·dHead per query–key pair: scores and mixing) and the
/// additions that form receiver inputs (one per element and operand); normalisation and activations are not counted.
/// `denseFLOPs` is what the dense test (`EdgeTestMode.dense`) issues for the same candidate circuits (see
/// `denseTestFLOPs`): every head and MLP from the lowest layer with an ablated edge up, and per layer a correction
/// product over every stored sender row below it.
public struct EdgeTestStatistics: Sendable, Equatable {
    /// Tests run.
    public var tests = 0
    /// FLOPs done, including bringing the state up to date between tests (ACDC's untested removals, a resume).
    public var flops = 0.0
    /// FLOPs the dense test would have done for the same tests.
    public var denseFLOPs = 0.0

    public init(tests: Int = 0, flops: Double = 0, denseFLOPs: Double = 0) {
        self.tests = tests
        self.flops = flops
        self.denseFLOPs = denseFLOPs
    }

    /// FLOPs skipped by sparse propagation: the dense tests' minus those done (never negative).
    public var skippedFLOPs: Double { max(0, denseFLOPs - flops) }
}

extension EdgeTestStatistics {
    /// The work done since `earlier` was read from the same executor.
    public func since(_ earlier: EdgeTestStatistics) -> EdgeTestStatistics {
        EdgeTestStatistics(tests: tests - earlier.tests, flops: flops - earlier.flops,
                           denseFLOPs: denseFLOPs - earlier.denseFLOPs)
    }
}
