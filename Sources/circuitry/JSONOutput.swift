import Foundation

/// The last guard before JSON leaves the tool: the text must parse as JSON. Writers format non-finite numbers as
/// `null` (or refuse them earlier, naming the prompt); this check turns any slip — a bare `nan` or `inf` — into an
/// error instead of an invalid file that a user's script would choke on later.
enum JSONOutput {
    static func checked(_ text: String, option: String) throws -> String {
        let data = Data(text.utf8)
        guard (try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])) != nil else {
            throw CLIError.output(
                "internal error: the \(option) output is not valid JSON (a number that is NaN or infinite?); "
                    + "nothing was written")
        }
        return text
    }
}
