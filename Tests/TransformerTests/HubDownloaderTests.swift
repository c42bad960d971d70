import Foundation
import Synchronization
import Testing
@testable import Transformer

/// The downloader against a real HTTP server on 127.0.0.1 (`HubTestServer`); nothing touches the internet.
@Suite(.serialized) struct HubDownloaderTests {
    /// Runs `body` with a started server and a fresh cache directory, cleaning both up afterwards.
    private func withHub(
        sharded: Bool = false, _ body: (HubTestServer, HubDownloader, URL) async throws -> Void
    ) async throws {
        let server = try HubTestServer(sharded: sharded)
        let endpoint = try await server.start()
        let cache = try LoadingFixtures.temporaryDirectory("hub-cache")
        defer { LoadingFixtures.removeTemporary(cache) }
        var downloader = try HubDownloader(environment: ["HF_ENDPOINT": endpoint.absoluteString], cacheDirectory: cache)
        downloader.timeout = 10
        do {
            try await body(server, downloader, cache)
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }

    private var repoFolder: String { ModelResolver.cacheFolderName(repo: HubTestServer.repo) }

    @Test func environmentChoosesEndpointAndCache() throws {
        let d = try HubDownloader(environment: ["HF_HOME": "/tmp/hfhome"])
        #expect(d.endpoint.absoluteString == "https://huggingface.co")
        #expect(d.cacheDirectory.path == "/tmp/hfhome/hub")
        #expect(d.resolveURL(repo: "openai-community/gpt2", revision: "main", file: "config.json").absoluteString
            == "https://huggingface.co/openai-community/gpt2/resolve/main/config.json")
        let custom = try HubDownloader(environment: ["HF_ENDPOINT": "http://mirror.local:8080", "HF_HUB_CACHE": "/c"])
        #expect(custom.endpoint.absoluteString == "http://mirror.local:8080")
        #expect(custom.cacheDirectory.path == "/c")
        #expect(HubFileMetadata.normalizedETag("W/\"abc\"") == "abc")
        #expect(HubFileMetadata.normalizedETag("\"def\"") == "def")
    }

    @Test func downloadWritesTheHuggingFaceCacheLayoutAndLoads() async throws {
        try await withHub { server, downloader, cache in
            let (stream, continuation) = AsyncStream.makeStream(of: ProgressEntry.self)
            let result = try await downloader.download(repo: HubTestServer.repo) { file, done, total in
                continuation.yield(ProgressEntry(file: file, done: done, total: total))
            }
            continuation.finish()
            var events: [ProgressEntry] = []
            for await entry in stream { events.append(entry) }
            let repoDirectory = cache.appendingPathComponent(repoFolder)
            #expect(result.commit == HubTestServer.commit)
            #expect(result.files == ["config.json", "model.safetensors", "merges.txt"])
            #expect(result.missingOptionalFiles == ["vocab.json"])
            #expect(result.snapshot.path == repoDirectory.appendingPathComponent("snapshots/\(HubTestServer.commit)").path)

            let fm = FileManager.default
            let ref = try String(contentsOf: repoDirectory.appendingPathComponent("refs/main"), encoding: .utf8)
            #expect(ref == HubTestServer.commit)
            let weightsLink = result.snapshot.appendingPathComponent("model.safetensors").path
            #expect(try fm.destinationOfSymbolicLink(atPath: weightsLink) == "../../blobs/\(HubTestServer.modelSHA256)")
            #expect(try fm.destinationOfSymbolicLink(atPath: result.snapshot.appendingPathComponent("config.json").path)
                == "../../blobs/\(HubTestServer.configETag)")
            let blobs = try fm.contentsOfDirectory(atPath: repoDirectory.appendingPathComponent("blobs").path).sorted()
            #expect(blobs.count == 3)
            #expect(blobs.contains(HubTestServer.modelSHA256))
            #expect(!blobs.contains { $0.hasSuffix(".incomplete") })
            #expect(try Data(contentsOf: URL(fileURLWithPath: weightsLink)) == server.files["model.safetensors"])
            #expect(try Data(contentsOf: result.snapshot.appendingPathComponent("merges.txt")) == HubTestServer.merges)

            let size = Int64(server.files["model.safetensors"]?.count ?? 0)
            #expect(events.contains { $0.file == "model.safetensors" && $0.done == size && $0.total == size })

            // Metadata stops at the CDN redirect (HEAD never reaches /cdn); the body comes from the CDN in one GET.
            let log = await server.log
            #expect(log.contains("HEAD /\(HubTestServer.repo)/resolve/main/model.safetensors"))
            #expect(!log.contains { $0.hasPrefix("HEAD /cdn") })
            #expect(log.filter { $0.hasPrefix("GET /cdn") } == ["GET /cdn/\(HubTestServer.modelSHA256)"])

            // The resolver finds the download through the cache and loads it.
            let resolver = ModelResolver(environment: ["HF_HUB_CACHE": cache.path, "CIRCUITRY_DATA": cache.path])
            let model = try resolver.load(HubTestServer.repo)
            #expect(model.source == HubTestServer.repo)
            #expect(model.config.nLayers == 3)
            #expect(model.weights.tokenEmbedding[0, 0] == Float(-0.04349598288536072))

            // A second run finds every blob in place and transfers no body.
            let before = await server.log.filter { $0.hasPrefix("GET /cdn") }.count
            _ = try await downloader.download(repo: HubTestServer.repo)
            #expect(await server.log.filter { $0.hasPrefix("GET /cdn") }.count == before)
        }
    }

    @Test func interruptedDownloadResumesWithARangeRequest() async throws {
        try await withHub { server, downloader, cache in
            var downloader = downloader
            downloader.attempts = 1
            await server.set(cutNextBlobAfter: 300_000)
            let failure = await #expect(throws: TransformerError.self) {
                _ = try await downloader.download(repo: HubTestServer.repo)
            }
            #expect(failure?.description.contains("run again to resume") == true)
            let partial = cache.appendingPathComponent(repoFolder)
                .appendingPathComponent("blobs/\(HubTestServer.modelSHA256).incomplete")
            let kept = HubDownloader.fileSize(partial) ?? 0
            #expect(kept > 0)
            #expect(kept <= 300_000)

            let result = try await downloader.download(repo: HubTestServer.repo)
            #expect(await server.log.contains("GET /cdn/\(HubTestServer.modelSHA256) bytes=\(kept)-"))
            let data = try Data(contentsOf: result.snapshot.appendingPathComponent("model.safetensors"))
            #expect(data == server.files["model.safetensors"])
            #expect(!FileManager.default.fileExists(atPath: partial.path))
        }
    }

    @Test func aDroppedTransferIsTriedAgainFromWhereItStopped() async throws {
        try await withHub { server, downloader, _ in
            var downloader = downloader
            downloader.attempts = 2
            let notices = NoticeLog()
            downloader.notice = { notices.append($0) }
            await server.set(cutNextBlobAfter: 300_000)
            let result = try await downloader.download(repo: HubTestServer.repo)
            let data = try Data(contentsOf: result.snapshot.appendingPathComponent("model.safetensors"))
            #expect(data == server.files["model.safetensors"])
            #expect(await server.log.contains { $0.hasPrefix("GET /cdn/\(HubTestServer.modelSHA256) bytes=") })
            #expect(notices.lines.contains { $0.contains("(attempt 1 of 2); trying again in 1 s") }, "\(notices.lines)")
        }
    }

    @Test func offlineRefusesToBuildADownloader() {
        #expect(throws: TransformerError.offline(
            "HF_HUB_OFFLINE is set, so circuitry does not download; unset it to fetch models from the Hub")) {
            _ = try HubDownloader(environment: ["HF_HUB_OFFLINE": "TRUE"])
        }
        #expect(HubDownloader.isOffline(["HF_HUB_OFFLINE": "on"]))
        #expect(!HubDownloader.isOffline(["HF_HUB_OFFLINE": "0"]))
        #expect(!HubDownloader.isOffline([:]))
    }

    @Test func timeoutsComeFromTheEnvironment() throws {
        let d = try HubDownloader(environment: ["HF_HUB_DOWNLOAD_TIMEOUT": "7", "HF_HUB_ETAG_TIMEOUT": "1.5"])
        #expect(d.timeout == 7 && d.metadataTimeout == 1.5 && d.heartbeat == 0.75)
        #expect(throws: TransformerError.self) { _ = try HubDownloader(environment: ["HF_HUB_ETAG_TIMEOUT": "soon"]) }
    }

    @Test func checksumMismatchIsReportedAndThePartialFileRemoved() async throws {
        try await withHub { server, downloader, cache in
            await server.set(corruptBlob: true)
            let error = await #expect(throws: TransformerError.self) {
                _ = try await downloader.download(repo: HubTestServer.repo)
            }
            guard case let .checksumMismatch(file, expected, found) = error else {
                Issue.record("got \(String(describing: error))")
                return
            }
            #expect(file == "model.safetensors")
            #expect(expected == HubTestServer.modelSHA256)
            #expect(found != expected && found.count == 64)
            let blobs = cache.appendingPathComponent(repoFolder).appendingPathComponent("blobs")
            let left = try FileManager.default.contentsOfDirectory(atPath: blobs.path)
            #expect(!left.contains { $0.hasPrefix(HubTestServer.modelSHA256) })
        }
    }

    @Test func missingWeightsGiveAClearError() async throws {
        try await withHub { server, downloader, _ in
            await server.set(weightsMissing: true)
            let error = await #expect(throws: TransformerError.self) {
                _ = try await downloader.download(repo: HubTestServer.repo)
            }
            let message = error?.description ?? ""
            #expect(message.contains("/\(HubTestServer.repo)/resolve/main/model.safetensors"))
            #expect(message.contains("HTTP 404 EntryNotFound"))
            #expect(message.contains("model.safetensors is missing too, so the repository has no safetensors weights"))
        }
    }

    /// Large models are stored as `model.safetensors.index.json` plus shards: the downloader fetches the index and
    /// every shard it lists, and the snapshot loads as the single file does.
    @Test func shardedWeightsAreFetchedThroughTheirIndex() async throws {
        try await withHub(sharded: true) { server, downloader, cache in
            let result = try await downloader.download(repo: HubTestServer.repo)
            #expect(result.files == ["config.json", "model.safetensors.index.json"] + HubTestServer.shards + ["merges.txt"])
            #expect(result.missingOptionalFiles == ["vocab.json"])
            for shard in HubTestServer.shards {
                let link = result.snapshot.appendingPathComponent(shard).path
                let sha = try #require(server.lfs[shard])
                #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link) == "../../blobs/\(sha)")
            }
            let log = await server.log
            #expect(log.filter { $0.hasPrefix("GET /cdn") }.count == 2)
            let resolver = ModelResolver(environment: ["HF_HUB_CACHE": cache.path, "CIRCUITRY_DATA": cache.path])
            let model = try resolver.load(HubTestServer.repo)
            let reference = try TransformerModel.load(directory: LoadingFixtures.directory("tiny-gpt2"))
            #expect(model.weights == reference.weights)
        }
    }

    @Test func unknownRepositoryGivesAClearError() async throws {
        try await withHub { _, downloader, _ in
            let error = await #expect(throws: TransformerError.self) {
                _ = try await downloader.download(repo: "nobody/nothing")
            }
            let message = error?.description ?? ""
            #expect(message.contains("/nobody/nothing/resolve/main/config.json"))
            #expect(message.contains("HTTP 404 RepoNotFound"))
        }
    }
}

/// Notices collected from the downloader's callback (which may run on any thread).
final class NoticeLog: Sendable {
    private let storage = Mutex<[String]>([])
    func append(_ line: String) { storage.withLock { $0.append(line) } }
    var lines: [String] { storage.withLock { $0 } }
}

/// One progress callback, collected through an `AsyncStream` (whose continuation is `Sendable`).
struct ProgressEntry: Sendable {
    let file: String
    let done: Int64
    let total: Int64
}
