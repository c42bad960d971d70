extension PromptSet {
    /// Checks the invariants every consumer relies on:
    /// * at least one prompt; every per-prompt array has `count` entries;
    /// * clean and corrupted prompt `i` have equal, non-zero length (error names `i` and both lengths);
    /// * read positions lie inside the prompt and every prompt reads equally many positions;
    /// * named word positions lie inside the prompt; token ids and output dims are non-negative.
    /// Vocabulary bounds are checked later by the forward pass and the metric, which know the model.
    public func validate() throws {
        guard !clean.isEmpty else { throw CircuitsError.promptSet(.empty) }
        let n = clean.count
        func checkCount(_ field: String, _ c: Int?) throws {
            if let c, c != n { throw CircuitsError.promptSet(.countMismatch(field: field, count: c, expected: n)) }
        }
        try checkCount("corrupted", corrupted.count)
        try checkCount("read_positions", readPositions.count)
        try checkCount("correct", correct.count)
        try checkCount("incorrect", incorrect.count)
        try checkCount("clean_texts", cleanTexts?.count)
        try checkCount("corrupted_texts", corruptedTexts?.count)
        try checkCount("word_positions", wordPositions?.count)
        let expectedRead = readPositions[0].count
        for i in 0..<n {
            let length = clean[i].count
            guard corrupted[i].count == length else {
                throw CircuitsError.promptSet(
                    .unequalLength(prompt: i, cleanLength: length, corruptedLength: corrupted[i].count))
            }
            guard length > 0 else { throw CircuitsError.promptSet(.emptyPrompt(prompt: i)) }
            for (p, t) in clean[i].enumerated() where t < 0 {
                throw CircuitsError.promptSet(.negativeToken(prompt: i, position: p, token: t))
            }
            for (p, t) in corrupted[i].enumerated() where t < 0 {
                throw CircuitsError.promptSet(.negativeToken(prompt: i, position: p, token: t))
            }
            guard readPositions[i].count == expectedRead else {
                throw CircuitsError.promptSet(
                    .readCountMismatch(prompt: i, count: readPositions[i].count, expected: expectedRead))
            }
            for p in readPositions[i] where p < 0 || p >= length {
                throw CircuitsError.promptSet(.readPositionOutOfRange(prompt: i, position: p, length: length))
            }
            for t in correct[i] + incorrect[i] where t < 0 {
                throw CircuitsError.promptSet(.negativeToken(prompt: i, position: -1, token: t))
            }
            if let words = wordPositions?[i] {
                for w in words where w.position < 0 || w.position >= length {
                    throw CircuitsError.promptSet(.wordPositionOutOfRange(
                        prompt: i, name: w.name, position: w.position, length: length))
                }
            }
        }
        for d in outputDims ?? [] where d < 0 { throw CircuitsError.promptSet(.negativeOutputDim(d)) }
    }
}

/// What a model can take: its input vocabulary, its output logits and its context length. A prompt set is checked
/// against them before any work (`PromptSet.checkFits(_:)`), so that a task made for another model is refused with
/// a message instead of failing deep inside the forward pass or, worse, running.
public struct PromptLimits: Sendable, Equatable {
    public var vocabularySize: Int
    public var outputSize: Int
    public var context: Int

    public init(vocabularySize: Int, outputSize: Int, context: Int) {
        self.vocabularySize = vocabularySize
        self.outputSize = outputSize
        self.context = context
    }
}

extension PromptSet {
    /// Throws `CircuitsError.promptSet(.doesNotFitModel)` naming the first prompt, position and token the model
    /// cannot take: a token id beyond its vocabulary (clean, corrupted or reference prompts), an answer or output
    /// dimension beyond its logits, or a prompt longer than its context.
    public func checkFits(_ limits: PromptLimits) throws {
        func fail(_ reason: String) -> CircuitsError { .promptSet(.doesNotFitModel(reason: reason)) }
        for (name, prompts) in [("clean", clean), ("corrupted", corrupted), ("reference", reference ?? [])] {
            for (i, prompt) in prompts.enumerated() {
                if prompt.count > limits.context {
                    throw fail("\(name) prompt \(i) has \(prompt.count) tokens, more than the model's context of "
                        + "\(limits.context)")
                }
                if let p = prompt.firstIndex(where: { $0 >= limits.vocabularySize }) {
                    throw fail("\(name) prompt \(i), position \(p): token id \(prompt[p]) is outside the model's "
                        + "vocabulary of \(limits.vocabularySize)")
                }
            }
        }
        for (name, answers) in [("correct", correct), ("incorrect", incorrect)] {
            for (i, ids) in answers.enumerated() {
                if let bad = ids.first(where: { $0 >= limits.outputSize }) {
                    throw fail("prompt \(i): \(name) answer \(bad) is outside the model's \(limits.outputSize) "
                        + "output logits")
                }
            }
        }
        if let bad = outputDims?.first(where: { $0 >= limits.outputSize }) {
            throw fail("output dimension \(bad) is outside the model's \(limits.outputSize) output logits")
        }
    }

    /// The prompts whose corrupted version equals the clean one: under resample ablation (and for path and
    /// activation patching) such a pair measures nothing but rounding.
    public var unchangedPrompts: [Int] {
        clean.indices.filter { clean[$0] == corrupted[$0] }
    }

    /// The prompts whose correct and incorrect answers are the same tokens: their logit and probability
    /// differences are 0 whatever is patched.
    public var promptsWithIdenticalAnswers: [Int] {
        clean.indices.filter { !correct[$0].isEmpty && Set(correct[$0]) == Set(incorrect[$0]) }
    }
}
