import FlyingFox
import FlyingSocks
import Foundation
import Transformer

/// A stand-in for the Hugging Face Hub on 127.0.0.1 (ephemeral port), serving one repository with the tiny GPT-2
/// fixture in the Hub's URL layout and headers:
///
/// * `HEAD|GET /{repo}/resolve/{revision}/{file}`: small files answer 200 with `ETag` (a 40-hex git-style
///   hash), LFS files (`*.safetensors`) answer 302 to `/cdn/<sha256>` with `X-Linked-Etag`,
///   `X-Linked-Size`; both carry `X-Repo-Commit`. Unknown files: 404 with `X-Error-Code: EntryNotFound`.
/// * `GET /cdn/<sha256>`: the blob, honouring `Range: bytes=N-` with 206 and `Content-Range`.
///
/// Failure modes, set per test: cut the next blob response short (the connection drops after some bytes),
/// serve corrupted blob bytes, or answer 404 for the weights. `sharded` serves the weights as Hugging Face stores
/// large models instead: `model.safetensors.index.json` and two shards, no `model.safetensors`.
actor HubTestServer {
    static let repo = "circuitry-test/tiny-gpt2"
    static let commit = "c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00"
    static let configETag = "b3f7896ab71c85ad29061c7f7f9858a93ce3a600"
    /// `sha256sum` of Fixtures/tiny-gpt2/model.safetensors.
    static let modelSHA256 = "dfc7e0eb2b607839b8e59fafb02b3b44fa103e04b5d339815f9a010e757eac5f"
    static let merges = Data("#version: 0.2\nĠ t\n".utf8)

    let files: [String: Data]
    private var server: HTTPServer?
    private var runTask: Task<Void, any Error>?
    private(set) var port: UInt16 = 0

    /// Bytes to send of the next blob response before dropping the connection (one-shot).
    var cutNextBlobAfter: Int?
    var corruptBlob = false
    var weightsMissing = false
    /// Every request as "METHOD path [Range]".
    private(set) var log: [String] = []

    /// The shard files of the sharded layout.
    static let shards = ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"]

    init(sharded: Bool = false) throws {
        let fixture = try LoadingFixtures.directory("tiny-gpt2")
        let weights = try Data(contentsOf: fixture.appendingPathComponent("model.safetensors"))
        var files = [
            "config.json": try Data(contentsOf: fixture.appendingPathComponent("config.json")),
            "merges.txt": Self.merges,
        ]
        if sharded {
            // Blocks in the first shard, everything else in the second, as `save_pretrained` splits by size.
            let file = try SafetensorsFile(url: fixture.appendingPathComponent("model.safetensors"))
            var writers = [SafetensorsWriter(), SafetensorsWriter()]
            var map: [String: String] = [:]
            for name in file.names {
                let shard = name.contains(".h.") ? 0 : 1
                writers[shard].add(name, try file.tensor(named: name))
                map[name] = Self.shards[shard]
            }
            for (shard, writer) in zip(Self.shards, writers) { files[shard] = writer.encoded() }
            files["model.safetensors.index.json"] = try JSONSerialization.data(
                withJSONObject: ["metadata": ["total_size": weights.count], "weight_map": map], options: .sortedKeys)
        } else {
            files["model.safetensors"] = weights
        }
        self.files = files
        var lfs: [String: String] = [:]
        for (name, data) in files where name.hasSuffix(".safetensors") {
            var hash = SHA256()
            hash.update(data)
            lfs[name] = hash.finalize().map { String(format: "%02x", $0) }.joined()
        }
        self.lfs = lfs
    }

    /// A 40-hex blob name for a small file, distinct per content as git's hashes are.
    static func gitHash(_ data: Data) -> String {
        var hash = SHA256()
        hash.update(data)
        return hash.finalize().prefix(20).map { String(format: "%02x", $0) }.joined()
    }

    /// The SHA-256 of every LFS file (`*.safetensors`), by file name.
    let lfs: [String: String]

    func set(cutNextBlobAfter: Int? = nil, corruptBlob: Bool = false, weightsMissing: Bool = false) {
        self.cutNextBlobAfter = cutNextBlobAfter
        self.corruptBlob = corruptBlob
        self.weightsMissing = weightsMissing
    }

    /// Starts listening and returns the endpoint URL.
    func start() async throws -> URL {
        let server = HTTPServer(address: try .inet(ip4: "127.0.0.1", port: 0), timeout: 10, logger: .disabled)
        await server.appendRoute("*") { [weak self] request in
            guard let self else { return HTTPResponse(statusCode: .serviceUnavailable) }
            return await self.respond(to: request)
        }
        self.server = server
        runTask = Task { try await server.run() }
        // The server's task runs on the cooperative pool, which the other tests' CPU-bound work can hold for seconds
        // on a 2-core machine: FlyingFox's default 5 s wait failed there once under a full test run.
        try await server.waitUntilListening(timeout: 120)
        guard case let .ip4(_, port) = await server.listeningAddress else {
            throw URLError(.cannotConnectToHost)
        }
        self.port = port
        return URL(string: "http://127.0.0.1:\(port)")!
    }

    func stop() async {
        await server?.stop(timeout: 0.1)
        runTask?.cancel()
    }

    private func respond(to request: HTTPRequest) -> HTTPResponse {
        let range = request.headers[.range]
        log.append("\(request.method.rawValue) \(request.path)" + (range.map { " \($0)" } ?? ""))
        let prefix = "/\(Self.repo)/resolve/"
        if request.path.hasPrefix(prefix) {
            let rest = request.path.dropFirst(prefix.count).split(separator: "/", maxSplits: 1).map(String.init)
            guard rest.count == 2, rest[0] == "main" || rest[0] == Self.commit else { return notFound("RevisionNotFound") }
            return resolve(file: rest[1], head: request.method == .HEAD)
        }
        if request.path.hasPrefix("/cdn/"), let file = lfs.first(where: { "/cdn/\($0.value)" == request.path })?.key {
            return blob(file, range: range)
        }
        return notFound("RepoNotFound")
    }

    private func notFound(_ code: String) -> HTTPResponse {
        let headers: HTTPHeaders = [HTTPHeader("X-Error-Code"): code, HTTPHeader("X-Error-Message"): "not here"]
        return HTTPResponse(statusCode: .notFound, headers: headers)
    }

    private func resolve(file: String, head: Bool) -> HTTPResponse {
        if let sha = lfs[file] {
            if weightsMissing { return notFound("EntryNotFound") }
            let size = files[file]?.count ?? 0
            let headers: HTTPHeaders = [
                .location: "http://127.0.0.1:\(port)/cdn/\(sha)",
                HTTPHeader("X-Repo-Commit"): Self.commit,
                HTTPHeader("X-Linked-Etag"): "\"\(sha)\"",
                HTTPHeader("X-Linked-Size"): String(size),
                .eTag: "W/\"redirect-etag\"",
            ]
            return HTTPResponse(statusCode: .found, headers: headers)
        }
        guard let data = files[file] else { return notFound("EntryNotFound") }
        var headers: HTTPHeaders = [
            HTTPHeader("X-Repo-Commit"): Self.commit,
            .eTag: "\"\(file == "config.json" ? Self.configETag : Self.gitHash(data))\"",
        ]
        if head {
            headers[.contentLength] = String(data.count)
            return HTTPResponse(statusCode: .ok, headers: headers)
        }
        return HTTPResponse(statusCode: .ok, headers: headers, body: data)
    }

    private func blob(_ file: String, range: String?) -> HTTPResponse {
        guard var data = files[file] else { return notFound("EntryNotFound") }
        if corruptBlob { data[data.count / 2] ^= 0xFF }
        var start = 0
        if let range, range.hasPrefix("bytes="), range.hasSuffix("-"), let n = Int(range.dropFirst(6).dropLast()) {
            start = n
        }
        let body = Data(data[start...])
        var headers: HTTPHeaders = [.acceptRanges: "bytes"]
        let status: HTTPStatusCode = start > 0 ? .partialContent : .ok
        if start > 0 { headers[.contentRange] = "bytes \(start)-\(data.count - 1)/\(data.count)" }
        if let cut = cutNextBlobAfter {
            cutNextBlobAfter = nil
            let sequence = HTTPBodySequence(from: DroppingBytes(bytes: Array(body.prefix(cut))), count: body.count)
            return HTTPResponse(statusCode: status, headers: headers, body: sequence)
        }
        return HTTPResponse(statusCode: status, headers: headers, body: body)
    }
}

/// A body that yields its bytes and then fails, so the server drops the connection before `Content-Length`.
struct DroppingBytes: AsyncBufferedSequence {
    typealias Element = UInt8
    struct Dropped: Error {}
    let bytes: [UInt8]

    func makeAsyncIterator() -> Iterator { Iterator(bytes: bytes) }

    struct Iterator: AsyncBufferedIteratorProtocol {
        let bytes: [UInt8]
        var index = 0

        mutating func next() async throws -> UInt8? {
            guard index < bytes.count else { throw Dropped() }
            defer { index += 1 }
            return bytes[index]
        }

        mutating func nextBuffer(suggested count: Int) async throws -> ArraySlice<UInt8>? {
            guard index < bytes.count else { throw Dropped() }
            let end = Swift.min(bytes.count, index + Swift.max(1, count))
            defer { index = end }
            return bytes[index..<end]
        }
    }
}
