/// A dense, row-major tensor of `Float`.
///
/// Storage is a Swift array, so a `Tensor` is a value: copies are cheap until written (copy-on-write).
/// Hot loops write through `withUnsafeMutableBufferPointer` on a uniquely referenced tensor, so no copy happens
/// there; scratch tensors are allocated once and reused by the callers that own them.
public struct Tensor: Sendable, Equatable {
    /// The extent of every axis, outermost first.
    public private(set) var shape: [Int]
    /// The elements in row-major order; `scalars.count == shape.reduce(1, *)`.
    public internal(set) var scalars: [Float]

    /// Wraps `scalars` as a tensor of `shape`. The caller guarantees `scalars.count == shape.product`
    /// (checked with a precondition: a mismatch is a programming error, not bad input).
    public init(shape: [Int], scalars: [Float]) {
        precondition(shape.reduce(1, *) == scalars.count, "Tensor: \(scalars.count) scalars for shape \(shape)")
        self.shape = shape
        self.scalars = scalars
    }

    /// A tensor of `shape` filled with `value` (zero by default).
    public init(shape: [Int], repeating value: Float = 0) {
        self.shape = shape
        let count = shape.reduce(1, *)
        self.scalars = value == 0 ? Tensor.zeros(count: count) : [Float](repeating: value, count: count)
    }

    /// Number of elements.
    public var count: Int { scalars.count }

    /// Number of axes.
    public var rank: Int { shape.count }

    /// The same elements seen with another shape of the same element count.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        Tensor(shape: newShape, scalars: scalars)
    }

    /// Changes the shape in place, reusing the storage when the element count is unchanged and growing it
    /// (zero-filled) otherwise. Used by scratch buffers that are sized per batch.
    public mutating func resize(to newShape: [Int]) {
        let n = newShape.reduce(1, *)
        if n != scalars.count {
            if n < scalars.count {
                scalars.removeLast(scalars.count - n)
            } else {
                scalars = Tensor.grown(scalars, to: n)
            }
        }
        shape = newShape
    }

    /// Sets every element to `value`.
    public mutating func fill(_ value: Float) {
        scalars.withUnsafeMutableBufferPointer { p in
            p.update(repeating: value)
        }
    }

    /// Element access by flat (row-major) index.
    public subscript(flat index: Int) -> Float {
        get { scalars[index] }
        set { scalars[index] = newValue }
    }

    /// Element access by multi-index, for tests and small tensors.
    public subscript(_ index: Int...) -> Float {
        get { scalars[flatIndex(index)] }
        set { scalars[flatIndex(index)] = newValue }
    }

    /// The row-major offset of a multi-index.
    public func flatIndex(_ index: [Int]) -> Int {
        precondition(index.count == shape.count, "Tensor: index \(index) for shape \(shape)")
        var offset = 0
        for (i, n) in zip(index, shape) {
            precondition(i >= 0 && i < n, "Tensor: index \(index) out of range for shape \(shape)")
            offset = offset * n + i
        }
        return offset
    }

    /// Gives read access to the storage without copying.
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try scalars.withUnsafeBufferPointer(body)
    }

    /// Gives write access to the storage; the array is made unique first if it is shared.
    public mutating func withUnsafeMutableBufferPointer<R>(
        _ body: (inout UnsafeMutableBufferPointer<Float>) throws -> R
    ) rethrows -> R {
        try scalars.withUnsafeMutableBufferPointer(body)
    }
}

extension Tensor {
    /// The largest absolute element-wise difference to `other` (same element count); for tests and self-checks.
    /// NaN when any difference is NaN (a NaN or an infinity in either tensor), so that `difference <= tolerance`
    /// fails for non-finite values instead of ignoring them.
    public func maxAbsDifference(_ other: Tensor) -> Float {
        precondition(count == other.count, "Tensor: comparing \(shape) with \(other.shape)")
        var m: Float = 0
        scalars.withUnsafeBufferPointer { a in
            other.scalars.withUnsafeBufferPointer { b in
                for i in 0..<a.count {
                    let d = Swift.abs(a[i] - b[i])
                    if d.isNaN { m = .nan; return }
                    m = Swift.max(m, d)
                }
            }
        }
        return m
    }
}
