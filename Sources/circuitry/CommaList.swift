import ArgumentParser

/// Comma-separated option values (`--tokens 1,2,3`, `--receivers 7.3,7.9`, `--thresholds 0.01,0.1`): entries
/// are trimmed, and an empty entry (`1,,3`, a trailing comma) is an error naming its position rather than being
/// dropped, because a dropped entry silently shortens the list the user meant.
enum CommaList {
    static func entries(_ text: String, option: String) throws -> [String] {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.contains(where: { !$0.isEmpty }) else { throw ValidationError("\(option) is empty.") }
        if let empty = parts.firstIndex(where: \.isEmpty) {
            throw ValidationError(
                "\(option) '\(text)': entry \(empty + 1) of \(parts.count) is empty; separate the values with single commas.")
        }
        return parts
    }
}
