import Tensor

/// Forward passes that keep what the backward needs (a `ForwardTape`), and the backward pass that turns a gradient
/// of the logits into the gradient of every receiver of the circuit graph (`GradientRunner+Backward`): each head's
/// q, k and v input, each MLP input and the final residual stream. Edge attribution (EAP, EAP-IG) multiplies these
/// with the senders' activation differences.
///
/// The forward computes what `TransformerRunner` computes, through the same block layer, with three additions
/// attribution needs: every sender's output (embedding, each head's z_h·W_O[h], each MLP's output) can be written
/// into a `[senders, rows·dModel]` store (`SenderLayout`); the embedding can be replaced (EAP-IG-inputs'
/// interpolated inputs); and one layer's heads or MLP can output constants (EAP-IG-activations). The final
/// normalisation and unembedding run only at the read rows.
///
/// A runner owns its scratch; keep one per thread of work.
public struct GradientRunner {
    public let model: TransformerModel
    /// The products issued (recorded when a benchmark asks).
    public var log = MatrixProductLog()

    /// `[rows, dModel]`: the residual stream.
    var resid = Tensor(shape: [0])
    /// `[rows, dModel]`: `norm₁`'s output.
    var normed = Tensor(shape: [0])
    /// `[rows, nHeads·dHead]`: every head's z.
    var z = Tensor(shape: [0])
    /// `[rows, dModel]`: a sublayer's output.
    var blockOut = Tensor(shape: [0])
    /// `[rows, dModel]`: one head's (or the embedding's) output on its way into a sender store.
    var senderOut = Tensor(shape: [0])
    /// `[readRows, *]`: the last layer's z, residual stream and MLP input at the read rows (`GradientRunner+LastLayer`).
    var compactZ = Tensor(shape: [0])
    var compactResid = Tensor(shape: [0])
    var compactIn = Tensor(shape: [0])
    /// `[rows, (nHeads + 2·nKVHeads)·dHead]`: grouped projections before ungrouping.
    var grouped = Tensor(shape: [0])
    var pattern = Tensor(shape: [0])
    var mlpScratch = MLPScratch(config: .gpt2Small, rows: 0)
    /// `[nLayers, rows·nHeads·dHead]`: every layer's z from the last `.assignKeepingZ` pass, for the difference pass
    /// after it; `keptZShape` is that pass's (batch, length), nil when nothing is kept.
    var keptZ = Tensor(shape: [0])
    var keptZShape: (batch: Int, length: Int)?
    /// `[rows, nHeads·dHead]`: z − kept z (or kept z − z) of one layer.
    var zDifference = Tensor(shape: [0])
    /// Backward scratch (see `GradientRunner+Backward`).
    var backwardScratch = BlockBackwardScratch(config: .gpt2Small, rows: 0)
    /// `[rows, dModel]`: ∂L/∂(residual stream) while walking down the layers.
    var dResid = Tensor(shape: [0])
    /// `[3·nHeads + 1, rows·dModel]`: the current layer's receiver gradients.
    var receiverGradients = Tensor(shape: [0])

    public init(model: TransformerModel) {
        self.model = model
    }

    /// The rows of the read positions: prompt b's positions `readPositions[b]` as token rows `b·length + p`.
    public static func readRows(_ readPositions: [[Int]], length: Int) -> [Int] {
        readPositions.enumerated().flatMap { b, positions in positions.map { b * length + $0 } }
    }

    /// One forward pass over `batch`, keeping its tape for the backward.
    ///
    /// - Parameters:
    ///   - readPositions: per prompt, where logits are read (equal counts).
    ///   - embedding: replaces the embedding output (`[rows, dModel]`: token and position embedding summed).
    ///   - replacing: one layer's heads or MLP output constants; the pass starts at that layer, taking its input and
    ///     the layers below from `tape` (which must hold them: `ForwardTape.shareLayers(below: layer + 1, of:)`).
    ///   - senders: receives every computed sender's output (`[SenderLayout.count, rows·dModel]`, resized as
    ///     needed) as `recording` says; nil records nothing. Not with `embedding` or `replacing`. The last layer's
    ///     senders are computed at the read rows only (they reach nothing but the output there): their other rows
    ///     are zero after `.assign` and left as they were otherwise.
    ///   - logits: false skips the final normalisation and unembedding (a pass whose outputs alone are needed); the
    ///     tape then cannot be differentiated.
    /// - Returns: `[batch, reads, dVocabOut]` logits at the read positions (also in `tape.logits`).
    /// - Throws: `TransformerError.positionOutOfRange` for read positions outside the prompts.
    @discardableResult
    public mutating func forward(
        _ batch: TokenBatch, readPositions: [[Int]], embedding: Tensor? = nil, replacing: OutputReplacement? = nil,
        tape: inout ForwardTape, senders: inout Tensor, recording: SenderRecording? = nil, logits: Bool = true
    ) throws -> Tensor {
        let c = model.config
        let rows = batch.rows, d = c.dModel, width = rows * d
        let positions = try ReadPositions.perPrompt(readPositions).resolve(batch: batch.batch, length: batch.length)
        precondition(recording == nil || (embedding == nil && replacing == nil),
                     "GradientRunner.forward: sender outputs are recorded only by unmodified passes")
        let layout = SenderLayout(config: c)
        if recording != nil, senders.count != layout.count * width { senders.resize(to: [layout.count, width]) }
        prepareScratch(rows: rows, length: batch.length)
        let start = replacing?.layer ?? 0
        if tape.layers.count != c.nLayers {
            precondition(start == 0, "GradientRunner.forward: a pass from layer \(start) needs the layers below")
            tape.layers = Array(repeating: BlockTape(), count: c.nLayers)
        }
        tape.batch = batch.batch
        tape.length = batch.length
        let readRows = Self.readRows(positions, length: batch.length)
        // A difference pass right after an `.assignKeepingZ` pass over prompts of the same shape forms the heads'
        // differences from z; any other pass leaves nothing kept.
        var keptZ: SenderRecording? = nil
        switch recording {
        case .assignKeepingZ?:
            self.keptZ.resize(to: [c.nLayers, rows * c.dAttention])
            keptZ = .assignKeepingZ
        case let difference? where keptZShape.map({ $0 == (batch.batch, batch.length) }) == true:
            keptZ = difference
        default:
            break
        }
        keptZShape = nil
        // The last layer matters only at the read rows (its keys and values excepted): computed there alone.
        let compactLast = readRows.count < rows

        if start > 0 {
            resid.copy(from: tape.layers[start].input, range: 0..<width, otherOffset: 0)
        } else if let embedding {
            precondition(embedding.count == width, "GradientRunner.forward: embedding of \(embedding.count) floats")
            resid.copy(from: embedding, range: 0..<width, otherOffset: 0)
        } else {
            model.embedding.embed(batch, into: &resid)
            if let recording {
                if layout.separatePositionEmbedding {
                    model.embedding.embed(batch, into: &senderOut, positions: false)
                    record(senderOut, into: &senders, row: 0, width: width, recording)
                    model.embedding.embed(batch, into: &senderOut, tokens: false)
                    record(senderOut, into: &senders, row: 1, width: width, recording)
                } else {
                    record(resid, into: &senders, row: 0, width: width, recording)
                }
            }
        }

        for layer in start..<c.nLayers {
            let block = model.blocks[layer]
            var t = BlockTape()
            swap(&t, &tape.layers[layer])
            t.input.resize(to: [rows, d])
            t.input.copy(from: resid, range: 0..<width, otherOffset: 0)
            t.compactRows = nil
            if compactLast && layer == c.nLayers - 1 {
                lastLayer(block, batch: batch, positions: positions, readRows: readRows, tape: &t, replacing: replacing,
                          senders: &senders, layout: layout,
                          recording: recording == .assignKeepingZ ? .assign : recording)
                swap(&t, &tape.layers[layer])
                continue
            }
            // Attention.
            if case .heads(layer, let values)? = replacing {
                t.headsReplaced = true
                block.attentionOutput(summing: values, rows: rows, preNorm: &t.attentionPreNorm, into: &blockOut)
            } else {
                t.headsReplaced = false
                attention(block, batch: batch, tape: &t, senders: &senders, layout: layout, recording: recording,
                          keptZ: keptZ)
            }
            if block.parallelResidual {
                // GPT-NeoX: the MLP reads the block's input; its output joins after the heads'.
                resid.add(blockOut)
                if block.hasMLP {
                    mlp(block, input: t.input, rows: rows, tape: &t, replacing: replacing, senders: &senders,
                        layout: layout, recording: recording)
                    resid.add(blockOut)
                }
            } else {
                resid.add(blockOut)
                if block.hasMLP {
                    t.mlpInput.resize(to: [rows, d])
                    t.mlpInput.copy(from: resid, range: 0..<width, otherOffset: 0)
                    mlp(block, input: t.mlpInput, rows: rows, tape: &t, replacing: replacing, senders: &senders,
                        layout: layout, recording: recording)
                    resid.add(blockOut)
                }
            }
            swap(&t, &tape.layers[layer])
        }

        if recording == .assignKeepingZ { keptZShape = (batch.batch, batch.length) }

        // Final normalisation and unembedding at the read rows only.
        tape.readRows = readRows
        tape.finalInput.resize(to: [readRows.count, d])
        if compactLast {
            tape.finalInput.copy(from: compactResid, range: 0..<(readRows.count * d), otherOffset: 0)
        } else {
            for (i, row) in readRows.enumerated() {
                tape.finalInput.copy(from: resid, range: (i * d)..<((i + 1) * d), otherOffset: row * d)
            }
        }
        guard logits else { return Tensor(shape: [batch.batch, positions.first?.count ?? 0, 0]) }
        var finalNormed = Tensor(shape: [readRows.count, d])
        model.unembedding.norm.apply(tape.finalInput, rows: readRows.count, into: &finalNormed)
        tape.logits.resize(to: [readRows.count, c.dVocabOut])
        model.unembedding.project(finalNormed, rows: readRows.count, into: &tape.logits, log: &log)
        return tape.logits.reshaped([batch.batch, positions.first?.count ?? 0, c.dVocabOut])
    }

    /// The attention sublayer into `blockOut`, keeping q, k, v; with a sender store, each head's output too (or,
    /// with `keptZ`, z kept for a difference pass, or the heads' differences from the z kept).
    private mutating func attention(
        _ block: TransformerBlock, batch: TokenBatch, tape t: inout BlockTape, senders: inout Tensor,
        layout: SenderLayout, recording: SenderRecording?, keptZ: SenderRecording?
    ) {
        let rows = batch.rows, d = block.dModel
        let heads = block.layout
        block.attentionNorm.apply(t.input, rows: rows, into: &normed)
        if t.qkv.count != rows * heads.activationWidth { t.qkv.resize(to: [rows, heads.activationWidth]) }
        block.projectHeadInputs(normed, rows: rows, positions: RowPositions(length: batch.length), into: &t.qkv,
                                grouped: &grouped, log: &log)
        let stride = heads.activationWidth
        for h in 0..<block.nHeads {
            block.attend(
                q: t.qkv, .init(offset: heads.activationColumn(.q, head: h), rowStride: stride),
                k: t.qkv, .init(offset: heads.activationColumn(.k, head: h), rowStride: stride),
                v: t.qkv, .init(offset: heads.activationColumn(.v, head: h), rowStride: stride),
                batch: batch.batch, length: batch.length, pattern: &pattern, patternOffset: nil,
                z: &z, .init(offset: h * block.dHead, rowStride: heads.headsWidth))
        }
        guard recording != nil || block.postAttentionNorm != nil else {
            block.attentionOutput(z, rows: rows, into: &blockOut, normed: &normed, log: &log)
            return
        }
        // The sum of the heads in one product, keeping (Gemma 2) the post-norm's input; each head's output goes
        // straight into its sender row of the store, combined with what is there by the product's α and β.
        block.startAttentionOutput(rows: rows, into: &blockOut)
        log.gemm(z, MatrixSlice(offset: 0, rows: rows, cols: heads.headsWidth), block.weights.outWeight,
                 MatrixSlice(block.weights.outWeight), into: &blockOut, MatrixSlice(offset: 0, rows: rows, cols: d),
                 beta: 1)
        block.applyPostAttentionNorm(rows: rows, preNorm: &t.attentionPreNorm, to: &blockOut)
        guard let recording else { return }
        let width = rows * d, zCount = rows * heads.headsWidth
        var (alpha, beta): (Float, Float) = switch recording {
        case .assign, .assignKeepingZ: (1, 0)
        case .differenceFrom: (1, -1)
        case .subtract: (-1, 1)
        }
        switch keptZ {
        case .assignKeepingZ?:
            self.keptZ.copy(from: z, range: (block.layer * zCount)..<((block.layer + 1) * zCount), otherOffset: 0)
            return
        case let difference?:
            // (z − kept)·W_O[h], negated (exactly) for `.subtract`: kept − this pass.
            zDifference.resize(to: [rows, heads.headsWidth])
            zDifference.setCombination(z, aOffset: 0, self.keptZ, bOffset: block.layer * zCount,
                                       factor: -1, count: zCount, offset: 0)
            (alpha, beta) = (difference == .subtract ? -1 : 1, 0)
        case nil:
            break
        }
        let source = keptZ == nil ? z : zDifference
        for h in 0..<block.nHeads {
            let row = layout.head(layer: block.layer, head: h)
            BLAS.gemm(source, MatrixSlice(offset: h * block.dHead, rows: rows, cols: block.dHead, rowStride: heads.headsWidth),
                      block.weights.outWeight, MatrixSlice(offset: h * block.dHead * d, rows: block.dHead, cols: d),
                      into: &senders, MatrixSlice(offset: row * width, rows: rows, cols: d), alpha: alpha, beta: beta)
        }
    }

    /// The MLP into `blockOut`, keeping its pre-activation; or its replacement.
    private mutating func mlp(
        _ block: TransformerBlock, input: Tensor, rows: Int, tape t: inout BlockTape, replacing: OutputReplacement?,
        senders: inout Tensor, layout: SenderLayout, recording: SenderRecording?
    ) {
        let width = rows * block.dModel
        if case .mlp(block.layer, let values)? = replacing {
            t.mlpReplaced = true
            blockOut.copy(from: values, range: 0..<width, otherOffset: 0)
            return
        }
        t.mlpReplaced = false
        block.mlp(input, rows: rows, scratch: &mlpScratch, keepingPreActivation: &t.mlpPreActivation,
                  preNorm: &t.mlpPreNorm, into: &blockOut, log: &log)
        if let recording, let row = layout.mlp(layer: block.layer) {
            record(blockOut, into: &senders, row: row, width: width, recording)
        }
    }

    /// Writes `output[0 ..< width]` into row `row` of the sender store.
    func record(_ output: Tensor, into senders: inout Tensor, row: Int, width: Int, _ recording: SenderRecording) {
        switch recording {
        case .assign, .assignKeepingZ:
            senders.copy(from: output, range: (row * width)..<((row + 1) * width), otherOffset: 0)
        case .differenceFrom:
            senders.subtract(fromValues: output, otherOffset: 0, count: width, offset: row * width)
        case .subtract:
            senders.add(output, scaledBy: -1, range: (row * width)..<((row + 1) * width), otherOffset: 0)
        }
    }

    /// Sizes the scratch for `rows` token rows.
    private mutating func prepareScratch(rows: Int, length: Int) {
        let c = model.config
        resid.resize(to: [rows, c.dModel])
        normed.resize(to: [rows, c.dModel])
        z.resize(to: [rows, c.dAttention])
        blockOut.resize(to: [rows, c.dModel])
        senderOut.resize(to: [rows, c.dModel])
        if mlpScratch.normed.count != rows * c.dModel { mlpScratch = MLPScratch(config: c, rows: rows) }
    }
}
