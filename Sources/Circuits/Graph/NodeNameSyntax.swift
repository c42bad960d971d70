import Transformer

/// The grammar of written node names, before they are checked against a graph.
///
/// Canonical names (what files and displays use): `embed`, `pos_embed`, `resid_post`, heads `a{L}.{H}`, head
/// inputs `a{L}.{H}.q|k|v`, MLPs `m{L}`. Accepted aliases when reading: heads without the `a` (`9.9`, `9.9.q`),
/// MLPs as `mlp{L}`. Names are case-sensitive (lower case), as in ACDC's and the reference fixtures' files.
enum NodeNameSyntax: Equatable, Sendable {
    case embed
    case posEmbed
    case residPost
    /// A head; `input` nil means the head itself (as a sender) or all three of its inputs (as a receiver).
    case head(layer: Int, head: Int, input: HeadInput?)
    case mlp(layer: Int)
    /// A head written with a third component that is not `q`, `k` or `v` (`a7.3.x`).
    case badInputSuffix(layer: Int, head: Int, suffix: String)
    /// Anything else.
    case unrecognized

    init(parsing text: some StringProtocol) {
        let token = String(text)
        switch token {
        case "embed":
            self = .embed
            return
        case "pos_embed":
            self = .posEmbed
            return
        case "resid_post":
            self = .residPost
            return
        default:
            break
        }
        if let layer = Self.mlpLayer(token) {
            self = .mlp(layer: layer)
            return
        }
        self = Self.parseHead(token)
    }

    /// `m{L}` or `mlp{L}`.
    private static func mlpLayer(_ token: String) -> Int? {
        let digits: Substring
        if token.hasPrefix("mlp") {
            digits = token.dropFirst(3)
        } else if token.hasPrefix("m") {
            digits = token.dropFirst(1)
        } else {
            return nil
        }
        return decimal(digits)
    }

    /// `[a]{L}.{H}[.q|.k|.v]`.
    private static func parseHead(_ token: String) -> NodeNameSyntax {
        let body = token.hasPrefix("a") ? token.dropFirst() : Substring(token)
        let parts = body.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2 || parts.count == 3,
            let layer = decimal(parts[0]), let head = decimal(parts[1])
        else { return .unrecognized }
        if parts.count == 2 { return .head(layer: layer, head: head, input: nil) }
        guard let input = HeadInput(rawValue: String(parts[2])) else {
            return .badInputSuffix(layer: layer, head: head, suffix: String(parts[2]))
        }
        return .head(layer: layer, head: head, input: input)
    }

    /// A non-negative decimal integer of at most 6 digits (no sign, no spaces).
    private static func decimal(_ text: Substring) -> Int? {
        guard !text.isEmpty, text.count <= 6, text.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int(text)
    }
}

/// Levenshtein distance and nearest-name suggestions for error messages.
enum EditDistance {
    /// The number of single-character insertions, deletions and substitutions turning `a` into `b`.
    static func between(_ a: String, _ b: String) -> Int {
        let x = Array(a.unicodeScalars)
        let y = Array(b.unicodeScalars)
        if x.isEmpty { return y.count }
        if y.isEmpty { return x.count }
        var previous = Array(0...y.count)
        var current = [Int](repeating: 0, count: y.count + 1)
        for i in 1...x.count {
            current[0] = i
            for j in 1...y.count {
                let substitution = previous[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1)
                current[j] = min(substitution, previous[j] + 1, current[j - 1] + 1)
            }
            swap(&previous, &current)
        }
        return previous[y.count]
    }

    /// Up to `limit` candidates closest to `token`, nearest first; ties keep the candidates' order (graph order).
    static func nearest(to token: String, among candidates: [String], limit: Int = 3) -> [String] {
        let scored = candidates.enumerated().map {
            (offset: $0.offset, name: $0.element, distance: between(token, $0.element))
        }
        let sorted = scored.sorted { ($0.distance, $0.offset) < ($1.distance, $1.offset) }
        return sorted.prefix(limit).map(\.name)
    }
}
