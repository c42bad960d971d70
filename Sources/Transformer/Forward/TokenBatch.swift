/// A batch of equal-length prompts as token ids, validated against a model.
public struct TokenBatch: Sendable, Equatable {
    /// Number of prompts.
    public let batch: Int
    /// Tokens per prompt.
    public let length: Int
    /// `[batch·length]`: row `b·length + t` is token t of prompt b.
    public let tokens: [Int32]

    /// Validates `prompts` (non-empty, equal lengths, within the context, ids inside the vocabulary).
    public init(_ prompts: [[Int]], config: ModelConfig) throws {
        guard let first = prompts.first, !first.isEmpty else { throw TransformerError.emptyBatch }
        let length = first.count
        guard length <= config.nCtx else {
            throw TransformerError.sequenceTooLong(length: length, maximum: config.nCtx)
        }
        var flat = [Int32]()
        flat.reserveCapacity(prompts.count * length)
        for (p, prompt) in prompts.enumerated() {
            guard prompt.count == length else {
                throw TransformerError.raggedBatch(prompt: p, length: prompt.count, expected: length)
            }
            for (t, token) in prompt.enumerated() {
                guard token >= 0 && token < config.dVocab else {
                    throw TransformerError.tokenOutOfRange(
                        token: token, prompt: p, position: t, vocabularySize: config.dVocab)
                }
                flat.append(Int32(token))
            }
        }
        self.batch = prompts.count
        self.length = length
        self.tokens = flat
    }

    /// Number of token rows, `batch · length`.
    public var rows: Int { batch * length }

    /// The token ids of prompt `b`.
    public func prompt(_ b: Int) -> [Int] {
        tokens[(b * length)..<((b + 1) * length)].map { Int($0) }
    }
}

/// Which positions of each prompt the unembedding is computed at. GPT-2's vocabulary makes the unembedding the
/// largest single product of a forward pass, and circuit metrics read one or a few positions, so the logits are
/// computed only there.
public enum ReadPositions: Sendable, Equatable {
    /// The last position of every prompt.
    case last
    /// Every position.
    case all
    /// The same positions in every prompt.
    case shared([Int])
    /// Per prompt its own positions; every prompt lists the same number.
    case perPrompt([[Int]])

    /// The positions of every prompt, validated against the batch.
    public func resolve(batch: Int, length: Int) throws -> [[Int]] {
        let lists: [[Int]]
        switch self {
        case .last: lists = Array(repeating: [length - 1], count: batch)
        case .all: lists = Array(repeating: Array(0..<length), count: batch)
        case let .shared(p): lists = Array(repeating: p, count: batch)
        case let .perPrompt(p):
            guard p.count == batch else {
                throw TransformerError.positionOutOfRange(position: p.count, length: batch)
            }
            lists = p
        }
        let perPrompt = lists.first?.count ?? 0
        for list in lists {
            guard list.count == perPrompt else {
                throw TransformerError.positionOutOfRange(position: list.count, length: perPrompt)
            }
            for p in list where p < 0 || p >= length {
                throw TransformerError.positionOutOfRange(position: p, length: length)
            }
        }
        return lists
    }
}
