import Foundation

/// Every file a command will write, checked together before any work starts, so that an hour of ACDC never ends
/// in "cannot write": each output has a folder the user can create files in (or is an existing device or FIFO the
/// user can write), no two outputs name the same file (`--state` equal to `--json` would delete the results when
/// the run completes), at most one goes to standard output, and no output overwrites an input of the same run.
struct OutputPlan {
    var outputs: [OutputFile]
    /// Files the command reads (`--prompts`, `--resume`, `--circuit`), by option.
    var inputs: [(option: String, path: String)] = []
    /// Input–output pairs that may name the same file (`--resume` and `--state`: a resumed run keeps saving there).
    var allowedSame: [(input: String, output: String)] = []

    init(_ outputs: [OutputFile?], inputs: [(String, String?)] = [], allowedSame: [(String, String)] = []) {
        self.outputs = outputs.compactMap { $0 }
        self.inputs = inputs.compactMap { option, path in path.map { (option, $0) } }
        self.allowedSame = allowedSame.map { (input: $0.0, output: $0.1) }
    }

    /// Throws `CLIError.output` naming the option and path of the first problem.
    func check() throws {
        let standard = outputs.filter(\.isStandardOutput)
        if standard.count > 1 {
            throw CLIError.output(
                standard.map(\.option).joined(separator: " and ") + " both write to standard output (-); "
                    + "give at most one of them as -")
        }
        var seen: [(identity: String, output: OutputFile)] = []
        for output in outputs where !output.isStandardOutput {
            try Self.checkWritable(output)
            let identity = Self.identity(of: output.path)
            if !Self.isNullDevice(output.path), let earlier = seen.first(where: { $0.identity == identity }) {
                throw CLIError.output(
                    "\(earlier.output.option) and \(output.option) both name \(output.path); give each output its own file")
            }
            seen.append((identity, output))
        }
        for (option, path) in inputs where path != "-" {
            let identity = Self.identity(of: path)
            for (outputIdentity, output) in seen where outputIdentity == identity {
                if allowedSame.contains(where: { $0.input == option && $0.output == output.option }) { continue }
                throw CLIError.output(
                    "\(output.option) \(output.path) is also the \(option) file this run reads; writing it would "
                        + "destroy the input")
            }
        }
    }

    /// An output can be written: an existing device or FIFO the user may write, or a file (new or existing) in a
    /// folder where the user may create files.
    static func checkWritable(_ output: OutputFile) throws {
        func fail(_ reason: String) -> CLIError { .output("cannot write \(output.option) \(output.path): \(reason)") }
        if output.path.isEmpty { throw fail("the path is empty") }
        switch OutputFile.target(of: output.path) {
        case .folder:
            throw fail("it is a folder; give a file name")
        case let .regular(target), let .absent(target):
            if let problem = OutputFile.folderProblem(OutputFile.folderOf(target)) { throw fail(problem) }
        case .special:
            if !FileManager.default.isWritableFile(atPath: output.path) { throw fail("no permission to write it") }
        }
    }

    /// What a path refers to: the file's device and inode when it exists (so `a.json`, `./a.json` and a symlink to
    /// it agree), else its absolute path with the folder's symlinks resolved.
    static func identity(of path: String) -> String {
        let target = OutputFile.resolvingSymlinks(path)
        if let attributes = try? FileManager.default.attributesOfItem(atPath: target),
           let device = attributes[.systemNumber], let inode = attributes[.systemFileNumber] {
            return "inode \(device):\(inode)"
        }
        let folder = URL(fileURLWithPath: OutputFile.folderOf(target), isDirectory: true)
            .resolvingSymlinksInPath().standardizedFileURL.path
        return "path " + folder + "/" + (target as NSString).lastPathComponent
    }

    /// `/dev/null` (or a link to it) may take any number of outputs.
    static func isNullDevice(_ path: String) -> Bool {
        identity(of: path) == identity(of: "/dev/null")
    }
}
