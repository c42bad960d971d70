/// Errors of the command-line tool itself (argument problems are ArgumentParser's `ValidationError`s, which also print
/// the usage; these are failures after parsing, printed as one `Error:` line).
enum CLIError: Error, CustomStringConvertible {
    /// No model could be found; the message says how to get one.
    case noModel(String)
    /// The prompts cannot form one batch.
    case unequalLengths(String)
    /// An output file could not be written or rendered.
    case output(String)
    /// An input file (prompts, circuit, state) could not be read.
    case input(String)
    /// An experiment whose answer would be noise (identical clean and corrupted prompts, a metric that cannot
    /// move), or one too large for the machine; the message says why and what to change.
    case refused(String)

    var description: String {
        switch self {
        case let .noModel(message), let .unequalLengths(message), let .output(message), let .input(message),
             let .refused(message):
            message
        }
    }
}
