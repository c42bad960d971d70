/// Elementwise operations of the backward pass and of attribution's activation differences.
extension Tensor {
    /// `self[offset + i] = other[otherOffset + i] − self[offset + i]` for `i < count`: turns a stored value a into
    /// b − a in place (a corrupted run's output minus the clean one already stored).
    public mutating func subtract(fromValues other: Tensor, otherOffset: Int, count: Int, offset: Int) {
        precondition(offset + count <= self.count && otherOffset + count <= other.count, "subtract(fromValues:): range")
        withUnsafeMutableBufferPointer { a in
            other.withUnsafeBufferPointer { b in
                for i in 0..<count { a[offset + i] = b[otherOffset + i] - a[offset + i] }
            }
        }
    }

    /// `self[offset + i] = a[aOffset + i] + factor · b[bOffset + i]` for `i < count`.
    public mutating func setCombination(
        _ a: Tensor, aOffset: Int, _ b: Tensor, bOffset: Int, factor: Float, count: Int, offset: Int
    ) {
        precondition(offset + count <= self.count && aOffset + count <= a.count && bOffset + count <= b.count,
                     "setCombination: range")
        withUnsafeMutableBufferPointer { d in
            a.withUnsafeBufferPointer { pa in
                b.withUnsafeBufferPointer { pb in
                    for i in 0..<count { d[offset + i] = pa[aOffset + i] + factor * pb[bOffset + i] }
                }
            }
        }
    }

    /// Sets the elements of `range` to zero.
    public mutating func zero(_ range: Range<Int>) {
        precondition(range.upperBound <= count, "zero: \(range) of \(count) elements")
        withUnsafeMutableBufferPointer { p in
            for i in range { p[i] = 0 }
        }
    }

    /// Whether every element of `range` is finite (no NaN, no ±∞).
    public func allFinite(_ range: Range<Int>? = nil) -> Bool {
        let r = range ?? 0..<count
        return withUnsafeBufferPointer { p in
            for i in r where !p[i].isFinite { return false }
            return true
        }
    }
}
