import Foundation

/// A word-level vocabulary, the kind small research models use (one id per whole word, no subwords).
///
/// The vocabulary is an ordered list of token strings; a token's id is its position. Encoding rule, applied to
/// each run of non-whitespace characters ("chunk", split on `Character.isWhitespace`):
/// 1. a chunk that is itself a vocabulary token is one token (so `"e.g."` stays whole if listed);
/// 2. otherwise each of the punctuation characters `. , ! ? ; :` that is a vocabulary token becomes a token of its
///    own, and the text between such characters must be vocabulary tokens (`"Mary,"` → `Mary`, `,`;
///    `"said:"` → `said`, `:`; `"Hi!!"` → `Hi`, `!`, `!`);
/// 3. anything left that is not in the vocabulary throws `TokenizerError.unknownWord` with the word and its
///    0-based character (grapheme cluster) offset in the text.
///
/// Matching is exact and case-sensitive. Decoding joins tokens with single spaces, except that no space goes
/// before a token that is one of the six punctuation characters. So `decode(encode(s)) == s` holds whenever `s`
/// uses single spaces between words and none before punctuation.
public struct WordTokenizer: TextTokenizer {
    /// The punctuation split off from words by rule 2 (only where the vocabulary has it as a token).
    public static let splittablePunctuation: Set<Character> = [".", ",", "!", "?", ";", ":"]

    /// The vocabulary in id order.
    public let tokens: [String]
    private let ids: [String: Int]

    /// Number of token ids.
    public var vocabularySize: Int { tokens.count }

    /// A vocabulary from a list of tokens in id order. Throws `duplicateToken` when a token is listed twice.
    public init(tokens: [String]) throws {
        var ids: [String: Int] = [:]
        ids.reserveCapacity(tokens.count)
        for (id, token) in tokens.enumerated() {
            if let first = ids[token] {
                throw TokenizerError.duplicateToken(token: token, first: first, second: id)
            }
            ids[token] = id
        }
        self.tokens = tokens
        self.ids = ids
    }

    /// A vocabulary from a JSON file holding a list of token strings in id order (`["<bos>", "Mary", ...]`).
    public init(vocabularyFile: URL) throws {
        let tokens = try TokenizerFile.json([String].self, at: vocabularyFile, expected: "a list of token strings")
        guard !tokens.isEmpty else { throw TokenizerError.emptyVocabulary(file: vocabularyFile.path) }
        try self.init(tokens: tokens)
    }

    /// The ids of `text` under the rule in the type's documentation.
    public func encode(_ text: String) throws -> [Int] {
        var result: [Int] = []
        var chunk = ""
        var chunkOffset = 0
        var offset = 0
        for character in text {
            if character.isWhitespace {
                if !chunk.isEmpty {
                    try encodeChunk(chunk, at: chunkOffset, into: &result)
                    chunk.removeAll(keepingCapacity: true)
                }
            } else {
                if chunk.isEmpty { chunkOffset = offset }
                chunk.append(character)
            }
            offset += 1
        }
        if !chunk.isEmpty { try encodeChunk(chunk, at: chunkOffset, into: &result) }
        return result
    }

    /// The tokens of `ids` joined by single spaces, with no space before punctuation tokens.
    public func decode(_ ids: [Int]) throws -> String {
        var text = ""
        for (position, id) in ids.enumerated() {
            let token = try token(for: id)
            let isPunctuation = token.count == 1 && token.first.map(Self.splittablePunctuation.contains) == true
            if position > 0, !isPunctuation { text.append(" ") }
            text.append(token)
        }
        return text
    }

    /// The token with id `id`.
    public func token(for id: Int) throws -> String {
        guard tokens.indices.contains(id) else {
            throw TokenizerError.idOutOfRange(id: id, vocabularySize: vocabularySize)
        }
        return tokens[id]
    }

    /// The id of `text` when it is exactly one vocabulary token, else nil.
    public func singleTokenID(_ text: String) -> Int? {
        ids[text]
    }

    /// Encodes one whitespace-free chunk that starts at character `offset` of the text.
    private func encodeChunk(_ chunk: String, at offset: Int, into result: inout [Int]) throws {
        if let id = ids[chunk] {
            result.append(id)
            return
        }
        var word = ""
        var wordOffset = offset
        var position = offset
        func flushWord() throws {
            guard !word.isEmpty else { return }
            guard let id = ids[word] else { throw TokenizerError.unknownWord(word: word, offset: wordOffset) }
            result.append(id)
            word.removeAll(keepingCapacity: true)
        }
        for character in chunk {
            if Self.splittablePunctuation.contains(character), let id = ids[String(character)] {
                try flushWord()
                result.append(id)
            } else {
                if word.isEmpty { wordOffset = position }
                word.append(character)
            }
            position += 1
        }
        try flushWord()
    }
}
