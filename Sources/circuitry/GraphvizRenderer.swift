import Foundation
import Synchronization

/// Renders DOT text with Graphviz's `dot` program, when it is installed. The child gets the DOT on its standard
/// input and returns the image on its standard output (so the image is written like every other result, through
/// `OutputFile`), and it has a time limit: a `dot` that never returns is killed and reported, not waited for.
enum GraphvizRenderer {
    /// Seconds `dot` may take: `$CIRCUITRY_DOT_TIMEOUT`, default 120 (a large circuit renders in a few seconds).
    static var timeLimit: Double {
        if let text = ProcessInfo.processInfo.environment["CIRCUITRY_DOT_TIMEOUT"], let value = Double(text),
           value > 0, value.isFinite {
            return value
        }
        return 120
    }

    /// The `dot` executable on `PATH`, if any.
    static func dotExecutable() -> URL? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(dir)).appendingPathComponent("dot")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return nil
    }

    /// Collects a pipe's bytes on a background queue.
    private final class Collected: Sendable {
        let data = Mutex(Data())
    }

    /// `dot -T<format>` of `dot` text; `output` names the file the image is for, `dotFile` where the DOT went, in
    /// messages. A clear error when `dot` is missing, fails or exceeds `timeLimit`.
    static func render(dot text: String, format: String, output: String, dotFile: String) throws -> Data {
        let later = dotFile == "-" ? "" : "; the DOT file \(dotFile) was written and can be rendered later with dot -T\(format)"
        guard let dot = dotExecutable() else {
            throw CLIError.output(
                "cannot write \(output): Graphviz's dot is not installed (Debian: apt-get install graphviz)" + later)
        }
        let process = Process()
        process.executableURL = dot
        process.arguments = ["-T\(format)"]
        let input = Pipe(), result = Pipe(), errors = Pipe()
        process.standardInput = input
        process.standardOutput = result
        process.standardError = errors
        let done = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in done.signal() }
        // Writing to a dot that has exited must fail with EPIPE, not end circuitry with SIGPIPE.
        signal(SIGPIPE, SIG_IGN)
        defer { signal(SIGPIPE, SIG_DFL) }
        do {
            try process.run()
        } catch {
            throw CLIError.output("cannot write \(output): cannot start \(dot.path): \(error.localizedDescription)")
        }
        let image = Collected(), messages = Collected()
        let readers = DispatchGroup()
        for (pipe, sink) in [(result, image), (errors, messages)] {
            let handle = pipe.fileHandleForReading
            DispatchQueue.global().async(group: readers) {
                let bytes = handle.readDataToEndOfFile()
                sink.data.withLock { $0 = bytes }
            }
        }
        let writer = input.fileHandleForWriting
        let dotBytes = Data(text.utf8)
        DispatchQueue.global().async {
            // A dot that stops reading must not block us: the write fails with EPIPE once it is killed.
            try? writer.write(contentsOf: dotBytes)
            try? writer.close()
        }
        let limit = timeLimit
        if done.wait(timeout: .now() + limit) == .timedOut {
            process.terminate()
            if done.wait(timeout: .now() + 2) == .timedOut {
                kill(process.processIdentifier, SIGKILL)
                done.wait()
            }
            throw CLIError.output(
                "cannot write \(output): dot -T\(format) did not finish within \(Int(limit)) s and was stopped "
                    + "(set CIRCUITRY_DOT_TIMEOUT to allow longer)" + later)
        }
        _ = readers.wait(timeout: .now() + 5)
        guard process.terminationStatus == 0, process.terminationReason == .exit else {
            let message = String(decoding: messages.data.withLock { $0 }, as: UTF8.self)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            throw CLIError.output(
                "cannot write \(output): dot -T\(format) failed (status \(process.terminationStatus))"
                    + (message.isEmpty ? "" : ": \(message)") + later)
        }
        return image.data.withLock { $0 }
    }
}
