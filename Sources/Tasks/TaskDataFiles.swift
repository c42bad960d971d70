import Foundation
import Transformer

/// Reads the task data files under `data/tasks/` (see `DataDirectory.task(_:)`): UTF-8 with an optional
/// byte-order mark, LF or CRLF lines, errors that name the file and say what was expected.
enum TaskDataFiles {
    /// The text of `url`, or `TaskError.dataFileUnreadable` naming the file.
    static func text(_ url: URL) throws -> String {
        do {
            return try TextFile.read(url)
        } catch let TransformerError.textUnreadable(file, reason) {
            throw TaskError.dataFileUnreadable(file: file, reason: reason)
        }
    }

    /// A word list: one entry per line, `#` comments and blank lines skipped, surrounding whitespace trimmed.
    static func wordList(_ url: URL) throws -> [String] {
        let words = TextFile.lines(try text(url))
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
        guard !words.isEmpty else { throw TaskError.dataFileInvalid(file: url.path, reason: "no entries") }
        return words
    }

    /// A JSON file decoded as `T`; `expected` says in words what the file should hold.
    static func json<T: Decodable>(_ type: T.Type, _ url: URL, expected: String = "a JSON object") throws -> T {
        let data = Data(try text(url).utf8)
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch {
            throw TaskError.dataFileInvalid(file: url.path, reason: TextFile.describeJSONError(error, expected: expected))
        }
    }
}
