import Circuits
import Foundation
import Transformer

/// Sizes of the CLI's workloads checked against the machine before anything is allocated: `--count 99999999999`
/// or a 50 GB prompt file is refused with the memory it would need, instead of being swapped to death or killed
/// by the kernel. The available figure is the Transformer module's `MemoryBudget` (Linux `MemAvailable`, or
/// `CIRCUITRY_AVAILABLE_MEMORY`), else the physical memory.
enum WorkloadMemory {
    /// The memory the process may use.
    static var available: Int {
        MemoryBudget.system().availableBytes ?? Int(clamping: ProcessInfo.processInfo.physicalMemory)
    }

    /// The largest prompt file read: a sixteenth of the available memory (the parsed prompts and their texts take
    /// several times the file's size), at least 64 MB.
    static var promptFileLimit: Int { max(64 << 20, available / 16) }

    /// The largest hypothesis or state file read.
    static let smallFileLimit = 256 << 20

    /// `1.4 GB`.
    static func describe(_ bytes: Int) -> String { ByteCount.format(bytes) }

    /// Refuses `count` prompts when even one-token prompts would not fit: the executor holds every sender's values
    /// for every token row (`EdgePatchingExecutor.estimatedBytes`), so this lower bound is checked before the
    /// prompts are built.
    static func checkPromptCount(_ count: Int, option: String = "--count", config: ModelConfig, kind: Workload) throws {
        let perPrompt = bytes(kind, config: config, prompts: 1, length: 1, reads: 1)
        let (needed, overflow) = perPrompt.multipliedReportingOverflow(by: max(count, 1))
        let have = available
        guard overflow || needed > have else { return }
        throw CLIError.refused(
            "\(option) \(count): even one-token prompts would need "
                + (overflow ? "more memory than can be counted" : "about \(describe(needed))")
                + " for \(kind.description), and this machine has \(describe(have)) available; use a smaller \(option) "
                + "(at most about \(max(1, have / max(perPrompt, 1))))")
    }

    /// Refuses a prompt set whose run would not fit in memory, with the estimate.
    static func checkPrompts(_ set: PromptSet, config: ModelConfig, kind: Workload) throws {
        let length = set.clean.map(\.count).max() ?? 1
        let needed = bytes(kind, config: config, prompts: set.count, length: length, reads: set.readCount)
        let have = available
        guard needed > have else { return }
        throw CLIError.refused(
            "\(set.count) prompts of \(length) tokens need about \(describe(needed)) for \(kind.description) on this "
                + "model, and this machine has \(describe(have)) available; use fewer prompts (--count)")
    }

    /// What will hold the memory.
    enum Workload: CustomStringConvertible {
        /// The edge-patching executor (discover, verify, compare --sweep).
        case executor
        /// Forward passes with recorded activations (patch).
        case patching
        /// Logits at the read positions of every prompt, clean and corrupted (prompts).
        case logits

        var description: String {
            switch self {
            case .executor: "the edge-patching executor"
            case .patching: "the patching runs"
            case .logits: "the prompts' logits"
            }
        }
    }

    /// Bytes `kind` needs for `prompts` prompts of `length` tokens reading `reads` positions each.
    static func bytes(_ kind: Workload, config c: ModelConfig, prompts: Int, length: Int, reads: Int) -> Int {
        let (rows, o1) = prompts.multipliedReportingOverflow(by: length)
        let (readRows, o2) = prompts.multipliedReportingOverflow(by: reads)
        // Beyond a billion token rows no machine has the memory, and the products below could overflow.
        guard !o1, !o2, rows <= 1_000_000_000, readRows <= 1_000_000_000, length <= 1_000_000 else { return Int.max }
        let float = MemoryLayout<Float>.size
        switch kind {
        case .executor:
            // The steady state, plus one recorded forward pass while it is built.
            let steady = EdgePatchingExecutor.estimatedBytes(config: c, rows: rows, readRows: readRows)
            return steady + forwardBytes(c, rows: rows, length: length)
        case .patching:
            return 3 * forwardBytes(c, rows: rows, length: length) + 2 * readRows * c.dVocabOut * float
        case .logits:
            return 2 * readRows * c.dVocabOut * float + rows * c.dVocabOut * float
        }
    }

    /// One forward pass with every activation recorded: residual-stream and attention activations per layer, the
    /// attention patterns, and the logits of the last layer.
    static func forwardBytes(_ c: ModelConfig, rows: Int, length: Int) -> Int {
        let perLayer = rows * (8 * c.dModel + 4 * c.dAttention + (c.hasMLP ? 2 * c.dMLP : 0)) + rows * length * c.nHeads
        return (c.nLayers * perLayer + rows * c.dVocabOut) * MemoryLayout<Float>.size
    }
}
