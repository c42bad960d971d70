import Tensor

/// `ForwardInterventions` checked against one batch, with every replacement's positions resolved to token rows:
/// what `TransformerRunner` consults while it runs. Built once per pass, before anything is computed, so that a
/// bad intervention throws without a half-finished pass.
struct InterventionPlan {
    /// A replacement with its token rows (nil: every row).
    struct Resolved {
        var replacement: ForwardInterventions.Replacement
        var rows: [Int]?
    }

    let interventions: ForwardInterventions
    let head: [Resolved?]
    let stream: [Resolved?]
    /// Per `layer·nHeads + head`: the token rows whose attention pattern is replaced (Intervention+Pattern.swift).
    let patternRows: [[Int]?]
    let rows: Int

    var nLayers: Int { interventions.nLayers }
    var nHeads: Int { interventions.nHeads }
    var firstLayer: Int { interventions.firstLayer }
    var resumeResidual: Tensor? { interventions.resumeResidual }
    var lastLayer: Int { interventions.lastLayer }

    init(_ iv: ForwardInterventions, config: ModelConfig, batch: TokenBatch) throws {
        precondition(iv.nLayers == config.nLayers && iv.nHeads == config.nHeads && iv.dHead == config.dHead
                     && iv.dModel == config.dModel, "ForwardInterventions built for another model shape")
        let rows = batch.rows
        func resolve(_ r: ForwardInterventions.Replacement?, site: () -> String) throws -> Resolved? {
            guard let r else { return nil }
            guard r.source.count == rows * r.rowStride else {
                throw TransformerError.interventionShapeMismatch(
                    site: site(), expected: [rows, r.rowStride], found: r.source.shape)
            }
            return Resolved(replacement: r, rows: try r.positions.rows(batch: batch.batch, length: batch.length))
        }
        var head: [Resolved?] = []
        head.reserveCapacity(iv.headReplacements.count)
        for kind in HeadActivation.allCases {
            for layer in 0..<iv.nLayers {
                for h in 0..<iv.nHeads {
                    let r = iv.headReplacements[iv.headIndex(kind, layer: layer, head: h)]
                    head.append(try resolve(r) { "blocks.\(layer).attn.hook_\(kind)[head \(h)]" })
                }
            }
        }
        var stream: [Resolved?] = []
        for kind in StreamActivation.allCases {
            for layer in 0..<iv.nLayers {
                let r = iv.streamReplacements[iv.streamIndex(kind, layer: layer)]
                stream.append(try resolve(r) { "blocks.\(layer).\(kind.hookName)" })
            }
        }
        if let resume = iv.resumeResidual, resume.count != rows * iv.dModel {
            throw TransformerError.interventionShapeMismatch(
                site: "blocks.\(iv.firstLayer).hook_resid_pre (resumed from)", expected: [rows, iv.dModel],
                found: resume.shape)
        }
        if config.hasMLP == false {
            for layer in 0..<iv.nLayers where stream[iv.streamIndex(.mlpOut, layer: layer)] != nil {
                throw TransformerError.interventionShapeMismatch(
                    site: "blocks.\(layer).hook_mlp_out (the model has no MLPs)", expected: [0], found: [rows, iv.dModel])
            }
        }
        self.interventions = iv
        self.head = head
        self.stream = stream
        self.patternRows = try Self.resolvePatterns(iv, batch: batch)
        self.rows = rows
    }

    func touches(layer: Int) -> Bool { interventions.layerTouched[layer] }

    /// Whether every head of `layer` has its z replaced at every row while no q, k or v of the layer is replaced or
    /// recorded: then ln1, the QKV projection and attention of the layer cannot influence anything.
    func replacesEveryZ(layer: Int) -> Bool {
        for h in 0..<nHeads {
            guard replacesEveryRow(.z, layer: layer, head: h) else { return false }
            for kind in [HeadActivation.q, .k, .v] {
                let index = interventions.headIndex(kind, layer: layer, head: h)
                if head[index] != nil || interventions.headRecords[index] { return false }
            }
            if replacesPattern(layer: layer, head: h) && !replacesEveryRow(.z, layer: layer, head: h) { return false }
        }
        return true
    }

    /// Whether `kind` of a head is replaced at every token row (so computing it is wasted work).
    func replacesEveryRow(_ kind: HeadActivation, layer: Int, head h: Int) -> Bool {
        guard let r = head[interventions.headIndex(kind, layer: layer, head: h)] else { return false }
        return r.rows == nil
    }

    /// Writes a replacement's values into `width` columns of `dest` starting at `columnOffset` (row stride
    /// `rowStride`), at its rows.
    private func write(_ r: Resolved, width: Int, into dest: inout Tensor, columnOffset: Int, rowStride: Int) {
        let src = r.replacement
        if let selected = r.rows {
            for row in selected {
                let start = row * rowStride + columnOffset
                dest.copy(from: src.source, range: start..<(start + width),
                          otherOffset: row * src.rowStride + src.columnOffset)
            }
        } else {
            dest.copyBlocks(from: src.source, sourceOffset: src.columnOffset, sourceStride: src.rowStride,
                            offset: columnOffset, stride: rowStride, blockLength: width, blocks: rows)
        }
    }

    /// Replaces a stream activation `[rows, dModel]` in place.
    func apply(_ kind: StreamActivation, layer: Int, to tensor: inout Tensor) {
        guard let r = stream[interventions.streamIndex(kind, layer: layer)] else { return }
        write(r, width: interventions.dModel, into: &tensor, columnOffset: 0, rowStride: interventions.dModel)
    }

    /// Replaces, then records, heads' q, k and v in the `[rows, 3·nHeads·dHead]` buffer laid out by `layout`.
    func applyQKV(layer: Int, layout: HeadInputLayout, to qkv: inout Tensor, records: inout HeadRecordings) {
        let dh = interventions.dHead
        for (kind, input) in zip([HeadActivation.q, .k, .v], HeadInput.allCases) {
            for h in 0..<nHeads {
                let index = interventions.headIndex(kind, layer: layer, head: h)
                let column = layout.activationColumn(input, head: h)
                if let r = head[index] {
                    write(r, width: dh, into: &qkv, columnOffset: column, rowStride: layout.activationWidth)
                }
                if interventions.headRecords[index] {
                    records.set(kind, layer: layer, head: h, Self.extract(qkv, column: column, width: dh, rows: rows))
                }
            }
        }
    }

    /// Replaces, then records, heads' z in the `[rows, dAttention]` buffer.
    func applyZ(layer: Int, to z: inout Tensor, records: inout HeadRecordings) {
        let dh = interventions.dHead, dA = nHeads * dh
        for h in 0..<nHeads {
            let index = interventions.headIndex(.z, layer: layer, head: h)
            if let r = head[index] { write(r, width: dh, into: &z, columnOffset: h * dh, rowStride: dA) }
            if interventions.headRecords[index] {
                records.set(.z, layer: layer, head: h, Self.extract(z, column: h * dh, width: dh, rows: rows))
            }
        }
    }

    /// `[rows, width]`: columns `column ..< column + width` of a row-major buffer of `rows` rows.
    static func extract(_ t: Tensor, column: Int, width: Int, rows: Int) -> Tensor {
        var out = Tensor(shape: [rows, width])
        out.copyBlocks(from: t, sourceOffset: column, sourceStride: t.count / max(rows, 1),
                       offset: 0, stride: width, blockLength: width, blocks: rows)
        return out
    }
}
