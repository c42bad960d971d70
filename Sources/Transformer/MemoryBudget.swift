import Foundation

/// How much memory a computation may use, checked before large allocations so that a model or an executor too big
/// for the machine fails at once with both figures instead of swapping the machine to a halt.
///
/// The available figure is Linux's `MemAvailable` (`/proc/meminfo`: free memory plus what the kernel can reclaim
/// without swapping). `CIRCUITRY_AVAILABLE_MEMORY` (bytes, or with a `k`/`M`/`G` suffix) overrides it, for
/// tests and for users who want a smaller limit. Where neither is known the check is skipped.
public struct MemoryBudget: Sendable {
    /// Bytes available, or nil when unknown (no check).
    public let availableBytes: Int?

    public init(availableBytes: Int?) {
        self.availableBytes = availableBytes
    }

    /// The machine's budget now.
    public static func system(environment: [String: String] = ProcessInfo.processInfo.environment) -> MemoryBudget {
        if let text = environment["CIRCUITRY_AVAILABLE_MEMORY"], let bytes = parse(text) {
            return MemoryBudget(availableBytes: bytes)
        }
        return MemoryBudget(availableBytes: memAvailable())
    }

    /// No limit.
    public static let unlimited = MemoryBudget(availableBytes: nil)

    /// Throws `TransformerError.insufficientMemory` when `bytes` exceed the budget; `what` names the computation.
    public func check(_ bytes: Int, for what: String) throws {
        guard let availableBytes, bytes > availableBytes else { return }
        throw TransformerError.insufficientMemory(what: what, needed: bytes, available: availableBytes)
    }

    /// `1234`, `512k`, `3.5G` → bytes.
    static func parse(_ text: String) -> Int? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard let last = trimmed.last else { return nil }
        let units: [Character: Double] = ["k": 1e3, "K": 1e3, "M": 1e6, "G": 1e9, "T": 1e12]
        if let unit = units[last], let value = Double(trimmed.dropLast()), value >= 0 { return Int(value * unit) }
        return Int(trimmed).flatMap { $0 >= 0 ? $0 : nil }
    }

    /// `MemAvailable` from `/proc/meminfo`, in bytes.
    static func memAvailable() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("MemAvailable:") {
            let fields = line.split(separator: " ")
            guard fields.count >= 2, let kib = Int(fields[1]) else { return nil }
            return kib * 1024
        }
        return nil
    }
}

extension SafetensorsFile {
    /// Bytes the file's float tensors take once converted to Float32 (what the loader keeps in memory).
    public var float32Bytes: Int {
        entries.values.reduce(0) { total, entry in
            total + entry.shape.reduce(1, *) * MemoryLayout<Float>.size
        }
    }
}
