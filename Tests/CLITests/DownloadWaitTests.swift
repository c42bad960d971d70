import Foundation
import Testing

/// A Hub that accepts the connection and never answers: the download gives up after a bounded time, tried a fixed
/// number of times, telling the user what it is waiting for — instead of 60 silent seconds per request.
@Suite struct DownloadWaitTests {
    @Test func aSilentServerTimesOutWithRetriesAndNotices() throws {
        let server = try SilentServer()
        let started = Date()
        let out = try CLI.run(["download", "someone/some-model"],
                              environment: ["HF_ENDPOINT": server.endpoint, "HF_HUB_ETAG_TIMEOUT": "2"])
        let elapsed = Date().timeIntervalSince(started)
        #expect(out.status == 1)
        #expect(!out.crashed)
        #expect(out.stderr.contains("waiting for 127.0.0.1:\(server.port) to answer (config.json): 1 s"), "\(out.stderr)")
        #expect(out.stderr.contains("no answer from 127.0.0.1:\(server.port) within 2 s (attempt 1 of 3); trying again"))
        #expect(out.stderr.contains("(tried 3 times)"))
        // 3 attempts of 2 s and pauses of 1 and 2 s: about 9 s, never the old 3 × 60 s.
        #expect(elapsed < 30, "took \(elapsed) s")
    }

    @Test func offlineMeansNoConnectionAtAll() throws {
        let server = try SilentServer()
        let started = Date()
        let out = try CLI.run(["info", "--model", "someone/some-model"],
                              environment: ["HF_ENDPOINT": server.endpoint, "HF_HUB_OFFLINE": "1"])
        #expect(out.status == 1)
        #expect(out.stderr.contains("HF_HUB_OFFLINE is set, so it is not downloaded"), "\(out.stderr)")
        #expect(out.stderr.contains(CLI.emptyFolder.path), "the message names the cache")
        #expect(Date().timeIntervalSince(started) < 10, "nothing waited for the network")
    }
}
