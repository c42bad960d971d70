import Circuits
import Foundation
import Tokenizer
import Transformer

/// User prompts from a JSON Lines file, one object per line:
///
///     {"clean": "When Mary and John went to the store, John gave a drink to",
///      "corrupted": "When Alice and Bob went to the store, Carl gave a drink to",
///      "correct": " Mary", "incorrect": " John"}
///
/// `clean` / `corrupted`: text (tokenised with the model's tokenizer) or a list of token ids. `correct` /
/// `incorrect`: a token given as text (must be exactly one token, e.g. `" Mary"` for GPT-2) or id, or a list of them;
/// `incorrect` may be omitted (then only kl and l2 apply). The metric reads the last position. Blank lines are
/// skipped. Every error names the file, the 1-based line number and the reason.
public enum JSONLPrompts {
    /// What the whole of one line must be, for messages.
    static let lineShape = #"one JSON object per line, {"clean": …, "corrupted": …, "correct": …, "incorrect": …}"#

    /// Reads `url`; `tokenizer` is needed when a line gives text.
    /// - Parameters:
    ///   - limits: the model's vocabulary, outputs and context; ids and lengths beyond them are refused naming the
    ///     line (nil: only the tokenizer's vocabulary is checked).
    ///   - byteLimit: the largest file accepted (checked before reading; pipes are cut off there).
    ///   - progress: called with (lines done, lines in all) while a long file is read.
    public static func load(
        _ url: URL, tokenizer: (any TextTokenizer)?, limits: PromptLimits? = nil, byteLimit: Int = Int.max,
        progress: (Int, Int) -> Void = { _, _ in }
    ) throws -> PromptSet {
        let data: Data
        do {
            data = try TextFile.data(url, limit: byteLimit)
        } catch let TransformerError.textUnreadable(file, reason) {
            throw TaskError.dataFileUnreadable(file: file, reason: reason)
        }
        return try parse(data: data, file: url.lastPathComponent, tokenizer: tokenizer, limits: limits, progress: progress)
    }

    /// Parses the bytes of a JSONL file (UTF-8, optional byte-order mark, LF or CRLF lines); `file` names the source
    /// in errors, including the line of a byte that is not UTF-8.
    public static func parse(
        data: Data, file: String, tokenizer: (any TextTokenizer)?, limits: PromptLimits? = nil,
        progress: (Int, Int) -> Void = { _, _ in }
    ) throws -> PromptSet {
        var bytes = data[...]
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        if let bad = TextFile.firstInvalidUTF8(bytes) {
            throw TaskError.jsonl(file: file, line: bad.line, issue: .notUTF8(column: bad.column, byte: bad.byte))
        }
        return try parse(String(decoding: bytes, as: UTF8.self), file: file, tokenizer: tokenizer, limits: limits,
                         progress: progress)
    }

    /// Parses JSONL `text`; `file` names the source in errors.
    public static func parse(
        _ text: String, file: String, tokenizer: (any TextTokenizer)?, limits: PromptLimits? = nil,
        progress: (Int, Int) -> Void = { _, _ in }
    ) throws -> PromptSet {
        var clean: [[Int]] = [], corrupted: [[Int]] = [], correct: [[Int]] = [], incorrect: [[Int]] = []
        var cleanTexts: [String] = [], corruptedTexts: [String] = []
        var text = text
        if text.unicodeScalars.first == "\u{FEFF}" { text.unicodeScalars.removeFirst() }
        let lines = TextFile.lines(text)
        for (index, raw) in lines.enumerated() {
            if index % 1000 == 999 { progress(index + 1, lines.count) }
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty { continue }
            let at = LineContext(file: file, line: index + 1)
            let entry = try decode(line, at: at)
            let c = try tokens(entry.clean, field: "clean", tokenizer: tokenizer, limits: limits, at: at)
            let k = try tokens(entry.corrupted, field: "corrupted", tokenizer: tokenizer, limits: limits, at: at)
            guard c.count == k.count else { throw at.error(.unequalLength(clean: c.count, corrupted: k.count)) }
            clean.append(c)
            corrupted.append(k)
            correct.append(try answers(entry.correct, field: "correct", tokenizer: tokenizer, limits: limits, at: at))
            incorrect.append(try entry.incorrect.map {
                try answers($0, field: "incorrect", tokenizer: tokenizer, limits: limits, at: at)
            } ?? [])
            cleanTexts.append(display(entry.clean, ids: c, tokenizer: tokenizer))
            corruptedTexts.append(display(entry.corrupted, ids: k, tokenizer: tokenizer))
        }
        if lines.count >= 1000 { progress(lines.count, lines.count) }
        guard !clean.isEmpty else { throw TaskError.emptyFile(file: file) }
        return try PromptSet(
            task: "jsonl", clean: clean, corrupted: corrupted, readPositions: clean.map { [$0.count - 1] },
            correct: correct, incorrect: incorrect, cleanTexts: cleanTexts, corruptedTexts: corruptedTexts)
    }

    /// Where a line's problem is reported: the file and the 1-based line number.
    struct LineContext {
        let file: String
        let line: Int

        func error(_ issue: JSONLIssue) -> TaskError { .jsonl(file: file, line: line, issue: issue) }
    }

    /// Text or token ids.
    enum Tokens: Decodable {
        case text(String)
        case ids([Int])

        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let s = try? c.decode(String.self) { self = .text(s); return }
            if let ids = try? c.decode([Int].self) { self = .ids(ids); return }
            throw DecodingError.typeMismatch(
                Tokens.self, .init(codingPath: decoder.codingPath, debugDescription: "a string or a list of token ids"))
        }
    }

    /// One answer token.
    enum Answer: Decodable {
        case text(String)
        case id(Int)

        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let s = try? c.decode(String.self) { self = .text(s); return }
            if let id = try? c.decode(Int.self) { self = .id(id); return }
            throw DecodingError.typeMismatch(
                Answer.self, .init(codingPath: decoder.codingPath, debugDescription: "a token text or id"))
        }
    }

    struct Entry: Decodable {
        var clean: Tokens
        var corrupted: Tokens
        var correct: [Answer]
        var incorrect: [Answer]?

        enum CodingKeys: String, CodingKey { case clean, corrupted, correct, incorrect }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            clean = try c.decode(Tokens.self, forKey: .clean)
            corrupted = try c.decode(Tokens.self, forKey: .corrupted)
            guard let answers = try Self.answers(c, .correct) else {
                throw DecodingError.keyNotFound(CodingKeys.correct, .init(codingPath: [], debugDescription: "missing"))
            }
            correct = answers
            incorrect = try Self.answers(c, .incorrect)
        }

        /// A single answer or a list of answers.
        static func answers(_ c: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys) throws -> [Answer]? {
            guard c.contains(key), try !c.decodeNil(forKey: key) else { return nil }
            if let list = try? c.decode([Answer].self, forKey: key) { return list }
            return [try c.decode(Answer.self, forKey: key)]
        }
    }

    static func decode(_ line: String, at: LineContext) throws -> Entry {
        let data = Data(line.utf8)
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw at.error(.malformedJSON(TextFile.describeJSONError(error, expected: lineShape)))
        }
        guard object is [String: Any] else {
            throw at.error(.malformedJSON("expected \(lineShape), found " + (object is [Any] ? "a list" : "a single value")))
        }
        do {
            return try JSONDecoder().decode(Entry.self, from: data)
        } catch let DecodingError.keyNotFound(key, _) {
            throw at.error(.missingField(key.stringValue))
        } catch let DecodingError.typeMismatch(_, context) {
            let name = field(context)
            throw at.error(.wrongType(field: name, expected: expectation(of: name)))
        } catch let DecodingError.valueNotFound(_, context) {
            throw at.error(.missingField(field(context)))
        } catch {
            throw at.error(.malformedJSON(TextFile.describeJSONError(error, expected: lineShape)))
        }
    }

    static func field(_ context: DecodingError.Context) -> String {
        context.codingPath.first?.stringValue ?? "?"
    }

    /// What a field holds, in words.
    static func expectation(of field: String) -> String {
        switch field {
        case "clean", "corrupted": "text or a list of integer token ids"
        case "correct", "incorrect": "a token (its text or integer id) or a list of tokens"
        default: "a value of the prompt format"
        }
    }

    static func tokens(
        _ value: Tokens, field: String, tokenizer: (any TextTokenizer)?, limits: PromptLimits?, at: LineContext
    ) throws -> [Int] {
        let ids: [Int]
        switch value {
        case let .ids(list): ids = list
        case let .text(text):
            guard let tokenizer else { throw at.error(.tokenizerNeeded(field: field)) }
            do {
                ids = try tokenizer.encode(text)
            } catch let error as TokenizerError {
                throw at.error(.untokenizable(field: field, reason: error.description))
            }
        }
        guard !ids.isEmpty else { throw at.error(.emptyPrompt(field: field)) }
        if ids.contains(where: { $0 < 0 }) {
            throw at.error(.wrongType(field: field, expected: "non-negative token ids"))
        }
        if let tokenizer, let bad = ids.first(where: { $0 >= tokenizer.vocabularySize }) {
            throw at.error(.tokenOutOfRange(field: field, token: bad, vocabularySize: tokenizer.vocabularySize))
        }
        if let limits {
            if let bad = ids.first(where: { $0 >= limits.vocabularySize }) {
                throw at.error(.tokenOutsideModel(field: field, token: bad, vocabularySize: limits.vocabularySize))
            }
            if ids.count > limits.context {
                throw at.error(.tooLong(field: field, length: ids.count, context: limits.context))
            }
        }
        return ids
    }

    static func answers(
        _ list: [Answer], field: String, tokenizer: (any TextTokenizer)?, limits: PromptLimits?, at: LineContext
    ) throws -> [Int] {
        // An omitted `incorrect` is fine (only kl and l2 apply then); an explicit empty list is a mistake.
        guard !list.isEmpty else { throw at.error(.emptyList(field: field)) }
        return try list.map { answer in
            let id: Int
            switch answer {
            case let .id(value):
                guard value >= 0 else { throw at.error(.wrongType(field: field, expected: "non-negative token ids")) }
                if let tokenizer, value >= tokenizer.vocabularySize {
                    throw at.error(.tokenOutOfRange(field: field, token: value, vocabularySize: tokenizer.vocabularySize))
                }
                id = value
            case let .text(text):
                guard let tokenizer else { throw at.error(.tokenizerNeeded(field: field)) }
                guard let value = tokenizer.singleTokenID(text) else {
                    throw at.error(.unknownAnswer(field: field, text: text))
                }
                id = value
            }
            if let limits, id >= limits.outputSize {
                throw at.error(.tokenOutsideModel(field: field, token: id, vocabularySize: limits.outputSize))
            }
            return id
        }
    }

    static func display(_ value: Tokens, ids: [Int], tokenizer: (any TextTokenizer)?) -> String {
        if case let .text(text) = value { return text }
        if let tokenizer, let text = try? tokenizer.decode(ids) { return text }
        return ids.map(String.init).joined(separator: " ")
    }
}
