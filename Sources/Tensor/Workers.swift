import Dispatch
import Synchronization

/// The two ways circuitry's kernels share a loop between the product workers (`BLAS.threads`). Neither changes a
/// result's bits: each index, or each part, is computed the same way whichever worker runs it.
enum Workers {
    /// `body(i)` for every i in `0 ..< count`, on up to `workers` workers that each take the next index left, so a
    /// worker slowed by another process on its core leaves its share to the others (matrix tiles, inner-dimension
    /// chunks). One worker or one index: on the calling thread, in order.
    static func forEachTaken(_ count: Int, workers: Int, _ body: @Sendable (Int) -> Void) {
        let workers = min(workers, count)
        guard workers > 1 else {
            for i in 0..<count { body(i) }
            return
        }
        let next = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while true {
                let i = next.wrappingAdd(1, ordering: .relaxed).oldValue
                guard i < count else { break }
                body(i)
            }
        }
    }

    /// `body` on `workers` contiguous parts of `0 ..< count`, one per worker (rows, prompts, a buffer's slices:
    /// many equal pieces of work). One worker: `body(0 ..< count)` on the calling thread.
    static func forEachPart(_ count: Int, workers: Int, _ body: @Sendable (Range<Int>) -> Void) {
        let workers = min(workers, count)
        guard workers > 1 else {
            body(0..<count)
            return
        }
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            body((count * w / workers)..<(count * (w + 1) / workers))
        }
    }

    /// Elements of work from which a kernel's loop is shared between the workers: below it the loop stays on the
    /// calling thread, where it ends before the workers would have started.
    static let sharedWork = 1 << 16

    /// `forEachPart` on every product worker (`BLAS.threads`) when the loop touches at least `sharedWork`
    /// elements (`work`), on the calling thread otherwise.
    static func forEachPart(_ count: Int, work: Int, _ body: @Sendable (Range<Int>) -> Void) {
        forEachPart(count, workers: work >= sharedWork ? BLAS.threads : 1, body)
    }
}
