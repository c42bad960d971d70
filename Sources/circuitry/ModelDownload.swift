import Dispatch
import Foundation
import Synchronization
import Transformer

/// Downloading a Hugging Face model from a synchronous command: `--model gpt2` fetches GPT-2 small into the
/// Hugging Face cache when it is not there yet (the task defaults never download; they fall back to bundled models).
enum ModelDownload {
    /// Holds the download's outcome across the task boundary.
    private final class Outcome: Sendable {
        let value = Mutex<Result<HubDownloader.Result, any Error>?>(nil)
    }

    /// Downloads `repo` at `revision` into the Hugging Face cache, drawing progress on stderr, and waits for it.
    static func fetch(_ repo: String, revision: String) throws -> HubDownloader.Result {
        var downloader = try HubDownloader()
        let bar = DownloadProgressBar(interactive: isatty(STDERR_FILENO) != 0)
        downloader.notice = { bar.note($0) }
        bar.note("\(repo) is not in the Hugging Face cache; downloading it into \(downloader.cacheDirectory.path)")
        let outcome = Outcome()
        let done = DispatchSemaphore(value: 0)
        Task.detached {
            let result: Result<HubDownloader.Result, any Error>
            do {
                result = .success(try await downloader.download(repo: repo, revision: revision) { file, bytes, total in
                    bar.draw(file: file, done: bytes, total: total)
                })
            } catch {
                result = .failure(error)
            }
            outcome.value.withLock { $0 = result }
            done.signal()
        }
        done.wait()
        guard let result = outcome.value.withLock({ $0 }) else { throw CLIError.output("the download of \(repo) did not finish") }
        return try result.get()
    }
}
