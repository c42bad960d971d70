import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// What the Hub says about one file before its body is fetched.
struct HubFileMetadata: Sendable, Equatable {
    /// The commit the revision resolved to (`X-Repo-Commit`).
    let commit: String
    /// The blob name: the LFS SHA-256 or the git blob hash, without quotes or `W/`.
    let etag: String
    /// The file size in bytes, when announced.
    let size: Int64?
    /// Where the body comes from: the CDN location of a redirect, or the resolve URL itself.
    let downloadURL: URL
    /// Whether the download URL is on the Hub itself (and may receive the token).
    let sameHost: Bool

    /// LFS ETags are the file's SHA-256; git blob hashes (40 hex digits, small files) are not checked.
    var expectedSHA256: String? {
        etag.count == 64 && etag.allSatisfy(\.isHexDigit) ? etag.lowercased() : nil
    }

    /// An ETag header value without the weak marker and quotes.
    static func normalizedETag(_ raw: String) -> String {
        var value = raw.trimmingCharacters(in: .whitespaces)
        if value.hasPrefix("W/") { value.removeFirst(2) }
        return value.trimmingCharacters(in: CharacterSet(charactersIn: "\""))
    }
}

extension HubDownloader {
    /// The metadata of `file`, nil for a missing optional file.
    func fetchMetadata(url: URL, file: String, required: Bool) async throws -> HubFileMetadata? {
        let response: HTTPURLResponse = try await withAttempts(url, timeout: metadataTimeout) {
            let waiting = waitingNotices(file: file, url: url)
            defer { waiting?.cancel() }
            return try await HTTPTransfer.fetch(
                request(url, method: "HEAD", authorize: true, timeout: metadataTimeout), redirects: .followRelativeOnly,
                timeout: metadataTimeout).0
        }
        let status = response.statusCode
        func header(_ name: String) -> String? {
            response.value(forHTTPHeaderField: name).flatMap { $0.isEmpty ? nil : $0 }
        }
        if status == 404, !required { return nil }
        guard (200..<400).contains(status) else {
            throw TransformerError.downloadFailed(url: url.absoluteString, reason: Self.describe(status: status, response: response))
        }
        guard let commit = header("X-Repo-Commit") else {
            throw TransformerError.downloadFailed(
                url: url.absoluteString, reason: "the response has no X-Repo-Commit header (is HF_ENDPOINT a Hugging Face hub?)")
        }
        guard let rawETag = header("X-Linked-Etag") ?? header("ETag") else {
            throw TransformerError.downloadFailed(url: url.absoluteString, reason: "the response has no ETag header")
        }
        let etag = HubFileMetadata.normalizedETag(rawETag)
        guard !etag.isEmpty, !etag.contains("/"), !etag.hasPrefix("."), !commit.contains("/"), !commit.hasPrefix(".") else {
            throw TransformerError.downloadFailed(url: url.absoluteString, reason: "unusable ETag '\(rawETag)' or commit '\(commit)'")
        }
        var downloadURL = response.url ?? url
        var size = header("X-Linked-Size").flatMap { Int64($0) }
        if (300..<400).contains(status) {
            guard let location = header("Location"), let target = URL(string: location, relativeTo: url)?.absoluteURL else {
                throw TransformerError.downloadFailed(url: url.absoluteString, reason: "HTTP \(status) without a Location")
            }
            downloadURL = target
        } else if size == nil {
            size = header("Content-Length").flatMap { Int64($0) }
        }
        let sameHost = downloadURL.host == endpoint.host && downloadURL.port == endpoint.port
        return HubFileMetadata(commit: commit, etag: etag, size: size, downloadURL: downloadURL, sameHost: sameHost)
    }

    /// A readable explanation of an error status, with the Hub's `X-Error-Code` / `X-Error-Message`.
    static func describe(status: Int, response: HTTPURLResponse) -> String {
        var text = "HTTP \(status)"
        let code = response.value(forHTTPHeaderField: "X-Error-Code")
        let message = response.value(forHTTPHeaderField: "X-Error-Message")
        if let code, !code.isEmpty { text += " \(code)" }
        if let message, !message.isEmpty { text += ": \(message)" }
        switch status {
        case 401, 403: text += " (the repository may be gated or private: set HF_TOKEN)"
        case 404: text += " (check the repository id, the revision and that the file exists)"
        default: break
        }
        return text
    }

    /// Makes sure `blobs/<etag>` holds the complete, verified file and returns the blob name.
    func fetchBlob(
        _ metadata: HubFileMetadata, file: String, repoDirectory: URL, progress: Progress?
    ) async throws -> String {
        let fm = FileManager.default
        let blobs = repoDirectory.appendingPathComponent("blobs", isDirectory: true)
        do {
            try fm.createDirectory(at: blobs, withIntermediateDirectories: true)
        } catch {
            throw TransformerError.fileWriteFailed(file: blobs.path, reason: TextFile.describeFileError(error))
        }
        let blob = blobs.appendingPathComponent(metadata.etag)
        let total = metadata.size ?? 0
        if let size = metadata.size, Self.fileSize(blob) == size {
            progress?(file, size, size)
            return metadata.etag
        }
        let partial = blobs.appendingPathComponent(metadata.etag + ".incomplete")
        try await transfer(metadata, file: file, into: partial, progress: progress)
        let received = Self.fileSize(partial) ?? 0
        if let size = metadata.size, received != size {
            throw TransformerError.downloadFailed(
                url: metadata.downloadURL.absoluteString,
                reason: "received \(received) bytes of \(file), expected \(size); run again to resume")
        }
        if let expected = metadata.expectedSHA256 {
            let found: String
            do {
                found = try SHA256.hex(ofFileAt: partial)
            } catch {
                throw TransformerError.weightsUnreadable(file: partial.path, reason: TextFile.describeFileError(error))
            }
            guard found == expected else {
                try? fm.removeItem(at: partial)
                throw TransformerError.checksumMismatch(file: file, expected: expected, found: found)
            }
        }
        do {
            try? fm.removeItem(at: blob)
            try fm.moveItem(at: partial, to: blob)
        } catch {
            throw TransformerError.fileWriteFailed(file: blob.path, reason: TextFile.describeFileError(error))
        }
        progress?(file, received, max(total, received))
        return metadata.etag
    }

    /// Streams the body into `partial`, resuming from its current size with a `Range` request; a timeout or a
    /// dropped connection is tried again from where it stopped (`attempts` in all).
    private func transfer(_ metadata: HubFileMetadata, file: String, into partial: URL, progress: Progress?) async throws {
        do {
            try await withAttempts(metadata.downloadURL, timeout: timeout) {
                try await transferOnce(metadata, file: file, into: partial, progress: progress)
            }
        } catch let TransformerError.downloadFailed(url, reason) {
            let kept = Self.fileSize(partial) ?? 0
            throw TransformerError.downloadFailed(
                url: url, reason: "\(reason); \(kept) bytes of \(file) kept, run again to resume")
        }
    }

    /// One attempt of `transfer`; network errors leave as they are (for `withAttempts` to judge), file errors as
    /// `TransformerError`.
    private func transferOnce(
        _ metadata: HubFileMetadata, file: String, into partial: URL, progress: Progress?
    ) async throws {
        let fm = FileManager.default
        let url = metadata.downloadURL.absoluteString
        var offset = Self.fileSize(partial) ?? 0
        if let size = metadata.size, offset > size { offset = 0 }
        if !fm.fileExists(atPath: partial.path) || offset == 0 {
            guard fm.createFile(atPath: partial.path, contents: nil) else {
                throw TransformerError.fileWriteFailed(file: partial.path, reason: "cannot create the file")
            }
        }
        if let size = metadata.size, offset == size { return }
        let handle: FileHandle
        do {
            handle = try FileHandle(forWritingTo: partial)
            try handle.truncate(atOffset: UInt64(offset))
        } catch {
            throw TransformerError.fileWriteFailed(file: partial.path, reason: TextFile.describeFileError(error))
        }
        defer { try? handle.close() }

        var request = request(metadata.downloadURL, method: "GET", authorize: metadata.sameHost, timeout: timeout)
        if offset > 0 { request.setValue("bytes=\(offset)-", forHTTPHeaderField: "Range") }
        let total = metadata.size ?? 0
        var written = offset
        var reported = offset
        if total > 0 { progress?(file, written, total) }
        let waiting = waitingNotices(file: file, url: metadata.downloadURL)
        defer { waiting?.cancel() }
        for try await event in HTTPTransfer.events(for: request, redirects: .followAll, timeout: timeout) {
            switch event {
            case let .response(response):
                waiting?.cancel()
                switch response.statusCode {
                case 206:
                    break
                case 200:
                    // The server ignored the Range header: start over.
                    do {
                        try handle.truncate(atOffset: 0)
                    } catch {
                        throw TransformerError.fileWriteFailed(file: partial.path, reason: TextFile.describeFileError(error))
                    }
                    written = 0
                default:
                    throw TransformerError.downloadFailed(url: url, reason: Self.describe(status: response.statusCode, response: response))
                }
            case let .data(data):
                do {
                    try handle.write(contentsOf: data)
                } catch {
                    throw TransformerError.fileWriteFailed(file: partial.path, reason: TextFile.describeFileError(error))
                }
                written += Int64(data.count)
                if written - reported >= 1 << 18, written != total {
                    reported = written
                    progress?(file, written, total)
                }
            }
        }
        // The final report (done == total) comes from `fetchBlob` once the file is verified and in place.
    }

    static func fileSize(_ url: URL) -> Int64? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: url.path),
            let size = attributes[.size] as? NSNumber
        else { return nil }
        return size.int64Value
    }
}

/// The symlinks and refs of the Hugging Face cache layout.
enum HubCacheLayout {
    /// Points `snapshots/<commit>/<file>` at `blobs/<blob>` with a relative symlink, replacing any older link.
    static func link(blob: String, file: String, commit: String, repoDirectory: URL) throws {
        let fm = FileManager.default
        let link = repoDirectory.appendingPathComponent("snapshots", isDirectory: true)
            .appendingPathComponent(commit, isDirectory: true).appendingPathComponent(file)
        let depth = file.split(separator: "/").count + 1
        let target = String(repeating: "../", count: depth) + "blobs/" + blob
        do {
            try fm.createDirectory(at: link.deletingLastPathComponent(), withIntermediateDirectories: true)
            try? fm.removeItem(atPath: link.path)
            try fm.createSymbolicLink(atPath: link.path, withDestinationPath: target)
        } catch {
            throw TransformerError.fileWriteFailed(file: link.path, reason: TextFile.describeFileError(error))
        }
    }

    /// Writes `refs/<revision>` (the commit, no newline, as huggingface_hub does).
    static func writeRef(revision: String, commit: String, repoDirectory: URL) throws {
        let ref = repoDirectory.appendingPathComponent("refs", isDirectory: true).appendingPathComponent(revision)
        do {
            try FileManager.default.createDirectory(at: ref.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(commit.utf8).write(to: ref, options: .atomic)
        } catch {
            throw TransformerError.fileWriteFailed(file: ref.path, reason: TextFile.describeFileError(error))
        }
    }
}
