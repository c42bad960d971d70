import Tensor

/// A metric bound to a prompt set and to the full (unpatched) model's outputs on it, ready to score patched runs.
///
/// All logits are taken at the prompt set's read positions: `[nPrompts, nRead, dVocabOut]` (see
/// `PromptSet.readLogits(_:batch:)` and `PromptSet.assembleReadLogits(_:)`). The full model's clean logits are the
/// reference of `kl` and `l2`; `ioi-normalized` also needs the full model's logits on the corrupted prompts, from which
/// it takes its two baselines once.
public struct Metric: Sendable {
    /// Which metric.
    public let kind: MetricKind
    /// The full model's logits on the clean prompts, `[nPrompts, nRead, dVocabOut]`.
    public let fullLogits: Tensor
    /// The full model's side of the KL divergence, precomputed (kl only).
    let klBaseline: KLBaseline?
    /// Correct / incorrect answer ids per prompt (copied from the prompt set).
    public let correct: [[Int]]
    public let incorrect: [[Int]]
    /// Output dims read by `kl` and `l2` (nil: all).
    public let outputDims: [Int]?
    /// The prompt set's read positions, `[nPrompts][nRead]`, for `evaluate(batchLogits:batch:)`.
    public let readPositions: [[Int]]
    /// Mean logit difference of the full model on the clean prompts (nil unless `ioi-normalized`).
    public let cleanBaseline: Double?
    /// Mean logit difference of the full model on the corrupted prompts (nil unless `ioi-normalized`).
    public let corruptedBaseline: Double?

    /// Binds `kind` to `promptSet` and the full model's read logits.
    /// - Parameters:
    ///   - fullLogits: full model on the clean prompts, `[nPrompts, nRead, dVocabOut]`.
    ///   - corruptedLogits: full model on the corrupted prompts, same shape; required by `ioi-normalized` only.
    /// - Throws: `CircuitsError.metric` when shapes disagree with the prompt set, an answer id or output dim is outside the
    ///   vocabulary, a needed answer list is empty, or the ioi-normalized baselines are missing or equal.
    public init(kind: MetricKind, promptSet: PromptSet, fullLogits: Tensor, corruptedLogits: Tensor? = nil) throws {
        guard fullLogits.rank == 3, fullLogits.shape[0] == promptSet.count, fullLogits.shape[1] == promptSet.readCount
        else {
            throw CircuitsError.metric(.shapeMismatch(
                what: "full-model logits", expected: [promptSet.count, promptSet.readCount, -1], found: fullLogits.shape))
        }
        let vocab = fullLogits.shape[2]
        try Self.checkFinite(fullLogits, what: "the full model's logits on the clean prompts")
        if let corruptedLogits {
            try Self.checkFinite(corruptedLogits, what: "the full model's logits on the corrupted prompts")
        }
        for d in promptSet.outputDims ?? [] where d >= vocab {
            throw CircuitsError.metric(.outputDimOutOfRange(dim: d, vocabularySize: vocab))
        }
        if kind.needsAnswers {
            for i in 0..<promptSet.count {
                if promptSet.correct[i].isEmpty {
                    throw CircuitsError.metric(.noAnswers(prompt: i, kind: "correct"))
                }
                if promptSet.incorrect[i].isEmpty {
                    throw CircuitsError.metric(.noAnswers(prompt: i, kind: "incorrect"))
                }
                for t in promptSet.correct[i] + promptSet.incorrect[i] where t >= vocab {
                    throw CircuitsError.metric(.answerOutOfRange(prompt: i, token: t, vocabularySize: vocab))
                }
            }
            if let i = promptSet.promptsWithIdenticalAnswers.first {
                throw CircuitsError.metric(
                    .identicalAnswers(prompt: i, tokens: Array(Set(promptSet.correct[i])).sorted(), metric: kind.cliName))
            }
        }
        self.kind = kind
        self.fullLogits = fullLogits
        self.klBaseline = kind == .kl ? KLBaseline(full: fullLogits, outputDims: promptSet.outputDims) : nil
        self.correct = promptSet.correct
        self.incorrect = promptSet.incorrect
        self.outputDims = promptSet.outputDims
        self.readPositions = promptSet.readPositions
        if kind.needsCorruptedBaseline {
            guard let corruptedLogits else {
                throw CircuitsError.metric(.missingBaseline(
                    metric: kind.rawValue, baseline: "full model's logits on the corrupted prompts"))
            }
            guard corruptedLogits.shape == fullLogits.shape else {
                throw CircuitsError.metric(.shapeMismatch(
                    what: "corrupted-run logits", expected: fullLogits.shape, found: corruptedLogits.shape))
            }
            let clean = MetricValues(kind: .logitDiff, perPrompt: MetricFunctions.logitDifference(
                logits: fullLogits, correct: correct, incorrect: incorrect)).mean
            let corrupted = MetricValues(kind: .logitDiff, perPrompt: MetricFunctions.logitDifference(
                logits: corruptedLogits, correct: correct, incorrect: incorrect)).mean
            // Equal up to rounding counts as equal: the normalisation would divide by noise.
            guard abs(clean - corrupted) > 1e-6 * max(1, abs(clean), abs(corrupted)) else {
                throw CircuitsError.metric(.degenerateBaseline(clean: clean, corrupted: corrupted))
            }
            cleanBaseline = clean
            corruptedBaseline = corrupted
        } else {
            cleanBaseline = nil
            corruptedBaseline = nil
        }
    }

    /// Scores logits for every prompt of the set. - Parameter logits: `[nPrompts, nRead, dVocabOut]`.
    public func evaluate(_ logits: Tensor) throws -> MetricValues {
        try evaluate(logits, prompts: Array(0..<fullLogits.shape[0]))
    }

    /// Scores logits for some prompts (e.g. one batch); row `k` of `logits` belongs to prompt `prompts[k]`.
    /// - Parameter logits: `[prompts.count, nRead, dVocabOut]`.
    public func evaluate(_ logits: Tensor, prompts: [Int]) throws -> MetricValues {
        let expected = [prompts.count, fullLogits.shape[1], fullLogits.shape[2]]
        guard logits.shape == expected else {
            throw CircuitsError.metric(.shapeMismatch(what: "patched logits", expected: expected, found: logits.shape))
        }
        let good = prompts.map { correct[$0] }
        let bad = prompts.map { incorrect[$0] }
        let values: [Double]
        switch kind {
        case .kl:
            if let klBaseline {
                values = klBaseline.divergence(logits, prompts: prompts)
            } else {
                values = MetricFunctions.klDivergence(patched: logits, full: fullRows(prompts), outputDims: outputDims)
            }
        case .l2:
            values = MetricFunctions.meanSquaredError(patched: logits, full: fullRows(prompts), outputDims: outputDims)
        case .logitDiff:
            values = MetricFunctions.logitDifference(logits: logits, correct: good, incorrect: bad)
        case .probDiff:
            values = MetricFunctions.probabilityDifference(logits: logits, correct: good, incorrect: bad)
        case .ioiNormalized:
            // Both baselines are set in init for this kind.
            values = MetricFunctions.normalizedLogitDifference(
                logits: logits, correct: good, incorrect: bad,
                cleanBaseline: cleanBaseline ?? 0, corruptedBaseline: corruptedBaseline ?? -1)
        }
        if let k = values.firstIndex(where: { !$0.isFinite }) {
            throw CircuitsError.metric(.nonFiniteValue(metric: kind.cliName, prompt: prompts[k], value: values[k]))
        }
        return MetricValues(kind: kind, perPrompt: values)
    }

    /// Throws `nonFiniteLogits` for the first read row of `logits` (`[nPrompts, nRead, dVocabOut]`) holding NaN
    /// or ±∞, with how many of each the row has.
    static func checkFinite(_ logits: Tensor, what: String) throws {
        let (n, r, _) = MetricFunctions.rows(logits)
        for i in 0..<n {
            for j in 0..<r {
                let row = MetricFunctions.row(logits, i, j)
                guard row.contains(where: { !$0.isFinite }) else { continue }
                let nan = row.filter(\.isNaN).count
                throw CircuitsError.metric(.nonFiniteLogits(
                    what: what, prompt: i, read: j, nan: nan, infinite: row.count - nan - row.filter(\.isFinite).count))
            }
        }
    }

    /// Scores one batch straight from the forward pass: picks the read positions out of `batchLogits`
    /// (`[batch, pos, dVocabOut]`, rows in the order of `batch.indices`) and scores those prompts.
    public func evaluate(batchLogits: Tensor, batch: PromptBatch) throws -> MetricValues {
        let expected = [batch.indices.count, batch.length, fullLogits.shape[2]]
        guard batchLogits.shape == expected else {
            throw CircuitsError.metric(
                .shapeMismatch(what: "batch logits", expected: expected, found: batchLogits.shape))
        }
        let read = PromptSet.gatherReadLogits(batchLogits, readPositions: readPositions, batch: batch)
        return try evaluate(read, prompts: batch.indices)
    }

    /// The "lower is better" mean for a pruner (ACDC minimises; maximised metrics are negated).
    /// - Parameter logits: `[nPrompts, nRead, dVocabOut]`.
    public func loss(_ logits: Tensor) throws -> Double { try evaluate(logits).loss }

    /// The full model's rows for `prompts`, `[prompts.count, nRead, dVocabOut]`.
    private func fullRows(_ prompts: [Int]) -> Tensor {
        if prompts.count == fullLogits.shape[0], prompts.elementsEqual(0..<prompts.count) { return fullLogits }
        let rowSize = fullLogits.shape[1] * fullLogits.shape[2]
        var out = [Float]()
        out.reserveCapacity(prompts.count * rowSize)
        for p in prompts { out.append(contentsOf: fullLogits.scalars[p * rowSize..<(p + 1) * rowSize]) }
        return Tensor(shape: [prompts.count, fullLogits.shape[1], fullLogits.shape[2]], scalars: out)
    }
}
