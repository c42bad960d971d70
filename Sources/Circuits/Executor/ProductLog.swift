import Tensor

extension EdgePatchingExecutor {
    /// Starts (or stops) recording the shapes of the matrix products that patched runs issue.
    public mutating func recordProducts(_ on: Bool) {
        productLog.shapes = on ? [] : nil
    }

    /// The shapes recorded since `recordProducts(true)`, clearing the record.
    public mutating func takeRecordedProducts() -> [MatrixProductShape] {
        defer { if productLog.shapes != nil { productLog.shapes = [] } }
        return productLog.shapes ?? []
    }
}
