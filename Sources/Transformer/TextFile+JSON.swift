import Foundation

extension TextFile {
    /// A JSON parsing or decoding failure in words, for messages that name the file and line themselves: where the
    /// text stops being JSON, or which field has the wrong kind of value — never Foundation's "The data couldn't be
    /// read because it isn't in the correct format" or "Expected to decode Dictionary<String, Any>".
    ///
    /// - Parameter expected: what the whole document should be (e.g. "a JSON object {\"clean\": …}"), used when
    ///   the top level has the wrong type.
    public static func describeJSONError(_ error: any Error, expected: String) -> String {
        if let decoding = error as? DecodingError {
            return describe(decoding, expected: expected)
        }
        let ns = error as NSError
        if ns.domain == NSCocoaErrorDomain, let debug = ns.userInfo[NSDebugDescriptionErrorKey] as? String {
            var text = debug.trimmingCharacters(in: .whitespaces)
            if text.hasSuffix(".") { text.removeLast() }
            if let first = text.first { text = first.lowercased() + text.dropFirst() }
            return "not valid JSON (\(text))"
        }
        return "not valid JSON"
    }

    private static func describe(_ error: DecodingError, expected: String) -> String {
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
                .joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
        }
        switch error {
        case let .typeMismatch(type, context), let .valueNotFound(type, context):
            let field = path(context)
            let found = foundKind(context.debugDescription)
            if field.isEmpty { return "expected \(expected)" + (found.map { ", found \($0)" } ?? "") }
            return "'\(field)' must be \(kindName(type))" + (found.map { ", found \($0)" } ?? "")
        case let .keyNotFound(key, context):
            let field = path(context)
            return "missing field '\(field.isEmpty ? key.stringValue : field + "." + key.stringValue)'"
        case let .dataCorrupted(context):
            let field = path(context)
            if let underlying = context.underlyingError { return describeJSONError(underlying, expected: expected) }
            return field.isEmpty ? "not valid JSON" : "'\(field)' has an invalid value"
        @unknown default:
            return "expected \(expected)"
        }
    }

    /// "an array", "a string", … from a decoder's "… but found an array instead".
    private static func foundKind(_ debug: String) -> String? {
        guard let range = debug.range(of: "but found ") else { return nil }
        var rest = debug[range.upperBound...]
        if let end = rest.range(of: " instead") { rest = rest[..<end.lowerBound] }
        if rest.hasPrefix("null") { return "null" }
        return rest.isEmpty ? nil : String(rest)
    }

    /// A Swift type as the JSON value a user writes.
    private static func kindName(_ type: Any.Type) -> String {
        let name = String(describing: type)
        if name.hasPrefix("Array") || name.hasPrefix("[") { return "a list" }
        if name.hasPrefix("Dictionary") { return "an object" }
        switch name {
        case "String": return "a string"
        case "Bool": return "true or false"
        case "Int", "Int64", "Int32", "UInt64", "UInt32", "UInt", "UInt8": return "an integer"
        case "Double", "Float": return "a number"
        default: return "a value of another kind"
        }
    }
}
