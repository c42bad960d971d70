import Foundation

/// Loading a `GPT2Tokenizer` from the two files every GPT-2-family checkpoint ships.
///
/// Two layouts carry the same content under different names: Hugging Face's `vocab.json` (token → id) and
/// `merges.txt`, and OpenAI's original `encoder.json` and `vocab.bpe`. The merges file starts with a
/// `#version: 0.2` line, then holds one rule per line, `left right` separated by a single space, most frequent first.
extension GPT2Tokenizer {
    /// One rule of a merges file, with its 1-based line number for error messages.
    struct MergeRule {
        var line: Int
        var left: String
        var right: String
    }

    /// Loads the tokenizer files from `directory`: `vocab.json` + `merges.txt` (Hugging Face) when `vocab.json`
    /// exists, else `encoder.json` + `vocab.bpe` (OpenAI).
    public init(directory: URL) throws {
        guard TokenizerFile.isDirectory(directory) else {
            throw TokenizerError.fileMissing(file: directory.path)
        }
        let huggingFace = directory.appendingPathComponent("vocab.json")
        let openAI = directory.appendingPathComponent("encoder.json")
        if TokenizerFile.isFile(huggingFace) {
            try self.init(vocabularyFile: huggingFace, mergesFile: directory.appendingPathComponent("merges.txt"))
        } else if TokenizerFile.isFile(openAI) {
            try self.init(vocabularyFile: openAI, mergesFile: directory.appendingPathComponent("vocab.bpe"))
        } else {
            throw TokenizerError.noTokenizerFiles(directory: directory.path)
        }
    }

    /// Loads a vocabulary (JSON object token → id: `vocab.json` or `encoder.json`) and a merges file
    /// (`merges.txt` or `vocab.bpe`).
    public init(vocabularyFile: URL, mergesFile: URL) throws {
        let vocabulary = try TokenizerFile.json(
            [String: Int].self, at: vocabularyFile, expected: "an object mapping token strings to integer ids")
        let rules = try Self.parseMerges(TokenizerFile.text(at: mergesFile), file: mergesFile.path)
        guard !rules.isEmpty else { throw TokenizerError.emptyMerges(file: mergesFile.path) }
        try self.init(vocabulary: vocabulary, vocabularySource: vocabularyFile.path,
                      rules: rules, mergesSource: mergesFile.path)
    }

    /// Builds a tokenizer from an in-memory vocabulary and merge rules in rank order (for tests and tools).
    /// Errors name the sources `<vocabulary>` and `<merges>`, with the rule's 1-based position as its line.
    public init(vocabulary: [String: Int], merges: [(String, String)]) throws {
        let rules = merges.enumerated().map { MergeRule(line: $0.offset + 1, left: $0.element.0, right: $0.element.1) }
        try self.init(vocabulary: vocabulary, vocabularySource: "<vocabulary>", rules: rules, mergesSource: "<merges>")
    }

    /// Validates and indexes the vocabulary and merges: ids must be exactly `0..<count`, every byte needs its
    /// single-byte token, `<|endoftext|>` must exist, and every merge's two symbols and their join must be tokens.
    init(vocabulary: [String: Int], vocabularySource: String, rules: [MergeRule], mergesSource: String) throws {
        let size = vocabulary.count
        var tokens = [String?](repeating: nil, count: size)
        for (token, id) in vocabulary {
            guard (0..<size).contains(id) else {
                throw TokenizerError.malformedVocabulary(
                    file: vocabularySource,
                    reason: "token \"\(token)\" has id \(id); ids must be exactly 0..<\(size) (one per token)")
            }
            if let other = tokens[id] {
                // Report the pair in a stable order, whatever the dictionary's iteration order.
                let (first, second) = other < token ? (other, token) : (token, other)
                throw TokenizerError.malformedVocabulary(
                    file: vocabularySource, reason: "tokens \"\(first)\" and \"\(second)\" share id \(id)")
            }
            tokens[id] = token
        }
        // With `size` distinct ids in 0..<size, every slot is filled.
        let spelled = tokens.map { $0 ?? "" }

        var byteIDs = [Int](repeating: 0, count: 256)
        for byte in 0..<256 {
            let spelling = String(ByteLevelAlphabet.scalars[byte])
            guard let id = vocabulary[spelling] else {
                throw TokenizerError.malformedVocabulary(
                    file: vocabularySource,
                    reason: "no token \"\(spelling)\" for byte \(byte); a byte-level BPE vocabulary needs all 256")
            }
            byteIDs[byte] = id
        }

        guard let endOfText = vocabulary[Self.endOfTextToken] else {
            throw TokenizerError.malformedVocabulary(
                file: vocabularySource, reason: "no \(Self.endOfTextToken) token")
        }

        var merges = BPEMerges()
        for (rank, rule) in rules.enumerated() {
            guard let left = vocabulary[rule.left] else {
                throw TokenizerError.mergeUnknownSymbol(file: mergesSource, line: rule.line, symbol: rule.left)
            }
            guard let right = vocabulary[rule.right] else {
                throw TokenizerError.mergeUnknownSymbol(file: mergesSource, line: rule.line, symbol: rule.right)
            }
            guard let joined = vocabulary[rule.left + rule.right] else {
                throw TokenizerError.mergeUnknownSymbol(
                    file: mergesSource, line: rule.line, symbol: rule.left + rule.right)
            }
            merges.add(left: left, right: right, result: joined, rank: rank)
        }

        self.tokens = spelled
        self.tokenBytes = spelled.map(Self.bytes(ofToken:))
        self.idsByToken = vocabulary
        self.byteIDs = byteIDs
        self.merges = merges
        self.endOfTextID = endOfText
        self.endOfTextScalars = Array(Self.endOfTextToken.unicodeScalars)
    }

    /// Parses a merges file. Line 1 may be the `#version` header; empty lines are skipped (the file ends with a
    /// newline); every other line must be exactly two non-empty symbols separated by one space. Lines are split on
    /// `\n` (a trailing `\r` is dropped) and fields on U+0020, both over Unicode scalars, so a combining mark after
    /// the separator cannot hide it.
    static func parseMerges(_ text: String, file: String) throws -> [MergeRule] {
        var rules: [MergeRule] = []
        rules.reserveCapacity(50_000)
        let lines = text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false)
        for (index, rawLine) in lines.enumerated() {
            var line = rawLine
            if line.last == "\r" { line = line.dropLast() }
            if line.isEmpty { continue }
            let lineText = String(String.UnicodeScalarView(line))
            if index == 0, lineText.hasPrefix("#version") { continue }
            let fields = line.split(separator: " ", omittingEmptySubsequences: false)
            guard fields.count == 2, !fields[0].isEmpty, !fields[1].isEmpty else {
                throw TokenizerError.malformedMergesLine(file: file, line: index + 1, text: lineText)
            }
            rules.append(MergeRule(
                line: index + 1,
                left: String(String.UnicodeScalarView(fields[0])),
                right: String(String.UnicodeScalarView(fields[1]))))
        }
        return rules
    }

    /// The bytes a vocabulary token stands for: each scalar mapped back through `ByteLevelAlphabet`. A token with a
    /// scalar outside the alphabet (an added token written in plain text) stands for its own UTF-8 bytes, as in
    /// Hugging Face's ByteLevel decoder.
    static func bytes(ofToken token: String) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(token.unicodeScalars.count)
        for scalar in token.unicodeScalars {
            guard let byte = ByteLevelAlphabet.byte(for: scalar) else { return Array(token.utf8) }
            bytes.append(byte)
        }
        return bytes
    }
}
