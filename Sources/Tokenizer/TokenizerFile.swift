import Foundation

/// Reading tokenizer files with errors that name the file. Shared by `GPT2Tokenizer` and `WordTokenizer`.
enum TokenizerFile {
    /// Whether a regular file (not a folder) exists at `url`.
    static func isFile(_ url: URL) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) && !isDirectory.boolValue
    }

    /// Whether a folder exists at `url`.
    static func isDirectory(_ url: URL) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    /// The bytes of `url`; `fileMissing` when absent, `fileUnreadable` otherwise, with the reason in words.
    static func data(at url: URL) throws -> Data {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw TokenizerError.fileMissing(file: url.path)
        }
        guard !isDirectory.boolValue else {
            throw TokenizerError.fileUnreadable(file: url.path, reason: "it is a folder, not a file")
        }
        guard FileManager.default.isReadableFile(atPath: url.path) else {
            throw TokenizerError.fileUnreadable(file: url.path, reason: "no permission to read it")
        }
        guard let handle = FileHandle(forReadingAtPath: url.path) else {
            throw TokenizerError.fileUnreadable(file: url.path, reason: String(cString: strerror(errno)))
        }
        defer { try? handle.close() }
        do {
            return try handle.readToEnd() ?? Data()
        } catch {
            throw TokenizerError.fileUnreadable(file: url.path, reason: "read error (\(String(cString: strerror(errno))))")
        }
    }

    /// The text of `url`, which must be UTF-8 (a leading byte-order mark is dropped); the error names the line of
    /// the first byte that is not.
    static func text(at url: URL) throws -> String {
        try text(of: data(at: url), file: url.path)
    }

    /// `bytes` as UTF-8 text without a leading byte-order mark.
    static func text(of bytes: Data, file: String) throws -> String {
        var body = bytes[...]
        if body.starts(with: [0xEF, 0xBB, 0xBF]) { body = body.dropFirst(3) }
        guard let text = String(validating: body, as: UTF8.self) else {
            throw TokenizerError.fileUnreadable(
                file: file, reason: "not UTF-8 text (first bad byte on line \(firstInvalidLine(body))); save it as UTF-8")
        }
        return text
    }

    /// The 1-based line of the first byte sequence that is not UTF-8 (found by decoding ever longer prefixes' last
    /// line, which is cheap because only the failing line is re-checked).
    static func firstInvalidLine(_ bytes: Data.SubSequence) -> Int {
        var line = 1
        var start = bytes.startIndex
        for index in bytes.indices where bytes[index] == 0x0A {
            if String(validating: bytes[start..<index], as: UTF8.self) == nil { return line }
            line += 1
            start = index + 1
        }
        return line
    }

    /// Decodes JSON of type `T` from `url`, reporting parse and shape errors as `malformedJSON`.
    static func json<T: Decodable>(_ type: T.Type, at url: URL, expected: String) throws -> T {
        let bytes = Data(try text(at: url).utf8)
        do {
            return try JSONDecoder().decode(T.self, from: bytes)
        } catch let error as DecodingError {
            throw TokenizerError.malformedJSON(file: url.path, reason: describe(error, expected: expected))
        } catch {
            throw TokenizerError.malformedJSON(file: url.path, reason: "\(error)")
        }
    }

    /// A one-line account of a decoding failure.
    private static func describe(_ error: DecodingError, expected: String) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }
            return keys.isEmpty ? "top level" : keys.joined(separator: ".")
        }
        switch error {
        case let .typeMismatch(_, context), let .valueNotFound(_, context):
            return "expected \(expected); wrong value type at \(path(context))"
        case let .keyNotFound(key, context):
            return "key '\(key.stringValue)' missing at \(path(context))"
        case let .dataCorrupted(context):
            return "not valid JSON (\(context.debugDescription))"
        @unknown default:
            return "expected \(expected)"
        }
    }
}
