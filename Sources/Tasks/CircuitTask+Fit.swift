import Circuits
import Transformer

extension TracrProgram {
    /// The compiled program's input vocabulary and output size (`d_vocab`, `d_vocab_out` of
    /// `data/models/tracr-<program>/config.json`, as tracr compiled it for ACDC): reverse reads 3 tokens plus BOS and
    /// pad and writes 3 categorical outputs; proportion reads 4 tokens plus BOS and pad and writes 4 residual dims.
    public var modelShape: (vocabulary: Int, outputs: Int) {
        switch self {
        case .reverse: (5, 3)
        case .proportion: (6, 4)
        }
    }
}

extension CircuitTask {
    /// The tracr program behind a tracr task.
    public var tracrProgram: TracrProgram? {
        switch self {
        case .tracrReverse: .reverse
        case .tracrProportion: .proportion
        default: nil
        }
    }

    /// Refuses a model this task was not made for, before any prompts are built: a tracr task needs its compiled
    /// program (token ids mean program symbols, outputs are residual dimensions, so any other model would run and
    /// give a meaningless circuit); a task that tokenizes text needs a tokenizer whose ids the model can embed.
    ///
    /// - Parameters:
    ///   - config: the model's configuration.
    ///   - tokenizerSize: the vocabulary size of the tokenizer the prompts will be made with, if any.
    public func checkFits(_ config: ModelConfig, tokenizerSize: Int?) throws {
        if let program = tracrProgram {
            let shape = program.modelShape
            guard config.dVocab == shape.vocabulary, config.dVocabOut == shape.outputs else {
                throw TaskError.modelDoesNotFit(
                    task: cliName,
                    reason: "it runs on the compiled tracr \(program.rawValue) program (\(shape.vocabulary) input "
                        + "tokens, \(shape.outputs) outputs), and this model has \(config.dVocab) input tokens and "
                        + "\(config.dVocabOut) outputs; leave out --model to use the bundled \(defaultModel)")
            }
        }
        if let tokenizerSize, tokenizerSize > config.dVocab, self != .tracrReverse, self != .tracrProportion {
            throw TaskError.modelDoesNotFit(
                task: cliName,
                reason: "the tokenizer has \(tokenizerSize) tokens but the model only \(config.dVocab); give the "
                    + "model's own tokenizer (--tokenizer DIR)")
        }
    }
}
