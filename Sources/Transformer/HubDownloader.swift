import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Downloads a model repository from the Hugging Face Hub into the local Hugging Face cache, in exactly the
/// layout `huggingface_hub` writes (so `transformers` finds what circuitry downloaded, and vice versa):
///
///     <cache>/models--{org}--{name}/blobs/<etag>                  file contents, named by ETag
///     <cache>/models--{org}--{name}/snapshots/<commit>/<file>     relative symlink ../../blobs/<etag>
///     <cache>/models--{org}--{name}/refs/<revision>               the commit hash
///
/// Per file: a metadata request to `{endpoint}/{repo}/resolve/{revision}/{file}` that stops at the CDN redirect
/// reads `X-Repo-Commit`, `X-Linked-Etag` (else `ETag`) and `X-Linked-Size` (else `Content-Length`); then the
/// body is streamed into `blobs/<etag>.incomplete`. A rerun resumes an incomplete blob with `Range: bytes=N-`.
/// The size is checked at the end, and the SHA-256 too when the ETag is one (LFS files: 64 hex digits).
public struct HubDownloader: Sendable {
    /// Receives `(file, bytesDone, bytesTotal)` while a file downloads; `bytesTotal` is 0 while unknown. Every
    /// file present ends with exactly one call where `bytesDone == bytesTotal` (also for files already cached).
    public typealias Progress = @Sendable (_ file: String, _ bytesDone: Int64, _ bytesTotal: Int64) -> Void

    /// A file to fetch; optional files (tokenizer) may be missing from the repository (HTTP 404).
    public struct FileRequest: Sendable, Equatable {
        public var name: String
        public var required: Bool
        /// For weights: the index of the sharded layout (`model.safetensors.index.json`), fetched with every shard
        /// its `weight_map` lists when `name` itself is missing, as `transformers` does for large models.
        public var shardIndex: String?

        public init(_ name: String, required: Bool, shardIndex: String? = nil) {
            self.name = name
            self.required = required
            self.shardIndex = shardIndex
        }
    }

    /// The result of a download.
    public struct Result: Sendable, Equatable {
        /// `snapshots/<commit>/`, a directory `ModelLoader` can load.
        public let snapshot: URL
        public let commit: String
        /// The files present in the snapshot, in request order.
        public let files: [String]
        /// Optional files the repository does not have.
        public let missingOptionalFiles: [String]
    }

    /// The files a model needs: config and weights (one file, or the shards of a sharded checkpoint), plus the
    /// byte-level BPE tokenizer if present.
    public static let defaultFiles: [FileRequest] = [
        FileRequest("config.json", required: true),
        FileRequest("model.safetensors", required: true, shardIndex: "model.safetensors.index.json"),
        FileRequest("vocab.json", required: false),
        FileRequest("merges.txt", required: false),
    ]

    public var endpoint: URL
    public var cacheDirectory: URL
    public var files: [FileRequest] = HubDownloader.defaultFiles
    /// Seconds without progress before a body transfer gives up on one attempt (`HF_HUB_DOWNLOAD_TIMEOUT`, as
    /// huggingface_hub; default 10).
    public var timeout: TimeInterval = 10
    /// Seconds to wait for the answer to a metadata request (`HF_HUB_ETAG_TIMEOUT`, as huggingface_hub; default 10).
    public var metadataTimeout: TimeInterval = 10
    /// How often a request that times out or loses its connection is tried in all; a body transfer resumes where
    /// the last attempt stopped.
    public var attempts = 3
    /// Seconds between "still waiting" notices while a server has not answered (from the environment: 3, or half
    /// the metadata timeout when that is shorter).
    public var heartbeat: TimeInterval = 3
    /// Receives one-line notices: retries and "still waiting" (for a progress display on stderr).
    public var notice: Notice?
    /// A one-line message for the user.
    public typealias Notice = @Sendable (String) -> Void
    /// Bearer token for gated or private repositories (sent to the Hub only, never to the CDN).
    public var token: String?

    public init(endpoint: URL, cacheDirectory: URL, token: String? = nil) {
        self.endpoint = endpoint
        self.cacheDirectory = cacheDirectory
        self.token = token
    }

    /// The endpoint from `HF_ENDPOINT` (default https://huggingface.co), the cache as `ModelResolver` finds it
    /// unless `cacheDirectory` is given, the token from `HF_TOKEN`, the timeouts from `HF_HUB_DOWNLOAD_TIMEOUT` and
    /// `HF_HUB_ETAG_TIMEOUT` (seconds). Throws `offline` when `HF_HUB_OFFLINE` is set: then nothing may use the
    /// network.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment, cacheDirectory: URL? = nil) throws {
        if Self.isOffline(environment) {
            throw TransformerError.offline(
                "HF_HUB_OFFLINE is set, so circuitry does not download; unset it to fetch models from the Hub")
        }
        let endpointText = environment["HF_ENDPOINT"].flatMap { $0.isEmpty ? nil : $0 } ?? "https://huggingface.co"
        guard let endpoint = URL(string: endpointText), endpoint.scheme == "http" || endpoint.scheme == "https" else {
            throw TransformerError.downloadFailed(url: endpointText, reason: "HF_ENDPOINT is not an http(s) URL")
        }
        self.init(
            endpoint: endpoint,
            cacheDirectory: cacheDirectory ?? ModelResolver(environment: environment).hubCacheDirectory,
            token: environment["HF_TOKEN"].flatMap { $0.isEmpty ? nil : $0 })
        for (key, keyPath) in [("HF_HUB_DOWNLOAD_TIMEOUT", \HubDownloader.timeout), ("HF_HUB_ETAG_TIMEOUT", \.metadataTimeout)] {
            guard let text = environment[key], !text.isEmpty else { continue }
            guard let seconds = Double(text), seconds > 0, seconds.isFinite else {
                throw TransformerError.downloadFailed(url: endpointText, reason: "\(key)='\(text)' is not a number of seconds > 0")
            }
            self[keyPath: keyPath] = seconds
        }
        heartbeat = min(3, metadataTimeout / 2)
    }

    /// Whether `HF_HUB_OFFLINE` asks for no network at all (huggingface_hub's truthy values: 1, on, yes, true).
    public static func isOffline(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        guard let value = environment["HF_HUB_OFFLINE"]?.lowercased() else { return false }
        return ["1", "on", "yes", "true"].contains(value.trimmingCharacters(in: .whitespaces))
    }

    /// `{endpoint}/{repo}/resolve/{revision}/{file}`.
    public func resolveURL(repo: String, revision: String, file: String) -> URL {
        var url = endpoint
        for part in repo.split(separator: "/") { url.appendPathComponent(String(part)) }
        url.appendPathComponent("resolve")
        url.appendPathComponent(revision)
        url.appendPathComponent(file)
        return url
    }

    /// Downloads `files` of `repo` at `revision` into the cache and returns the snapshot.
    public func download(repo: String, revision: String = "main", progress: Progress? = nil) async throws -> Result {
        guard ModelResolver.isRepositoryID(repo) else {
            throw TransformerError.downloadFailed(url: repo, reason: "'\(repo)' is not a repository id such as openai-community/gpt2")
        }
        let repoDirectory = cacheDirectory.appendingPathComponent(ModelResolver.cacheFolderName(repo: repo), isDirectory: true)
        var commit: String?
        var present: [String] = []
        var missing: [String] = []
        /// Fetches one file into the cache and links it into the snapshot; false for a missing optional file.
        func fetch(_ name: String, required: Bool) async throws -> Bool {
            let url = resolveURL(repo: repo, revision: revision, file: name)
            guard let metadata = try await fetchMetadata(url: url, file: name, required: required) else { return false }
            if let commit, commit != metadata.commit {
                throw TransformerError.downloadFailed(
                    url: url.absoluteString,
                    reason: "the repository changed during the download (commit \(metadata.commit), earlier files \(commit)); run again")
            }
            commit = metadata.commit
            let blob = try await fetchBlob(metadata, file: name, repoDirectory: repoDirectory, progress: progress)
            try HubCacheLayout.link(blob: blob, file: name, commit: metadata.commit, repoDirectory: repoDirectory)
            present.append(name)
            return true
        }
        for request in files {
            guard let index = request.shardIndex else {
                if try await !fetch(request.name, required: request.required) { missing.append(request.name) }
                continue
            }
            if try await fetch(request.name, required: false) { continue }
            do {
                guard try await fetch(index, required: request.required) else {
                    missing.append(request.name)
                    continue
                }
            } catch TransformerError.downloadFailed(let url, let reason) {
                throw TransformerError.downloadFailed(
                    url: url, reason: reason + "; \(request.name) is missing too, so the repository has no safetensors weights")
            }
            guard let commit else { continue }
            let snapshot = repoDirectory.appendingPathComponent("snapshots/\(commit)", isDirectory: true)
            for shard in try ModelLoader.shards(listedIn: snapshot.appendingPathComponent(index), directory: snapshot) {
                _ = try await fetch(shard.lastPathComponent, required: true)
            }
        }
        guard let commit else {
            throw TransformerError.downloadFailed(url: resolveURL(repo: repo, revision: revision, file: "").absoluteString, reason: "no files requested")
        }
        if revision != commit {
            try HubCacheLayout.writeRef(revision: revision, commit: commit, repoDirectory: repoDirectory)
        }
        let snapshot = repoDirectory.appendingPathComponent("snapshots", isDirectory: true)
            .appendingPathComponent(commit, isDirectory: true)
        return Result(snapshot: snapshot, commit: commit, files: present, missingOptionalFiles: missing)
    }

    func request(_ url: URL, method: String, authorize: Bool, timeout: TimeInterval) -> URLRequest {
        var request = URLRequest(url: url, timeoutInterval: timeout)
        request.httpMethod = method
        // Sizes and ranges refer to the stored bytes, so no transparent compression.
        request.setValue("identity", forHTTPHeaderField: "Accept-Encoding")
        request.setValue("circuitry", forHTTPHeaderField: "User-Agent")
        if authorize, let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        return request
    }
}
