import Foundation
import Tensor

/// The cosine and sine tables of a model's rotary embedding, one row per position up to `nCtx`, computed as
/// Hugging Face's `RotaryEmbedding` does in Float: `inv_freq[i] = 1 / θ^(2i/dims)`, angle = position · inv_freq[i]
/// (one Float product), then cos and sin of the angle. Shared by every layer of a model.
public struct RotaryTable: Sendable {
    /// How many leading components of each head rotate.
    public let dims: Int
    /// `[nCtx, dims/2]`: cos(p·inv_freq[i]) and sin(p·inv_freq[i]).
    public let cos: Tensor
    public let sin: Tensor

    /// The table of `config`, or nil for a model with learned positions.
    public init?(config: ModelConfig) {
        guard case let .rotary(rotary) = config.positionEncoding else { return nil }
        self.init(rotary: rotary, positions: config.nCtx)
    }

    public init(rotary: RotaryConfig, positions: Int) {
        let half = rotary.dims / 2
        let frequencies = Self.inverseFrequencies(rotary)
        var c = [Float](repeating: 0, count: positions * half)
        var s = [Float](repeating: 0, count: positions * half)
        for p in 0..<positions {
            for i in 0..<half {
                let angle = Float(p) * frequencies[i]
                c[p * half + i] = cosf(angle)
                s[p * half + i] = sinf(angle)
            }
        }
        self.dims = rotary.dims
        self.cos = Tensor(shape: [positions, half], scalars: c)
        self.sin = Tensor(shape: [positions, half], scalars: s)
    }

    /// `inv_freq`, `[dims/2]`: Hugging Face's default (`1 / θ^(2i/dims)` in Float) or Llama 3's scaled variant
    /// (`_compute_llama3_parameters`: wavelengths longer than `original_max_position_embeddings / low_freq_factor`
    /// are slowed by `factor`, those shorter than `… / high_freq_factor` kept, the band between interpolated).
    static func inverseFrequencies(_ rotary: RotaryConfig) -> [Float] {
        let half = rotary.dims / 2
        let base = Float(rotary.theta)
        var inv = (0..<half).map { i in 1 / powf(base, Float(2 * i) / Float(rotary.dims)) }
        guard let scaling = rotary.llama3Scaling else { return inv }
        let old = Double(scaling.originalMaxPositionEmbeddings)
        let lowWavelength = old / scaling.lowFrequencyFactor
        let highWavelength = old / scaling.highFrequencyFactor
        for i in 0..<half {
            let f = Double(inv[i])
            let wavelength = 2 * Double.pi / f
            var scaled = wavelength > lowWavelength ? f / scaling.factor : f
            if !(wavelength < highWavelength) && !(wavelength > lowWavelength) {
                let smooth = (old / wavelength - scaling.lowFrequencyFactor)
                    / (scaling.highFrequencyFactor - scaling.lowFrequencyFactor)
                scaled = (1 - smooth) * scaled / scaling.factor + smooth * scaled
            }
            inv[i] = Float(scaled)
        }
        return inv
    }

    /// Rotates `heads` consecutive head vectors (`dHead` apart) starting at `offset` in each of `rows` rows.
    func apply(
        _ t: inout Tensor, offset: Int, rowStride: Int, rows: Int, heads: Int, dHead: Int, positions: RowPositions
    ) {
        Rotary.apply(&t, offset: offset, rowStride: rowStride, rows: rows, heads: heads, headStride: dHead,
                     dims: dims, cos: cos, sin: sin, positions: positions)
    }
}
