import Tensor
import Transformer

/// Runs a model with any set of graph edges ablated, by freeze-and-repatch (Conmy et al. 2023, ACDC; auto-circuit's
/// `patch_mode`): every node keeps the value it computes in the current run, and a receiver whose edge from sender
/// s is ablated reads, in place of s's live contribution, s's contribution from the ablation source:
///
///     input(r) = live residual at r − Σ_{s ablated into r} (live(s) − patch(s))
///
/// LayerNorm is then applied to that input exactly. Ablations compose downstream because live(s) is s's value in
/// this same patched run. Biases (b_O, the MLP's b_out) stay with the residual and are never patched, as in ACDC and
/// auto-circuit; senders are head results z_h·W_O[h] without b_O, MLP outputs with b_out, and the embedding(s).
///
/// The executor stores, per sender s, patch(s) and clean(s) − patch(s) over every token row (`[senders,
/// rows·dModel]`), and the clean run's residual stream at every layer boundary. A run starts at the lowest layer
/// with an ablated edge (everything below equals the clean run), recomputes only the nodes whose inputs changed, and
/// computes the final LayerNorm and unembedding only at the read positions.
public struct EdgePatchingExecutor {
    public let model: TransformerModel
    public let graph: CircuitGraph
    public let ablation: AblationKind
    /// The clean prompts.
    public let batch: TokenBatch
    /// Per prompt, the positions whose logits are returned.
    public let readPositions: [[Int]]
    /// `[batch, readPositions, dVocabOut]`: the unpatched model on the clean prompts.
    public let cleanLogits: Tensor
    /// `[batch, readPositions, dVocabOut]`: the unpatched model on the corrupted prompts (resample ablation only).
    public let corruptedLogits: Tensor?

    /// `[senders, rows·dModel]`: patch(s).
    var patch: Tensor
    /// `[senders, rows·dModel]`: clean(s) − patch(s).
    var cleanDelta: Tensor
    /// `[senders, rows·dModel]`: live(s) − patch(s) in the current run.
    var delta: Tensor
    /// Per sender, whether its `delta` row differs from `cleanDelta` (a previous run recomputed it).
    var deltaDirty: [Bool]
    /// `[nLayers, rows·dModel]` each: the clean run's resid_pre and resid_mid; `[rows·dModel]`: resid_post.
    let cleanResidPre: Tensor
    let cleanResidMid: Tensor
    let cleanResidPost: Tensor
    /// Per layer `[rows, nHeads·dHead]`: the ablation source's q, k and v (post-projection), which a severed head
    /// input takes as a whole.
    let patchQ: [Tensor]
    let patchK: [Tensor]
    let patchV: [Tensor]
    /// Per prompt its distinct read positions, ascending; and the token rows they are (`b·length + position`).
    let activePositions: [[Int]]
    let activeRows: [Int]
    /// Scratch buffers, sized once.
    var scratch: ExecutorScratch
    /// Shapes of the matrix products issued, when a benchmark asks for them.
    var productLog = MatrixProductLog()

    // MARK: Sparse tests (see `EdgePatchingExecutor+SparseTests`)

    /// How `ACDCPruner` runs its edge tests on this executor.
    public var edgeTests: EdgeTestMode = .sparse
    /// Per layer `[rows, nHeads·dHead]`: the clean run's q, k and v.
    let cleanQ: [Tensor]
    let cleanK: [Tensor]
    let cleanV: [Tensor]
    /// `[2·nLayers + 1, rows·dModel]`: the residual stream with every sender at its ablation value, Σ patch(s) +
    /// biases, at resid_pre L (row L), resid_mid L (row nLayers + L) and resid_post (row 2·nLayers): the
    /// corrupted run's (resample), its per-position mean over the reference prompts (mean), or the attention
    /// output biases alone (zero). A receiver with few present edges forms its input from it (see `inputSum`).
    let patchedResiduals: Tensor
    /// The current state, and the last test until it is committed or discarded.
    var sparse: SparseState
    var pending: SparseTest?
    /// `[rows·dModel]` rows holding senders' live − patch, and `[rows, dHead]` rows holding head inputs' q, k or v,
    /// for the state and the pending test.
    var senderRows: RowPool
    var inputRows: RowPool
    /// A logits buffer no state or test holds, reused by the next test that reaches `resid_post`.
    var spareLogits: Tensor?
    /// The work of the tests run so far.
    public internal(set) var testStatistics = EdgeTestStatistics()

    /// Builds the executor: runs the clean prompts and the ablation source once and keeps what patched runs need.
    ///
    /// - Parameters:
    ///   - clean: the clean prompts (equal lengths).
    ///   - corrupted: resample ablation's source, paired with `clean` (same count and length).
    ///   - reference: mean ablation's source (any count, the clean prompts' length).
    ///   - readPositions: where logits are read, per prompt.
    ///   - memory: the budget the executor's stores (`estimatedBytes`) are checked against before anything is
    ///     allocated.
    public init(
        model: TransformerModel, graph: CircuitGraph? = nil, clean: [[Int]], corrupted: [[Int]]? = nil,
        reference: [[Int]]? = nil, ablation: AblationKind, readPositions: ReadPositions = .last,
        memory: MemoryBudget = .system()
    ) throws {
        let config = model.config
        let graph = graph ?? CircuitGraph(config: config)
        guard model.blocks.allSatisfy(\.headOutputsAreAdditive) else {
            throw CircuitsError.executor(.unsupportedModel(
                "\(config.architecture): its post-attention normalisation acts on the sum of the heads, so a head's "
                    + "contribution to the residual stream is not its own output and edges between heads are not defined"))
        }
        guard graph.nLayers == config.nLayers, graph.nHeads == config.nHeads, graph.hasMLP == config.hasMLP,
              graph.separatePositionEmbedding == config.separatePositionEmbedding,
              graph.parallelResidual == config.parallelResidual else {
            throw CircuitsError.executor(.graphMismatch(
                graph: "\(graph.nLayers) layers × \(graph.nHeads) heads", model: "\(config.nLayers) layers × \(config.nHeads) heads"))
        }
        self.model = model
        self.graph = graph
        self.ablation = ablation
        let batch = try TokenBatch(clean, config: config)
        let readCount = try readPositions.resolve(batch: batch.batch, length: batch.length).first?.count ?? 0
        let needed = Self.estimatedBytes(config: config, rows: batch.rows, readRows: batch.batch * readCount)
        try memory.check(needed, for: "the edge-patching executor for \(batch.batch) prompts × \(batch.length) tokens")
        self.batch = batch
        var runner = TransformerRunner(model: model)
        // Each source run's activation store lives only inside its helper, so at most one is held at a time.
        let cleanRun = try StoredRun.clean(runner: &runner, batch: batch, readPositions: readPositions, graph: graph)
        self.readPositions = cleanRun.readPositions
        guard let cleanLogits = cleanRun.logits else { preconditionFailure("StoredRun.clean always has logits") }
        self.cleanLogits = cleanLogits
        let patchRun = try StoredRun.patch(
            ablation, runner: &runner, clean: batch, corrupted: corrupted, reference: reference,
            readPositions: cleanRun.readPositions, graph: graph)
        self.corruptedLogits = patchRun.logits
        (self.patchQ, self.patchK, self.patchV) = (patchRun.q, patchRun.k, patchRun.v)
        (self.cleanQ, self.cleanK, self.cleanV) = (cleanRun.q, cleanRun.k, cleanRun.v)
        // clean − patch, computed in place in the clean store.
        var cleanValues = cleanRun.values
        cleanValues.add(patchRun.values, scaledBy: -1, range: 0..<cleanValues.count, otherOffset: 0)
        self.cleanDelta = cleanValues
        self.patch = patchRun.values
        self.delta = cleanValues
        self.deltaDirty = Array(repeating: false, count: graph.senderCount)
        self.cleanResidPre = cleanRun.residPre
        self.cleanResidMid = cleanRun.residMid
        self.cleanResidPost = cleanRun.residPost
        let readRows = batch.batch * (cleanRun.readPositions.first?.count ?? 0)
        self.activePositions = cleanRun.readPositions.map { Array(Set($0)).sorted() }
        self.activeRows = activePositions.enumerated().flatMap { b, positions in positions.map { b * batch.length + $0 } }
        self.scratch = ExecutorScratch(config: config, rows: batch.rows, readRows: readRows, activeRows: activeRows.count)
        self.patchedResiduals = patchRun.sourceResiduals
        self.sparse = SparseState(graph: graph, cleanLogits: cleanLogits)
        self.senderRows = RowPool(shape: [batch.rows * config.dModel])
        self.inputRows = RowPool(shape: [batch.rows, config.dHead])
    }

    /// Bytes a steady-state executor holds for `rows` token rows (`readRows` read positions in all): the patch
    /// values, clean deltas and live deltas of every sender (3 · senders · rows · dModel floats), the clean run's
    /// and the source's q, k, v, the clean and the all-ablated residual stream at every layer boundary, and the
    /// scratch buffers. Building it briefly needs one recorded forward pass more (`StoredRun`). GPT-2 small with
    /// 100 prompts × 15 tokens needs about 3.0 GB.
    ///
    /// Sparse tests add, on demand and reused from test to test, one `rows·dModel` row per sender whose value
    /// differs from the clean run and still reaches the output, one per sender a test recomputes, and a
    /// `rows·dHead` row per recomputed head input: at most `sparseRowBytes` (2 · senders rows, 2.9 GB more for
    /// GPT-2 small), in an ACDC run the circuit's nodes above the current layer and what one test reaches (tens
    /// of rows).
    public static func estimatedBytes(config c: ModelConfig, rows: Int, readRows: Int) -> Int {
        let activeRows = min(readRows, rows)
        let graph = CircuitGraph(config: c)
        let width = rows * c.dModel
        let senderStores = 3 * graph.senderCount * width
        let qkv = 6 * c.nLayers * rows * c.dAttention
        let residuals = 2 * (2 * c.nLayers + 1) * width
        let scratch = ExecutorScratch.floatCount(config: c, rows: rows, readRows: readRows, activeRows: activeRows)
        return (senderStores + qkv + residuals + scratch) * MemoryLayout<Float>.size
    }

    /// The most the sparse tests' rows can hold (see `estimatedBytes`).
    public static func sparseRowBytes(config c: ModelConfig, rows: Int) -> Int {
        let graph = CircuitGraph(config: c)
        let senders = 2 * graph.senderCount * rows * c.dModel
        let inputs = 2 * 3 * c.nLayers * c.nHeads * rows * c.dHead
        return (senders + inputs) * MemoryLayout<Float>.size
    }

    /// Bytes held by the stored runs (patch values, deltas, clean and all-ablated residuals, q, k, v), the scratch
    /// buffers and the sparse tests' rows.
    public var storedBytes: Int {
        let qkv = (patchQ + patchK + patchV + cleanQ + cleanK + cleanV).reduce(0) { $0 + $1.count }
        return (patch.count + cleanDelta.count + delta.count + cleanResidPre.count + cleanResidMid.count
            + cleanResidPost.count + patchedResiduals.count + qkv + scratch.floatCount + senderRows.floatCount
            + inputRows.floatCount) * MemoryLayout<Float>.size
    }

    /// `[batch, readPositions, dVocabOut]`: the logits with every edge absent from `circuit` ablated.
    ///
    /// With `recomputeEverything` every node is recomputed from layer 0 even where the circuit leaves it clean; the
    /// self-checks use it so that they exercise the whole patched path.
    ///
    /// `severedInputs` (head inputs `a{L}.{H}.q|k|v`) take the ablation source's q, k or v as a whole, as when ACDC
    /// removes a `hook_q_input → hook_q` edge; under resample ablation that equals ablating every edge into the
    /// input, under zero and mean ablation it does not (zero q versus the projection of the biases alone).
    public mutating func logits(
        keeping circuit: Circuit, severedInputs: Set<NodeID> = [], recomputeEverything: Bool = false
    ) -> Tensor {
        let plan = AblationPlan(circuit: circuit, severedInputs: severedInputs, graph: graph)
        return run(plan, recomputeEverything: recomputeEverything)
    }

    /// Checks that the patched run with nothing ablated reproduces the clean logits and, under resample ablation,
    /// that ablating every edge reproduces the corrupted logits (both to `tolerance`), recomputing every node.
    public mutating func selfCheck(tolerance: Float = 1e-4) throws {
        let full = logits(keeping: .full(graph), recomputeEverything: true)
        let d1 = full.maxAbsDifference(cleanLogits)
        guard d1 <= tolerance else {
            throw CircuitsError.executor(.selfCheckFailed(
                check: "no edge ablated vs the clean run", maxDifference: d1, tolerance: tolerance))
        }
        if ablation == .resample, let corruptedLogits {
            let empty = logits(keeping: .empty(graph), recomputeEverything: true)
            let d2 = empty.maxAbsDifference(corruptedLogits)
            guard d2 <= tolerance else {
                throw CircuitsError.executor(.selfCheckFailed(
                    check: "every edge ablated vs the corrupted run", maxDifference: d2, tolerance: tolerance))
            }
        }
    }
}
