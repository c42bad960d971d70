import Tensor

/// The normalisation's backward: the input gradient of LayerNorm, RMSNorm or none from the output gradient, at
/// the forward's input rows. Parameter gradients are not computed (attribution differentiates activations only).
extension Normalizer {
    /// The per-row statistics of `rows` rows of `input` from row `inputRow` (empty for `.none`).
    public func statistics(_ input: Tensor, inputRow: Int = 0, rows: Int) -> NormStatistics {
        switch kind {
        case .layerNorm:
            LayerNorm.statistics(input, inputRow: inputRow, rows: rows, width: width, epsilon: epsilon)
        case .rmsNorm:
            RMSNorm.statistics(input, inputRow: inputRow, rows: rows, width: width, epsilon: epsilon)
        case .none:
            NormStatistics(mean: [], rstd: [])
        }
    }

    /// Turns the output gradient in `gradient` (`rows` rows of `[width]` from element `offset`) into the input
    /// gradient in place, and adds it to `sum` from element `sumOffset`.
    ///
    /// - Parameters:
    ///   - input: the forward's input, `[.., width]`, rows from `inputRow`; `statistics` from `statistics(_:)`.
    public func backward(
        _ gradient: inout Tensor, offset: Int = 0, rows: Int, input: Tensor, inputRow: Int = 0,
        statistics: NormStatistics, addingTo sum: inout Tensor, sumOffset: Int = 0
    ) {
        switch kind {
        case .layerNorm:
            LayerNorm.backward(&gradient, offset: offset, rows: rows, width: width, input: input, inputRow: inputRow,
                               statistics: statistics, weight: weight, addingTo: &sum, sumOffset: sumOffset)
        case .rmsNorm:
            RMSNorm.backward(&gradient, offset: offset, rows: rows, width: width, input: input, inputRow: inputRow,
                             statistics: statistics, weight: weight, addingTo: &sum, sumOffset: sumOffset)
        case .none:
            sum.add(gradient, range: sumOffset..<(sumOffset + rows * width), otherOffset: offset)
        }
    }

    /// `backward` without accumulating anywhere.
    public func backward(
        _ gradient: inout Tensor, offset: Int = 0, rows: Int, input: Tensor, inputRow: Int = 0,
        statistics: NormStatistics
    ) {
        switch kind {
        case .layerNorm:
            LayerNorm.backward(&gradient, offset: offset, rows: rows, width: width, input: input, inputRow: inputRow,
                               statistics: statistics, weight: weight)
        case .rmsNorm:
            RMSNorm.backward(&gradient, offset: offset, rows: rows, width: width, input: input, inputRow: inputRow,
                             statistics: statistics, weight: weight)
        case .none:
            break
        }
    }
}
