/// Large zero-filled storage, filled by the product workers. A fresh buffer's first write costs a page fault per
/// page, and the kernel clears each page before handing it over: filling 700 MB of zeros on one thread took about
/// half a second on the development machine, a sixth of a GPT-2-small forward pass. Attribution allocates its Δ
/// store (every sender's output at every token row) and its forward tape afresh on every run, so large buffers are
/// zeroed by the workers, each its own slice. (Transparent huge pages were tried too: `madvise(MADV_HUGEPAGE)` made
/// later allocations fast but the first one in a process slower, by the kernel's compaction, and so was left out.)
extension Tensor {
    /// Elements from which zeroing is shared between workers (4 MiB).
    static let largeAllocation = 1 << 20

    /// `count` zeros.
    static func zeros(count: Int) -> [Float] {
        let workers = min(BLAS.threads, count / largeAllocation)
        guard workers > 1 else { return [Float](repeating: 0, count: count) }
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            let base = Int(bitPattern: buffer.baseAddress)
            Workers.forEachPart(count, workers: workers) { part in
                UnsafeMutablePointer<Float>(bitPattern: base).map { ($0 + part.lowerBound).initialize(repeating: 0, count: part.count) }
            }
            initialized = count
        }
    }

    /// `scalars` grown to `count` elements, the new ones zero.
    static func grown(_ scalars: [Float], to count: Int) -> [Float] {
        if scalars.isEmpty { return zeros(count: count) }
        var grown = scalars
        grown.append(contentsOf: repeatElement(0, count: count - scalars.count))
        return grown
    }
}
