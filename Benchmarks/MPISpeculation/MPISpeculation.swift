import Benchmark
import Foundation

/// Speculative ACDC over MPI against one process (issue 17), both in the same iteration: the built `circuitry`
/// binary (`swift build -c release` in the package root first, or `$CIRCUITRY_BINARY`) runs `discover` with a
/// fixed test budget on the GPT-2-small shape (random weights, 20 prompts × 16 tokens, KL at the last position,
/// τ = 0.01) once as 1 process × 2 threads (`OPENBLAS_NUM_THREADS=2`) and once as `mpirun -np 2` × 1 thread.
/// Reported: each run's tests per second of test time (decisions per second, from the summary's `sparse tests:`
/// line), their ratio, the MPI run's speculation yield (tests used / tests run), and whether both wrote the same
/// JSON (1) — they must.
let benchmarks: @Sendable () -> Void = {
    let budget = Int(ProcessInfo.processInfo.environment["CIRCUITRY_BENCH_TESTS"] ?? "") ?? 400
    let single = BenchmarkMetric.custom("1 process x 2 threads, tests/s x 100", polarity: .prefersLarger, useScalingFactor: false)
    let mpi = BenchmarkMetric.custom("mpirun -np 2 x 1 thread, tests/s x 100", polarity: .prefersLarger, useScalingFactor: false)
    let ratio = BenchmarkMetric.custom("MPI / 1 process (%)", polarity: .prefersLarger, useScalingFactor: false)
    let yield = BenchmarkMetric.custom("speculation yield (%)", polarity: .prefersLarger, useScalingFactor: false)
    let same = BenchmarkMetric.custom("same JSON (1 = yes)", polarity: .prefersLarger, useScalingFactor: false)
    Benchmark(
        "ACDC, \(budget) tests, GPT-2-small shape: 1 process x 2 threads vs mpirun -np 2 x 1 thread",
        configuration: .init(metrics: [.wallClock, single, mpi, ratio, yield, same], warmupIterations: 0,
                             maxDuration: .seconds(1200), maxIterations: 5)
    ) { benchmark in
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("circuitry-mpi-benchmark")
        let model = folder.appendingPathComponent("gpt2-small-random")
        try RandomGPT2Files.writeModel(to: model)
        let prompts = folder.appendingPathComponent("prompts.jsonl")
        try RandomGPT2Files.writePrompts(to: prompts, count: 20, length: 16)
        let binary = try CircuitryRun.binary()
        for _ in benchmark.scaledIterations {
            let arguments = ["discover", "--model", model.path, "--prompts", prompts.path, "--threshold", "0.01",
                             "--max-tests", String(budget)]
            let one = try CircuitryRun.run(binary, arguments, output: folder.appendingPathComponent("one"), threads: 2)
            let two = try CircuitryRun.run(binary, arguments + ["--parallel", "mpi"],
                                           output: folder.appendingPathComponent("mpi"), threads: 1, ranks: 2)
            benchmark.measurement(single, Int((100 * one.testsPerSecond).rounded()))
            benchmark.measurement(mpi, Int((100 * two.testsPerSecond).rounded()))
            benchmark.measurement(ratio, Int((100 * two.testsPerSecond / one.testsPerSecond).rounded()))
            benchmark.measurement(yield, Int((100 * two.yield).rounded()))
            benchmark.measurement(same, one.json == two.json ? 1 : 0)
        }
    }
}

/// One `circuitry discover` run and what its summary says.
struct CircuitryRun {
    var testsPerSecond: Double
    var yield: Double
    var json: Data

    static func binary() throws -> URL {
        if let path = ProcessInfo.processInfo.environment["CIRCUITRY_BINARY"], !path.isEmpty {
            return URL(fileURLWithPath: path)
        }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let url = root.appendingPathComponent(".build/release/circuitry")
        guard FileManager.default.isExecutableFile(atPath: url.path) else {
            throw BenchmarkFailure("no \(url.path): run `swift build -c release` in the package root first")
        }
        return url
    }

    /// Runs `binary arguments…` (under `mpirun -np ranks` when ranks > 1) with `threads` product workers per
    /// process, writing into `output`.
    static func run(_ binary: URL, _ arguments: [String], output: URL, threads: Int, ranks: Int = 1) throws -> CircuitryRun {
        try? FileManager.default.removeItem(at: output)
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        let json = output.appendingPathComponent("circuit.json")
        let files = ["--json", json.path, "--out", output.appendingPathComponent("circuit.dot").path]
        let process = Process()
        if ranks > 1 {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/mpirun")
            process.arguments = ["--oversubscribe", "--bind-to", "none", "-np", String(ranks), "-x", "OPENBLAS_NUM_THREADS",
                                 binary.path] + arguments + files
        } else {
            process.executableURL = binary
            process.arguments = arguments + files
        }
        var environment = ProcessInfo.processInfo.environment
        environment["OPENBLAS_NUM_THREADS"] = String(threads)
        environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
        environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
        process.environment = environment
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw BenchmarkFailure("circuitry \(arguments.joined(separator: " ")) failed: \(text)")
        }
        // "sparse tests: 12.3 tests/s; …" and, under MPI, "speculation: 380 of 412 tests used (…".
        func number(after prefix: String, _ index: Int) -> Double? {
            guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(prefix) }) else { return nil }
            let numbers = line.dropFirst(prefix.count).split(whereSeparator: { !"0123456789.".contains($0) })
            return numbers.count > index ? Double(numbers[index]) : nil
        }
        guard let rate = number(after: "sparse tests: ", 0) else { throw BenchmarkFailure("no rate in: \(text)") }
        var yield = 1.0
        if ranks > 1, let used = number(after: "speculation: ", 0), let run = number(after: "speculation: ", 1), run > 0 {
            yield = used / run
        }
        return CircuitryRun(testsPerSecond: rate, yield: yield, json: try Data(contentsOf: json))
    }
}

struct BenchmarkFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
