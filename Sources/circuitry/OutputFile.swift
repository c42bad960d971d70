import Foundation
import Transformer

/// One result a command writes, named by the option that chose it (`--json`, `--out`, `--svg`, `--state`, …).
///
/// Every command writes through `write(_:)`, which keeps three promises:
/// * `-` is standard output;
/// * a regular file (new, or existing, also behind a symlink) is replaced atomically: the bytes go to a temporary
///   file in the same folder, which is then renamed over the target, so a reader or a crash never sees half a
///   result, and a symlink stays a symlink;
/// * an existing target that is not a regular file — `/dev/null`, `/dev/stdout`, a FIFO, a symlink to one — is
///   written in place and never replaced by a file.
struct OutputFile: Equatable {
    /// The option that named the file, for messages.
    var option: String
    /// The path as given, or `-`.
    var path: String

    init(option: String, path: String) {
        self.option = option
        self.path = path
    }

    var isStandardOutput: Bool { path == "-" }

    /// The name shown in messages (`standard output` for `-`).
    var displayName: String { isStandardOutput ? "standard output" : path }

    func write(_ text: String) throws {
        try write(Data(text.utf8))
    }

    func write(_ data: Data) throws {
        if isStandardOutput {
            FileHandle.standardOutput.write(data)
            return
        }
        func fail(_ reason: String) -> CLIError { .output("cannot write \(option) \(path): \(reason)") }
        switch Self.target(of: path) {
        case let .regular(target):
            let permissions = (try? FileManager.default.attributesOfItem(atPath: target))?[.posixPermissions] as? Int
            try Self.replaceAtomically(target, with: data, permissions: permissions, fail: fail)
        case let .absent(target):
            try Self.replaceAtomically(target, with: data, permissions: nil, fail: fail)
        case .folder:
            throw fail("it is a folder")
        case .special:
            try Self.writeInPlace(path, data, fail: fail)
        }
    }

    /// What a path leads to once its symlinks are followed.
    enum Target: Equatable {
        /// A regular file, at this (link-free) path: replaced atomically.
        case regular(String)
        /// Nothing yet (or a dangling link): a file is created at this path.
        case absent(String)
        case folder
        /// A device, FIFO or socket, or a link the kernel resolves itself (`/dev/stdout` → `/proc/self/fd/1` →
        /// `pipe:[…]`): written in place through the path as given.
        case special
    }

    static func target(of path: String) -> Target {
        let resolved = resolvingSymlinks(path)
        // `fileExists` follows links the way `open` does, magic ones included.
        guard FileManager.default.fileExists(atPath: path) else { return .absent(resolved) }
        switch kind(of: resolved) {
        case .typeRegular?: return .regular(resolved)
        case .typeDirectory?: return .folder
        default: return .special
        }
    }

    /// The type of the file at `path` itself (a symlink is `.typeSymbolicLink`), nil when nothing is there.
    static func kind(of path: String) -> FileAttributeType? {
        (try? FileManager.default.attributesOfItem(atPath: path))?[.type] as? FileAttributeType
    }

    /// The path with every symlink in its last component followed (at most 40, as the kernel allows), so that
    /// writing replaces the file a link points to and not the link. Intermediate folders are left as they are.
    static func resolvingSymlinks(_ path: String) -> String {
        var current = path
        for _ in 0..<40 {
            guard kind(of: current) == .typeSymbolicLink,
                  let destination = try? FileManager.default.destinationOfSymbolicLink(atPath: current)
            else { return current }
            current = destination.hasPrefix("/") ? destination : folderOf(current) + "/" + destination
        }
        return current
    }

    /// Writes `data` to a fresh temporary file beside `target` and renames it over `target`; the temporary file
    /// takes `permissions` (the replaced file's) when given.
    static func replaceAtomically(
        _ target: String, with data: Data, permissions: Int?, fail: (String) -> CLIError
    ) throws {
        let fm = FileManager.default
        let folder = folderOf(target)
        let name = (target as NSString).lastPathComponent
        var temporary = ""
        var created = false
        for attempt in 0..<100 {
            temporary = folder + "/." + name + ".circuitry-\(ProcessInfo.processInfo.processIdentifier)-\(attempt).tmp"
            if fm.fileExists(atPath: temporary) { continue }
            created = fm.createFile(atPath: temporary, contents: nil)
            break
        }
        guard created, let handle = FileHandle(forWritingAtPath: temporary) else {
            throw fail("cannot create a temporary file in \(folder) (\(folderProblem(folder) ?? "unknown reason"))")
        }
        do {
            if let permissions { try fm.setAttributes([.posixPermissions: permissions], ofItemAtPath: temporary) }
            try handle.write(contentsOf: data)
            try handle.synchronize()
            try handle.close()
            guard rename(temporary, target) == 0 else {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSUnderlyingErrorKey: POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)])
            }
        } catch {
            try? handle.close()
            try? fm.removeItem(atPath: temporary)
            throw fail(describe(error))
        }
    }

    /// Opens an existing non-regular file (device, FIFO) for writing and writes `data` into it.
    static func writeInPlace(_ target: String, _ data: Data, fail: (String) -> CLIError) throws {
        guard let handle = FileHandle(forWritingAtPath: target) else {
            throw fail(FileManager.default.isWritableFile(atPath: target) ? "cannot open it" : "no permission to write it")
        }
        defer { try? handle.close() }
        do {
            try handle.write(contentsOf: data)
        } catch {
            throw fail(describe(error))
        }
    }

    /// A file-system error in words (`TextFile.describeFileError`).
    static func describe(_ error: any Error) -> String {
        TextFile.describeFileError(error)
    }

    /// Why files cannot be created in `folder`, or nil when they can.
    static func folderProblem(_ folder: String) -> String? {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: folder, isDirectory: &isDirectory) else { return "the folder \(folder) does not exist" }
        guard isDirectory.boolValue else { return "\(folder) is not a folder" }
        guard fm.isWritableFile(atPath: folder) else { return "no permission to create files in \(folder)" }
        return nil
    }

    /// The folder a path's file lives in (`.` for a bare name).
    static func folderOf(_ path: String) -> String {
        let folder = (path as NSString).deletingLastPathComponent
        return folder.isEmpty ? "." : folder
    }
}
