import Circuits
import Foundation
import Tasks
import Tokenizer
import Transformer

/// Building the prompts of a run — a task's preset or a `--prompts` file — with the checks every command needs
/// before any model run: the task fits the model, the count fits in memory, a file is read in words (CRLF, BOM,
/// UTF-8 errors with their line, pipes and `-`), every token fits the model's vocabulary and context.
struct PromptLoading {
    var task: CircuitTask?
    /// `--prompts`: a path or `-`.
    var file: String?
    var count: Int?
    var seed: UInt64
    /// What the prompts will be used for, for the memory check.
    var workload: WorkloadMemory.Workload

    /// The prompts, notes on how they were made, and the prompt file's path and SHA-256 when one was read.
    struct Loaded {
        var prompts: PromptSet
        var notes: [String]
        var file: (path: String, sha256: String)?
    }

    /// Builds the prompts for `loaded` (its tokenizer `tokenizer`), logging progress through `log`.
    func load(model loaded: ModelOptions.Loaded, tokenizer: (any TextTokenizer)?, log: (String) -> Void) throws -> Loaded {
        let config = loaded.model.config
        let limits = PromptLimits(vocabularySize: config.dVocab, outputSize: config.dVocabOut, context: config.nCtx)
        if let count { try WorkloadMemory.checkPromptCount(count, config: config, kind: workload) }
        var prompts: PromptSet
        var notes: [String] = []
        var fileInfo: (path: String, sha256: String)?
        if let task {
            try task.checkFits(config, tokenizerSize: tokenizer?.vocabularySize)
            let request = TaskRequest(tokenizer: tokenizer, seed: seed, count: count, vocabularySize: config.dVocab)
            let split = try task.makePromptSets(request)
            prompts = split.discovery
            notes = split.notes
        } else {
            let path = file ?? "-"
            let (data, name) = try InputFile.read(path, option: "--prompts", limit: WorkloadMemory.promptFileLimit)
            let started = Date()
            var reported = false
            prompts = try JSONLPrompts.parse(data: data, file: name, tokenizer: tokenizer, limits: limits) { done, total in
                guard Date().timeIntervalSince(started) > 1 || reported else { return }
                reported = true
                log("reading \(name): \(done) of \(total) lines")
            }
            fileInfo = (path, SHA256.hex(of: data))
            if prompts.count >= 1000 || Date().timeIntervalSince(started) > 1 {
                log("read \(prompts.count) prompts from \(name) in "
                    + ProgressDisplay.duration(Date().timeIntervalSince(started)))
            }
        }
        if let count, prompts.count > count { prompts = try prompts.subset(0..<count) }
        try prompts.checkFits(limits)
        try WorkloadMemory.checkPrompts(prompts, config: config, kind: workload)
        return Loaded(prompts: prompts, notes: notes, file: fileInfo)
    }
}
