import Foundation

/// Text input read the same way by every module (prompt files, hypotheses, task data, saved states): UTF-8, a
/// leading byte-order mark dropped, lines ending in LF or CRLF, and failures explained in words — a missing file, a
/// folder, a file without read permission, or the line holding the first byte that is not UTF-8 — instead of
/// Foundation's "NSCocoaErrorDomain error 256". Pipes, FIFOs and `/dev/stdin` are read as streams.
///
/// Errors are `TransformerError.textUnreadable(file:reason:)`; other modules wrap the reason in their own error.
public enum TextFile {
    /// Reads `url` (a regular file, or a FIFO / character device read to its end) and decodes it.
    /// - Parameter limit: the most bytes to accept; a larger file is refused before it is read.
    public static func read(_ url: URL, limit: Int = Int.max) throws -> String {
        try decode(data(url, limit: limit), file: url.path)
    }

    /// The bytes of `url`, with the checks and messages of `read`.
    public static func data(_ url: URL, limit: Int = Int.max) throws -> Data {
        let path = url.path
        func fail(_ reason: String) -> TransformerError { .textUnreadable(file: path, reason: reason) }
        var info = stat()
        guard stat(path, &info) == 0 else {
            let code = errno
            if code == ENOENT || code == ENOTDIR {
                throw fail("no such file")
            }
            throw fail(String(cString: strerror(code)))
        }
        let kind = info.st_mode & S_IFMT
        if kind == S_IFDIR { throw fail("it is a folder, not a file") }
        if kind == S_IFREG, Int(info.st_size) > limit {
            throw fail("the file has \(info.st_size) bytes, more than the \(limit) this input may have")
        }
        guard access(path, R_OK) == 0 else { throw fail("no permission to read it") }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw fail(String(cString: strerror(errno)))
        }
        defer { try? handle.close() }
        return try readToEnd(handle, limit: limit, fail: fail)
    }

    /// Reads `handle` to its end in chunks, refusing more than `limit` bytes (a pipe has no size to check first).
    public static func readToEnd(
        _ handle: FileHandle, limit: Int, fail: (String) -> TransformerError
    ) throws -> Data {
        var data = Data()
        while true {
            let chunk: Data?
            do {
                chunk = try handle.read(upToCount: 1 << 20)
            } catch {
                throw fail("read error (\(String(cString: strerror(errno)))")
            }
            guard let chunk, !chunk.isEmpty else { break }
            data.append(chunk)
            if data.count > limit { throw fail("more than the \(limit) bytes this input may have") }
        }
        return data
    }

    /// `data` as text: UTF-8 without a leading byte-order mark. `file` names the source in the error, which gives
    /// the 1-based line and byte column of the first invalid byte.
    public static func decode(_ data: Data, file: String) throws -> String {
        var bytes = data[...]
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        if let invalid = firstInvalidUTF8(bytes) {
            throw TransformerError.textUnreadable(
                file: file,
                reason: "line \(invalid.line), byte \(invalid.column): not UTF-8 text (byte 0x"
                    + String(format: "%02X", invalid.byte) + "); save the file as UTF-8")
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The lines of `text`, split at LF with a CR before it dropped (so CRLF files read as LF files). A final
    /// newline does not start an extra line.
    public static func lines(_ text: String) -> [Substring] {
        var lines: [Substring] = []
        var start = text.startIndex
        var index = text.unicodeScalars.startIndex
        let scalars = text.unicodeScalars
        while index < scalars.endIndex {
            if scalars[index] == "\n" {
                var end = index
                if end > start, scalars[scalars.index(before: end)] == "\r" { end = scalars.index(before: end) }
                lines.append(text[start..<end])
                start = scalars.index(after: index)
            }
            index = scalars.index(after: index)
        }
        if start < text.endIndex {
            var end = text.endIndex
            if scalars[scalars.index(before: end)] == "\r" { end = scalars.index(before: end) }
            lines.append(text[start..<end])
        }
        return lines
    }

    /// Where the first byte that breaks UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF)
    /// is, or nil when every byte is valid.
    public static func firstInvalidUTF8(_ bytes: Data.SubSequence) -> (line: Int, column: Int, byte: UInt8)? {
        var line = 1
        var lineStart = bytes.startIndex
        var i = bytes.startIndex
        let end = bytes.endIndex
        while i < end {
            let b = bytes[i]
            if b < 0x80 {
                if b == 0x0A {
                    line += 1
                    lineStart = i + 1
                }
                i += 1
                continue
            }
            let length: Int
            var lower: UInt8 = 0x80, upper: UInt8 = 0xBF
            switch b {
            case 0xC2...0xDF: length = 2
            case 0xE0: length = 3; lower = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED: length = 3; upper = 0x9F
            case 0xF0: length = 4; lower = 0x90
            case 0xF1...0xF3: length = 4
            case 0xF4: length = 4; upper = 0x8F
            default: return (line, i - lineStart + 1, b)
            }
            for k in 1..<length {
                guard i + k < end else { return (line, i - lineStart + 1, b) }
                let c = bytes[i + k]
                let (lo, hi) = k == 1 ? (lower, upper) : (UInt8(0x80), UInt8(0xBF))
                guard c >= lo && c <= hi else { return (line, i - lineStart + 1, b) }
            }
            i += length
        }
        return nil
    }
}

extension TextFile {
    /// A file-system error in words: the POSIX reason ("No space left on device", "Permission denied") when there
    /// is one, instead of Foundation's "The operation could not be completed" or "NSCocoaErrorDomain error 256".
    public static func describeFileError(_ error: any Error) -> String {
        let ns = error as NSError
        if ns.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(ns.code))) }
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        if let posix = error as? POSIXError { return String(cString: strerror(posix.code.rawValue)) }
        guard ns.domain == NSCocoaErrorDomain else { return "I/O error (\(ns.domain) \(ns.code))" }
        switch CocoaError.Code(rawValue: ns.code) {
        case .fileNoSuchFile, .fileReadNoSuchFile: return "no such file"
        case .fileReadNoPermission, .fileWriteNoPermission: return "permission denied"
        case .fileWriteOutOfSpace: return "no space left on the device"
        case .fileWriteVolumeReadOnly: return "the file system is read-only"
        case .fileWriteFileExists: return "a file of that name exists"
        default: return "I/O error (\(ns.domain) \(ns.code))"
        }
    }
}
