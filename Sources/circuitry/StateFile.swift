import Circuits
import Foundation

/// Saving and reading ACDC's state file. Saves go through `OutputFile` (atomic, so a kill never leaves half a
/// state). A periodic save that fails does not stop the run, but says so once on stderr — the run is then not
/// resumable until a save succeeds again; a save the user will be pointed to (`--max-tests`, an interrupt) must
/// succeed, or the command fails.
struct StateFile {
    let file: OutputFile
    /// Seconds between periodic saves (0: after every test).
    let interval: Double
    private var lastSave = Date()
    private var failing = false

    init(path: String, interval: Double) {
        file = OutputFile(option: "--state", path: path)
        self.interval = interval
    }

    /// Saves `state` when `interval` has passed since the last save.
    mutating func checkpoint(_ state: ACDCState) {
        guard Date().timeIntervalSince(lastSave) >= interval else { return }
        lastSave = Date()
        do {
            try Self.write(state, to: file)
            if failing {
                PromptsCommand.printError("discover: the state is saved again to \(file.path)")
                failing = false
            }
        } catch {
            if !failing {
                PromptsCommand.printError(
                    "discover: warning: \(error); the run goes on, but cannot be resumed from \(file.path) if it stops")
                failing = true
            }
        }
    }

    /// Saves `state` now; throws when it cannot be written.
    func save(_ state: ACDCState) throws {
        try Self.write(state, to: file)
    }

    /// Removes the state file after a completed run — only a regular file: a device or FIFO given as `--state` is
    /// never deleted.
    func remove() {
        if case .regular = OutputFile.target(of: file.path), OutputFile.kind(of: file.path) == .typeRegular {
            try? FileManager.default.removeItem(atPath: file.path)
        }
    }

    static func write(_ state: ACDCState, to file: OutputFile) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try file.write(try encoder.encode(state))
    }

    /// Reads and decodes a state for `--resume` (its fields are checked against the run later, with
    /// `ACDCState.check`).
    static func read(_ path: String) throws -> ACDCState {
        let (data, _) = try InputFile.read(path, option: "--resume", limit: WorkloadMemory.smallFileLimit)
        return try ACDCState.decode(data, file: path)
    }
}
