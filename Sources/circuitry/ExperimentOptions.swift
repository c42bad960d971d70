import ArgumentParser
import Circuits
import Foundation
import Tasks
import Tokenizer
import Transformer

/// `--task` / `--prompts`, `--metric`, `--ablation`, `--seed`, `--count`: what `discover`, `verify` and `patch`
/// run the model on and score it with.
struct ExperimentOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "The task: \(CircuitTask.allCases.map(\.cliName).joined(separator: ", ")).", valueName: "task"))
    var task: String?

    @Option(name: .long, help: ArgumentHelp(
        "A JSONL file of your own prompts, one {\"clean\", \"corrupted\", \"correct\", \"incorrect\"} object per line (instead of --task).",
        valueName: "file"))
    var prompts: String?

    @Option(name: .long, help: ArgumentHelp(
        "The metric: \(MetricKind.allCases.map(\.cliName).joined(separator: ", ")) (default: the task's; kl for --prompts).",
        valueName: "metric"))
    var metric: String?

    @Option(name: .long, help: ArgumentHelp(
        "How an ablated edge is replaced: resample (the corrupted prompts' values), zero, or mean (the per-position mean over the corrupted prompts).",
        valueName: "kind"))
    var ablation: String?

    @Option(name: .long, help: "Seed of the prompt sampler; the same seed gives the same prompts on every platform.")
    var seed: UInt64 = 0

    @Option(name: .long, help: "How many prompts to use (default: the task's preset).")
    var count: Int?

    func validate() throws {
        if (task == nil) == (prompts == nil) { throw ValidationError("Give exactly one of --task and --prompts.") }
        if let task { _ = try CircuitTask(cliName: task) }
        if let metric, MetricKind(cliName: metric) == nil {
            throw ValidationError("Unknown metric '\(metric)'; choose one of \(MetricKind.allCases.map(\.cliName).joined(separator: ", ")).")
        }
        if let ablation, AblationKind(rawValue: ablation) == nil {
            throw ValidationError("Unknown ablation '\(ablation)'; choose resample, zero or mean.")
        }
        if let count, count < 1 { throw ValidationError("--count must be at least 1.") }
    }

    var circuitTask: CircuitTask? { task.flatMap { try? CircuitTask(cliName: $0) } }

    /// The task's default ablation: zero for the tracr tasks (ACDC's tracr setting), resample otherwise.
    var ablationKind: AblationKind {
        if let ablation, let kind = AblationKind(rawValue: ablation) { return kind }
        return circuitTask == .tracrReverse || circuitTask == .tracrProportion ? .zero : .resample
    }

    var metricKind: MetricKind {
        metric.flatMap { MetricKind(cliName: $0) } ?? circuitTask?.defaultMetric ?? .kl
    }
}
