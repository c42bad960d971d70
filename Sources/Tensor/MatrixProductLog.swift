/// The shape of one matrix product `[m, k] · [k, n]`.
public struct MatrixProductShape: Sendable, Hashable {
    public var m: Int
    public var k: Int
    public var n: Int
    public var transposeB: Bool

    public init(m: Int, k: Int, n: Int, transposeB: Bool) {
        self.m = m
        self.k = k
        self.n = n
        self.transposeB = transposeB
    }

    /// Floating-point operations: 2·m·k·n.
    public var flops: Double { 2 * Double(m) * Double(k) * Double(n) }
}

/// Optionally records the shapes of the matrix products a computation issues, so that benchmarks can count its
/// FLOPs and time a plain sgemm of exactly those shapes for comparison. Recording is off by default and costs
/// nothing then. The block layer issues every product of a forward or patched pass through one.
public struct MatrixProductLog: Sendable {
    /// The recorded shapes, or nil when not recording.
    public var shapes: [MatrixProductShape]?

    public init(recording: Bool = false) {
        shapes = recording ? [] : nil
    }

    /// `BLAS.gemm` (without transposing `a`), logging the shape when recording.
    public mutating func gemm(
        _ a: Tensor, _ aSlice: MatrixSlice, _ b: Tensor, _ bSlice: MatrixSlice, transposeB: Bool = false,
        into c: inout Tensor, _ cSlice: MatrixSlice, beta: Float = 0
    ) {
        if shapes != nil {
            shapes!.append(MatrixProductShape(
                m: aSlice.rows, k: aSlice.cols, n: transposeB ? bSlice.rows : bSlice.cols, transposeB: transposeB))
        }
        BLAS.gemm(a, aSlice, b, bSlice, transposeB: transposeB, into: &c, cSlice, beta: beta)
    }
}
