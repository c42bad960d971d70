import Foundation
import Synchronization
import Testing

/// Runs the built `circuitry` executable, which SwiftPM builds next to the test bundle because this test target
/// depends on the executable target (`.build/<config>/circuitry` beside `circuitry_CLITests.resources`).
enum CLI {
    /// The result of one run.
    struct Output {
        var stdout: String
        var stderr: String
        var status: Int32
        /// Whether the process ended by a signal (a crash: SIGILL, SIGSEGV, SIGABRT, …) rather than exiting.
        var crashed = false
    }

    /// `$CIRCUITRY_TEST_EXECUTABLE` when set (to run these tests against another build, e.g. an older one, to
    /// see which of them it fails), else the `circuitry` built beside the tests.
    static var executable: URL {
        get throws {
            if let path = ProcessInfo.processInfo.environment["CIRCUITRY_TEST_EXECUTABLE"], !path.isEmpty {
                return URL(fileURLWithPath: path)
            }
            var folder = Bundle.module.bundleURL.deletingLastPathComponent()
            for _ in 0..<4 {
                let candidate = folder.appendingPathComponent("circuitry")
                if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
                folder = folder.deletingLastPathComponent()
            }
            throw CLITestFailure("no circuitry executable near \(Bundle.module.bundleURL.path); build it first")
        }
    }

    /// Runs `circuitry arguments…` with a fixed terminal width (ArgumentParser wraps help text to `COLUMNS`), an
    /// empty Hugging Face cache and data folder unless `environment` says otherwise, and `directory` as the working
    /// directory, so the output does not depend on the machine.
    static func run(
        _ arguments: [String], environment: [String: String] = [:], directory: URL? = nil, input: Data? = nil
    ) throws -> Output {
        let process = Process()
        process.executableURL = try executable
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["COLUMNS"] = "100"
        env["HF_HUB_CACHE"] = emptyFolder.path
        env["CIRCUITRY_DATA"] = nil
        env.removeValue(forKey: "CIRCUITRY_GPT2_TOKENIZER")
        for (key, value) in environment { env[key] = value }
        process.environment = env
        process.currentDirectoryURL = directory ?? emptyFolder
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let stdin = Pipe()
        process.standardInput = input == nil ? FileHandle.nullDevice : stdin
        try process.run()
        if let input {
            // A child that exits without reading its input must not end this process with SIGPIPE.
            signal(SIGPIPE, SIG_IGN)
            let writer = stdin.fileHandleForWriting
            DispatchQueue.global().async {
                try? writer.write(contentsOf: input)
                try? writer.close()
            }
        }
        // Read both pipes while waiting so a large output cannot block the child; a child that outlives
        // `timeLimit` is killed and reported as hanging (`crashed`, with a note on stderr).
        let outData = Collected(), errData = Collected()
        let readers = DispatchGroup()
        for (pipe, sink) in [(out, outData), (err, errData)] {
            let handle = pipe.fileHandleForReading
            DispatchQueue.global().async(group: readers) {
                let data = handle.readDataToEndOfFile()
                sink.data.withLock { $0 = data }
            }
        }
        var hung = false
        if readers.wait(timeout: .now() + timeLimit) == .timedOut {
            hung = true
            kill(process.processIdentifier, SIGKILL)
            readers.wait()
        }
        process.waitUntilExit()
        let stderr = String(decoding: errData.data.withLock { $0 }, as: UTF8.self)
        return Output(
            stdout: String(decoding: outData.data.withLock { $0 }, as: UTF8.self),
            stderr: hung ? stderr + "\n[test: killed after \(Int(timeLimit)) s without finishing]" : stderr,
            status: process.terminationStatus, crashed: hung || process.terminationReason == .uncaughtSignal)
    }

    /// Seconds a command may run before the test calls it hung (`$CIRCUITRY_TEST_TIME_LIMIT`, default 300).
    static var timeLimit: Double {
        ProcessInfo.processInfo.environment["CIRCUITRY_TEST_TIME_LIMIT"].flatMap(Double.init) ?? 300
    }

    /// A pipe's bytes, filled on a background queue.
    final class Collected: Sendable {
        let data = Mutex(Data())
    }

    /// This test process's temporary folder.
    static let temporaryRoot = FileManager.default.temporaryDirectory
        .appendingPathComponent("circuitry-cli-tests-\(ProcessInfo.processInfo.processIdentifier)", isDirectory: true)

    /// An empty folder, used as working directory and as the Hugging Face cache.
    static let emptyFolder: URL = {
        let url = temporaryRoot.appendingPathComponent("empty", isDirectory: true)
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()

    /// A fresh folder for one test's files (models, data folders); the test removes it when done.
    static func scratchFolder(_ name: String) throws -> URL {
        let url = temporaryRoot.appendingPathComponent(name, isDirectory: true)
        try? FileManager.default.removeItem(at: url)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// A test-setup problem (missing executable or fixture).
struct CLITestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

enum CLIFixtures {
    /// The package root, from this file's path (`<root>/Tests/CLITests/CLITestSupport.swift`).
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The tiny GPT-2 of the reference data (3 layers, 4 heads, d_model 64, 512 tokens), shared with
    /// TransformerTests rather than copied.
    static let tinyGPT2 = packageRoot.appendingPathComponent(
        "Tests/TransformerTests/Fixtures/tiny-gpt2", isDirectory: true)

    /// ACDC's compiled tracr `reverse` model (TransformerTests' fixture).
    static let tracrReverse = packageRoot.appendingPathComponent(
        "Tests/TransformerTests/Fixtures/tracr-reverse", isDirectory: true)

    /// The real GPT-2 tokenizer files: `$CIRCUITRY_GPT2_TOKENIZER`, else `<root>/../shared/reference/gpt2-tokenizer`.
    static var gpt2Tokenizer: URL {
        if let dir = ProcessInfo.processInfo.environment["CIRCUITRY_GPT2_TOKENIZER"], !dir.isEmpty {
            return URL(fileURLWithPath: dir, isDirectory: true)
        }
        return packageRoot.deletingLastPathComponent()
            .appendingPathComponent("shared/reference/gpt2-tokenizer", isDirectory: true)
    }

    static var hasGPT2Tokenizer: Bool {
        FileManager.default.fileExists(atPath: gpt2Tokenizer.appendingPathComponent("encoder.json").path)
    }

    /// A file of this target's `Fixtures/` folder.
    static func url(_ path: String) throws -> URL {
        let url = Bundle.module.bundleURL.appendingPathComponent("Fixtures/\(path)")
        guard FileManager.default.fileExists(atPath: url.path) else { throw CLITestFailure("no fixture \(path)") }
        return url
    }

    static func text(_ path: String) throws -> String {
        String(decoding: try Data(contentsOf: try url(path)), as: UTF8.self)
    }
}
