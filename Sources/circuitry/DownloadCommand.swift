import ArgumentParser
import Foundation
import Transformer

/// `circuitry download <repo>`: fetches a model's config, weights and tokenizer files from the Hugging Face Hub
/// into the shared Hugging Face cache, where `--model <repo>` (and Python's `transformers`) will find them.
struct DownloadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "download",
        abstract: "Download a model from the Hugging Face Hub into the local Hugging Face cache.",
        discussion: """
            Fetches config.json and model.safetensors (plus vocab.json and merges.txt when the repository has them) \
            into the cache layout huggingface_hub uses: $HF_HUB_CACHE, else $HF_HOME/hub, else \
            ~/.cache/huggingface/hub. An interrupted download resumes where it stopped when run again; LFS files are \
            checked against their SHA-256. HF_ENDPOINT selects another hub (a mirror), HF_TOKEN authorizes gated or \
            private repositories. A server that does not answer within HF_HUB_ETAG_TIMEOUT (metadata) or \
            HF_HUB_DOWNLOAD_TIMEOUT (data) seconds, default 10, is tried 3 times; HF_HUB_OFFLINE=1 forbids any \
            download.
            """
    )

    @Argument(help: "Repository id, e.g. openai-community/gpt2 (or gpt2).")
    var repo: String

    @Option(help: "Branch, tag or commit hash to download.")
    var revision: String = "main"

    @Option(name: .customLong("cache-dir"), help: "Hub cache directory to use instead of the Hugging Face default.")
    var cacheDir: String?

    func run() async throws {
        let cache = cacheDir.map { URL(fileURLWithPath: ($0 as NSString).expandingTildeInPath, isDirectory: true) }
        var downloader = try HubDownloader(cacheDirectory: cache)
        let bar = DownloadProgressBar(interactive: isatty(STDERR_FILENO) != 0)
        downloader.notice = { bar.note($0) }
        let result = try await downloader.download(repo: repo, revision: revision) { file, done, total in
            bar.draw(file: file, done: done, total: total)
        }
        for missing in result.missingOptionalFiles {
            bar.note("\(missing): not in the repository (optional, skipped)")
        }
        print("\(repo) (commit \(result.commit)) is in \(result.snapshot.path)")
        print("use it with --model \(repo)")
    }
}

/// Draws download progress on standard error: a bar redrawn in place on a terminal, otherwise one line per
/// finished file (logs and CI output stay readable). Stateless, so it can be called from the download task.
struct DownloadProgressBar: Sendable {
    let interactive: Bool
    static let width = 30

    func draw(file: String, done: Int64, total: Int64) {
        let finished = total > 0 && done == total
        if interactive {
            let fraction = total > 0 ? Double(done) / Double(total) : 0
            let filled = Int((fraction * Double(Self.width)).rounded(.down))
            let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: Self.width - filled)
            let percent = String(format: "%3d%%", Int((fraction * 100).rounded(.down)))
            let sizes = total > 0 ? "\(Self.megabytes(done))/\(Self.megabytes(total))" : Self.megabytes(done)
            write("\r\(Self.padded(file)) [\(bar)] \(percent) \(sizes)\u{1B}[K" + (finished ? "\n" : ""))
        } else if finished {
            write("\(file): \(Self.megabytes(total)) done\n")
        }
    }

    func note(_ text: String) {
        write((interactive ? "\r\u{1B}[K" : "") + text + "\n")
    }

    private func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }

    static func megabytes(_ bytes: Int64) -> String {
        bytes < 1_000_000 ? String(format: "%.1f kB", Double(bytes) / 1e3) : String(format: "%.1f MB", Double(bytes) / 1e6)
    }

    private static func padded(_ file: String) -> String {
        file.count >= 18 ? file : file + String(repeating: " ", count: 18 - file.count)
    }
}
