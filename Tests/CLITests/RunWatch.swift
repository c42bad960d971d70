import Foundation
import Synchronization

/// What tests that act at a moment of a running `circuitry` (a signal, a kill) need: its standard error as it
/// arrives, and its saved state as it grows.
enum RunWatch {
    /// Collects a pipe's text as it arrives.
    final class Collector: Sendable {
        let text = Mutex("")
    }

    /// Routes the standard error of `process` (not yet started) into a collector.
    static func collectStandardError(of process: Process) -> (pipe: Pipe, collected: Collector) {
        let errors = Pipe()
        process.standardError = errors
        let collected = Collector()
        errors.fileHandleForReading.readabilityHandler = { handle in
            let chunk = String(decoding: handle.availableData, as: UTF8.self)
            collected.text.withLock { $0 += chunk }
        }
        return (errors, collected)
    }

    /// Waits, for at most 120 s, until the collected text contains `line` or the process ended.
    static func wait(for line: String, in collected: Collector, of process: Process, poll microseconds: UInt32) {
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline, process.isRunning, !collected.text.withLock({ $0.contains(line) }) {
            usleep(microseconds)
        }
    }

    /// After the process ended: stops collecting and returns all it wrote to standard error.
    static func finish(_ pipe: Pipe, _ collected: Collector) -> String {
        pipe.fileHandleForReading.readabilityHandler = nil
        let rest = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return collected.text.withLock { $0 } + rest
    }

    /// Waits, for at most `timeout` seconds and while the process runs, until the ACDC state file `state` records
    /// at least `tests` edge tests; returns the count it saw then, or 0.
    static func waitForSavedTests(_ state: URL, atLeast tests: Int, of process: Process, timeout: TimeInterval) -> Int {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline && process.isRunning {
            if let data = try? Data(contentsOf: state),
               let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
               let stats = object["statistics"] as? [String: Any], let saved = stats["edgeTests"] as? Int, saved >= tests {
                return saved
            }
            usleep(2_000)
        }
        return 0
    }
}
