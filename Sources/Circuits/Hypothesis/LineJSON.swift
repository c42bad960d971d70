/// A minimal JSON reader that remembers the line of every value, so that errors in a circuit report read as a
/// hypothesis can name the line of the offending name (Foundation's `JSONSerialization` keeps no positions).
///
/// Accepts RFC 8259 JSON (objects, arrays, strings with escapes, numbers, `true`, `false`, `null`); anything else
/// throws `LineJSON.SyntaxError` with the 1-based line and the text found there.
struct LineJSON: Sendable {
    /// A parsed value with the line it starts on.
    indirect enum Value: Sendable {
        case object([(key: String, value: LineJSON)])
        case array([LineJSON])
        case string(String)
        case number(Double)
        case bool(Bool)
        case null
    }

    struct SyntaxError: Error, Sendable {
        let line: Int
        let token: String
        let reason: String
    }

    let value: Value
    let line: Int

    /// The member with a key (first occurrence), when this is an object.
    subscript(key: String) -> LineJSON? {
        guard case .object(let members) = value else { return nil }
        return members.first { $0.key == key }?.value
    }

    var stringValue: String? {
        if case .string(let s) = value { return s }
        return nil
    }

    var arrayValue: [LineJSON]? {
        if case .array(let a) = value { return a }
        return nil
    }

    /// What kind of value this is, for messages.
    var typeName: String {
        switch value {
        case .object: "an object"
        case .array: "an array"
        case .string: "a string"
        case .number: "a number"
        case .bool: "a boolean"
        case .null: "null"
        }
    }

    /// Arrays and objects may nest this deep; deeper input is refused instead of exhausting the stack.
    static let maximumDepth = 200

    static func parse(_ text: String) throws -> LineJSON {
        var reader = Reader(scalars: Array(text.unicodeScalars))
        reader.skipWhitespace()
        let value = try reader.value()
        reader.skipWhitespace()
        if reader.index < reader.scalars.count { throw reader.error("unexpected text after the JSON value") }
        return value
    }

    private struct Reader {
        let scalars: [Unicode.Scalar]
        var index = 0
        var line = 1
        var depth = 0

        init(scalars: [Unicode.Scalar]) { self.scalars = scalars }

        var current: Unicode.Scalar? { index < scalars.count ? scalars[index] : nil }

        /// The text at the current position up to the next delimiter, for messages.
        func tokenHere() -> String {
            guard index < scalars.count else { return "end of file" }
            var end = index
            while end < scalars.count, end - index < 20, !" \t\r\n,:{}[]".unicodeScalars.contains(scalars[end]) {
                end += 1
            }
            if end == index { end += 1 }
            var s = ""
            s.unicodeScalars.append(contentsOf: scalars[index..<end])
            return s
        }

        func error(_ reason: String) -> SyntaxError { SyntaxError(line: line, token: tokenHere(), reason: reason) }

        mutating func skipWhitespace() {
            while let c = current, c == " " || c == "\t" || c == "\n" || c == "\r" {
                if c == "\n" { line += 1 }
                index += 1
            }
        }

        mutating func expect(_ literal: String) throws {
            for scalar in literal.unicodeScalars {
                guard current == scalar else { throw error("expected '\(literal)'") }
                index += 1
            }
        }

        mutating func value() throws -> LineJSON {
            let start = line
            if current == "{" || current == "[" {
                depth += 1
                defer { depth -= 1 }
                guard depth <= LineJSON.maximumDepth else {
                    throw error("nested more than \(LineJSON.maximumDepth) levels deep")
                }
                return LineJSON(value: current == "{" ? try object() : try array(), line: start)
            }
            switch current {
            case "{": return LineJSON(value: try object(), line: start)
            case "[": return LineJSON(value: try array(), line: start)
            case "\"": return LineJSON(value: .string(try string()), line: start)
            case "t":
                try expect("true")
                return LineJSON(value: .bool(true), line: start)
            case "f":
                try expect("false")
                return LineJSON(value: .bool(false), line: start)
            case "n":
                try expect("null")
                return LineJSON(value: .null, line: start)
            case let c? where c == "-" || ("0"..."9").contains(c):
                return LineJSON(value: .number(try number()), line: start)
            case nil:
                throw error("unexpected end of file")
            default:
                throw error("expected a JSON value")
            }
        }

        mutating func object() throws -> Value {
            index += 1
            var members: [(key: String, value: LineJSON)] = []
            skipWhitespace()
            if current == "}" {
                index += 1
                return .object(members)
            }
            while true {
                skipWhitespace()
                guard current == "\"" else { throw error("expected a quoted key") }
                let key = try string()
                skipWhitespace()
                guard current == ":" else { throw error("expected ':' after key \"\(key)\"") }
                index += 1
                skipWhitespace()
                members.append((key, try value()))
                skipWhitespace()
                if current == "," {
                    index += 1
                } else if current == "}" {
                    index += 1
                    return .object(members)
                } else {
                    throw error("expected ',' or '}' in an object")
                }
            }
        }

        mutating func array() throws -> Value {
            index += 1
            var items: [LineJSON] = []
            skipWhitespace()
            if current == "]" {
                index += 1
                return .array(items)
            }
            while true {
                skipWhitespace()
                items.append(try value())
                skipWhitespace()
                if current == "," {
                    index += 1
                } else if current == "]" {
                    index += 1
                    return .array(items)
                } else {
                    throw error("expected ',' or ']' in an array")
                }
            }
        }

        mutating func string() throws -> String {
            index += 1
            var out = ""
            while true {
                guard let c = current else { throw error("unterminated string") }
                index += 1
                switch c {
                case "\"":
                    return out
                case "\n":
                    throw error("line break inside a string")
                case "\\":
                    guard let e = current else { throw error("unterminated string") }
                    index += 1
                    switch e {
                    case "\"", "\\", "/": out.unicodeScalars.append(e)
                    case "n": out += "\n"
                    case "t": out += "\t"
                    case "r": out += "\r"
                    case "b": out += "\u{08}"
                    case "f": out += "\u{0C}"
                    case "u":
                        guard index + 4 <= scalars.count,
                              let code = UInt32(String(String.UnicodeScalarView(scalars[index..<index + 4])), radix: 16)
                        else { throw error("bad \\u escape") }
                        index += 4
                        out.unicodeScalars.append(Unicode.Scalar(code) ?? "\u{FFFD}")
                    default:
                        throw error("bad escape '\\\(e)'")
                    }
                default:
                    out.unicodeScalars.append(c)
                }
            }
        }

        mutating func number() throws -> Double {
            let start = index
            while let c = current, "+-0123456789.eE".unicodeScalars.contains(c) { index += 1 }
            let text = String(String.UnicodeScalarView(scalars[start..<index]))
            guard let value = Double(text) else {
                index = start
                throw error("not a number")
            }
            return value
        }
    }
}
