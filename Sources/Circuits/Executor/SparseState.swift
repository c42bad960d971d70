import Tensor

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
