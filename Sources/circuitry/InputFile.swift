import Foundation
import Transformer

/// Reads an input the user names: a file, a FIFO or `/dev/stdin` (read as a stream), or `-` for standard input.
/// Sizes are bounded (a prompt file larger than memory is refused before it is read) and failures are said in
/// words naming the option and path.
enum InputFile {
    /// The bytes of `path` (`-`: standard input) and the name to use in messages.
    static func read(_ path: String, option: String, limit: Int) throws -> (data: Data, name: String) {
        do {
            if path == "-" {
                let data = try TextFile.readToEnd(FileHandle.standardInput, limit: limit) {
                    TransformerError.textUnreadable(file: "-", reason: $0)
                }
                return (data, "stdin")
            }
            return (try TextFile.data(URL(fileURLWithPath: path), limit: limit), (path as NSString).lastPathComponent)
        } catch let TransformerError.textUnreadable(_, reason) {
            throw CLIError.input("cannot read \(option) \(path == "-" ? "- (standard input)" : path): \(reason)")
        }
    }
}
