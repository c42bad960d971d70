import Foundation
import Tensor

/// Looks tensors up across a checkpoint's files (one file, or the shards of a sharded checkpoint), checks their
/// shapes and values, and remembers which were used.
///
/// Every tensor read is checked for NaN and ±Inf: a checkpoint with one bad value would otherwise give NaN logits
/// and, downstream, empty circuits or zero faithfulness that look like results.
struct WeightReader {
    let files: [SafetensorsFile]
    private(set) var used: Set<String> = []

    init(files: [SafetensorsFile]) {
        self.files = files
    }

    /// The files' names, for messages.
    var fileNames: String { files.map(\.fileName).joined(separator: ", ") }

    func contains(_ name: String) -> Bool { files.contains { $0.contains(name) } }

    mutating func markUsed(_ name: String) { used.insert(name) }

    /// Tensor `name`, which must exist and have shape `expected`.
    mutating func tensor(_ name: String, _ expected: [Int]) throws -> Tensor {
        guard let file = files.first(where: { $0.contains(name) }) else {
            throw TransformerError.missingTensor(file: fileNames, tensor: name)
        }
        let found = file.shape(of: name) ?? []
        guard found == expected else {
            throw TransformerError.tensorShapeMismatch(file: file.fileName, tensor: name, expected: expected, found: found)
        }
        used.insert(name)
        let t = try file.tensor(named: name)
        let bad = t.withUnsafeBufferPointer { p in p.reduce(0) { $0 + ($1.isFinite ? 0 : 1) } }
        if bad > 0 {
            throw TransformerError.nonFiniteWeights(file: file.fileName, tensor: name, count: bad, total: t.count)
        }
        return t
    }

    /// Tensor `name` if present (then with shape `expected`), nil otherwise.
    mutating func optional(_ name: String, _ expected: [Int]) throws -> Tensor? {
        contains(name) ? try tensor(name, expected) : nil
    }

    /// A normalisation's scale and shift (`[dModel]` each); two empty tensors when `present` is false, and an empty
    /// shift when `shift` is nil (RMSNorm).
    mutating func norm(_ weight: String, _ bias: String?, width: Int, present: Bool) throws -> (Tensor, Tensor) {
        guard present else { return (.absent, .absent) }
        return (try tensor(weight, [width]), try bias.map { try tensor($0, [width]) } ?? .absent)
    }

    /// The unembedding `[dVocabOut, dModel]`: tensor `name`, or `embedding` when the configuration ties them.
    /// Hugging Face ignores a stored copy of a tied head, so it is marked used rather than reported as unexpected.
    mutating func unembedding(_ name: String, tiedTo embedding: Tensor, tied: Bool, shape: [Int]) throws -> Tensor {
        guard tied else { return try tensor(name, shape) }
        markUsed(name)
        return embedding
    }

    /// A Hugging Face `nn.Linear` weight (`[out, in]`), transposed to circuitry's `[in, out]`.
    mutating func linear(_ name: String, out: Int, in inputs: Int) throws -> Tensor {
        Self.transpose(try tensor(name, [out, inputs]))
    }

    /// Names in the files that no loader step asked for, sorted.
    var unused: [String] {
        Set(files.flatMap(\.names)).subtracting(used).sorted()
    }

    /// Fails when an unused tensor belongs to a layer the configuration does not have (`…layers.7.…` in a
    /// checkpoint whose config says 6 layers): that model would otherwise run silently without its last layers.
    /// `layerContainers` are the path components that precede a layer index (`h`, `layers`, `blocks`).
    func checkNoExtraLayers(nLayers: Int, layerContainers: [String], file: String) throws {
        for name in unused {
            let parts = name.split(separator: ".")
            for (i, part) in parts.enumerated() where layerContainers.contains(String(part)) && i + 1 < parts.count {
                if let index = Int(parts[i + 1]), index >= nLayers {
                    throw TransformerError.layerCountMismatch(file: file, configLayers: nLayers, tensor: name)
                }
            }
        }
    }

    /// The transpose of a rank-2 tensor.
    static func transpose(_ t: Tensor) -> Tensor {
        let rows = t.shape[0], cols = t.shape[1]
        var out = [Float](repeating: 0, count: rows * cols)
        t.withUnsafeBufferPointer { source in
            for r in 0..<rows {
                for c in 0..<cols { out[c * rows + r] = source[r * cols + c] }
            }
        }
        return Tensor(shape: [cols, rows], scalars: out)
    }

    /// Side-by-side concatenation of `[rows, *]` matrices: `[rows, Σ cols]`.
    static func concatenateColumns(_ parts: [Tensor]) -> Tensor {
        let rows = parts.first?.shape[0] ?? 0
        let widths = parts.map { $0.shape.count == 2 ? $0.shape[1] : 0 }
        let total = widths.reduce(0, +)
        var out = Tensor(shape: [rows, total])
        var column = 0
        for (part, width) in zip(parts, widths) {
            out.copyBlocks(from: part, sourceOffset: 0, sourceStride: width, offset: column, stride: total,
                           blockLength: width, blocks: rows)
            column += width
        }
        return out
    }

    /// Concatenation of vectors.
    static func concatenate(_ parts: [Tensor]) -> Tensor {
        let values = parts.flatMap(\.scalars)
        return Tensor(shape: [values.count], scalars: values)
    }
}
