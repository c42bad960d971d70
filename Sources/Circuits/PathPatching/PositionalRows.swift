import Tensor
import Transformer

/// Token-row arithmetic shared by positional path patching and linear direct path patching: which rows
/// (`b·length + t`) a position selection picks, a sender head's output at every row, and row masks.
enum PositionalRows {
    /// The token rows `positions` selects in a batch of `batch` prompts of `length` tokens, or nil for every row.
    ///
    /// - Throws: `TransformerError.positionOutOfRange` for a position outside the prompts,
    ///   `.interventionShapeMismatch` when per-prompt lists do not match the batch.
    static func rows(_ positions: InterventionPositions, batch: Int, length: Int) throws -> [Int]? {
        switch positions {
        case .all:
            return nil
        case let .shared(list):
            for p in list where p < 0 || p >= length {
                throw TransformerError.positionOutOfRange(position: p, length: length)
            }
            return (0..<batch).flatMap { b in list.map { b * length + $0 } }
        case let .perPrompt(lists):
            guard lists.count == batch else {
                throw TransformerError.interventionShapeMismatch(
                    site: "per-prompt positions", expected: [batch], found: [lists.count])
            }
            var rows: [Int] = []
            for (b, list) in lists.enumerated() {
                for p in list {
                    guard p >= 0 && p < length else { throw TransformerError.positionOutOfRange(position: p, length: length) }
                    rows.append(b * length + p)
                }
            }
            return rows
        }
    }

    /// Whether a selection picks no row at all (then a positional patch changes nothing).
    static func isEmpty(_ positions: InterventionPositions) -> Bool {
        switch positions {
        case .all: false
        case let .shared(list): list.isEmpty
        case let .perPrompt(lists): lists.allSatisfy(\.isEmpty)
        }
    }

    /// `[rows]`: 1 at the selected rows, 0 elsewhere (all ones for nil, i.e. every row).
    static func mask(_ selected: [Int]?, rows: Int) -> [Float] {
        guard let selected else { return Array(repeating: 1, count: rows) }
        var mask = [Float](repeating: 0, count: rows)
        for r in selected { mask[r] = 1 }
        return mask
    }

    /// `[rows, dModel]`: head `h`'s result `z_h · W_O[h]` (without b_O) from a layer's z (`[rows, nHeads·dHead]`).
    static func headResult(z: Tensor, head h: Int, layer: Int, model: TransformerModel, rows: Int) -> Tensor {
        let block = model.blocks[layer]
        var out = Tensor(shape: [rows, block.dModel])
        var log = MatrixProductLog()
        block.headOutput(z, MatrixSlice(offset: h * block.dHead, rows: rows, cols: block.dHead,
                                        rowStride: block.layout.headsWidth),
                         head: h, into: &out, MatrixSlice(out), log: &log)
        return out
    }

    /// `[rows, dModel]`: `a − b` with the rows outside `mask` zeroed.
    static func maskedDifference(_ a: Tensor, _ b: Tensor, mask: [Float], width: Int) -> Tensor {
        precondition(a.count == b.count && a.count == mask.count * width, "PositionalRows: shapes differ")
        var out = [Float](repeating: 0, count: a.count)
        for r in 0..<mask.count where mask[r] != 0 {
            let o = r * width
            for j in 0..<width { out[o + j] = a.scalars[o + j] - b.scalars[o + j] }
        }
        return Tensor(shape: a.shape, scalars: out)
    }

    /// `[rows, dHead]`: a head's q, k or v computed from an explicit residual input `[rows, dModel]` of a batch of
    /// prompts `length` tokens long (the block's own normalisation, projection, bias and rotary embedding).
    static func headInput(
        _ kind: HeadInput, head h: Int, layer: Int, from input: Tensor, model: TransformerModel, rows: Int, length: Int
    ) -> Tensor {
        let block = model.blocks[layer]
        var normed = Tensor(shape: [rows, block.dModel])
        block.attentionNorm.apply(input, rows: rows, into: &normed)
        var out = Tensor(shape: [rows, block.dHead])
        var log = MatrixProductLog()
        block.projectHeadInput(kind, head: h, normed, rows: rows, positions: RowPositions(length: length),
                               into: &out, MatrixSlice(out), log: &log)
        return out
    }
}
