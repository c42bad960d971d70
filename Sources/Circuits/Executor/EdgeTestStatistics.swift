/// The work of the edge tests an executor ran through `test(_:)`.
///
/// FLOPs count the matrix products (2·m·k·n), attention (4·dHead per query–key pair: scores and mixing) and the
/// additions that form receiver inputs (one per element and operand); normalisation and activations are not counted.
/// `denseFLOPs` is what the dense test (`EdgeTestMode.dense`) issues for the same candidate circuits (see
/// `denseTestFLOPs`): every head and MLP from the lowest layer with an ablated edge up, and per layer a correction
/// product over every stored sender row below it.
public struct EdgeTestStatistics: Sendable, Equatable {
    /// Tests run.
    public var tests = 0
    /// FLOPs done, including bringing the state up to date between tests (ACDC's untested removals, a resume).
    public var flops = 0.0
    /// FLOPs the dense test would have done for the same tests.
    public var denseFLOPs = 0.0

    public init(tests: Int = 0, flops: Double = 0, denseFLOPs: Double = 0) {
        self.tests = tests
        self.flops = flops
        self.denseFLOPs = denseFLOPs
    }

    /// FLOPs skipped by sparse propagation: the dense tests' minus those done (never negative).
    public var skippedFLOPs: Double { max(0, denseFLOPs - flops) }
}

extension EdgeTestStatistics {
    /// The work done since `earlier` was read from the same executor.
    public func since(_ earlier: EdgeTestStatistics) -> EdgeTestStatistics {
        EdgeTestStatistics(tests: tests - earlier.tests, flops: flops - earlier.flops,
                           denseFLOPs: denseFLOPs - earlier.denseFLOPs)
    }
}
