import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Files the reliability tests hand to the CLI: copies of the tiny GPT-2 with one weight broken, prompt files in
/// every encoding a user's editor may produce, saved states edited by hand, a `dot` that never returns and a
/// server that accepts connections and never answers.
enum ReliabilityFixtures {
    static var prompts: URL { get throws { try CLIFixtures.url("tiny-gpt2-prompts.jsonl") } }

    static var promptText: String { get throws { try CLIFixtures.text("tiny-gpt2-prompts.jsonl") } }

    /// `discover` on the tiny GPT-2 and its reference prompts, writing into `folder`.
    static func discover(_ folder: URL, _ extra: [String] = [], model: URL = CLIFixtures.tinyGPT2) throws -> [String] {
        ["discover", "--model", model.path, "--prompts", try prompts.path, "--threshold", "0.01",
         "--json", folder.appendingPathComponent("circuit.json").path,
         "--out", folder.appendingPathComponent("circuit.dot").path] + extra
    }

    /// A copy of the tiny GPT-2 in `folder/name` whose first element of `tensor` is `value` (NaN, ∞).
    static func brokenModel(in folder: URL, value: Float, tensor: String = "transformer.h.0.attn.c_attn.weight",
                            name: String = "broken") throws -> URL {
        let model = folder.appendingPathComponent(name, isDirectory: true)
        try? FileManager.default.removeItem(at: model)
        try FileManager.default.copyItem(at: CLIFixtures.tinyGPT2, to: model)
        let file = model.appendingPathComponent("model.safetensors")
        var bytes = try Data(contentsOf: file)
        let headerLength = bytes.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        let header = try JSONSerialization.jsonObject(with: bytes.subdata(in: 8..<(8 + headerLength))) as? [String: Any]
        guard let entry = header?[tensor] as? [String: Any], let offsets = entry["data_offsets"] as? [Int] else {
            throw CLITestFailure("no tensor \(tensor) in the tiny GPT-2")
        }
        let at = 8 + headerLength + offsets[0]
        let bits = value.bitPattern
        for k in 0..<4 { bytes[at + k] = UInt8(truncatingIfNeeded: bits >> (8 * UInt32(k))) }
        try bytes.write(to: file)
        return model
    }

    /// A saved state of a tiny-GPT-2 run stopped after 5 tests, as a JSON object, written by `circuitry` itself.
    static func stoppedState(in folder: URL) throws -> [String: Any] {
        let run = try CLI.run(discover(folder, ["--max-tests", "5"]))
        guard run.status == 0 else { throw CLITestFailure("the stopped run failed: \(run.stderr)") }
        let data = try Data(contentsOf: folder.appendingPathComponent("circuit.json.state"))
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw CLITestFailure("the state is not a JSON object")
        }
        return object
    }

    /// Writes `state` with `edit` applied to `folder/edited.state`.
    static func editedState(in folder: URL, _ edit: (inout [String: Any]) -> Void) throws -> URL {
        var state = try stoppedState(in: folder)
        edit(&state)
        let url = folder.appendingPathComponent("edited.state")
        try JSONSerialization.data(withJSONObject: state).write(to: url)
        return url
    }

    /// A folder holding an executable `dot` that never returns (for the renderer's time limit).
    static func hangingDot(in folder: URL) throws -> URL {
        let bin = folder.appendingPathComponent("bin", isDirectory: true)
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        let script = bin.appendingPathComponent("dot")
        try "#!/bin/sh\nexec sleep 1000\n".write(to: script, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script.path)
        return bin
    }

    /// `PATH` with `folder` first.
    static func path(with folder: URL) -> String {
        folder.path + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
    }
}

/// A TCP listener on 127.0.0.1 that accepts connections (the kernel completes the handshake) and never sends a
/// byte: a Hub that hangs.
final class SilentServer {
    let port: UInt16
    private let socket: Int32

    init() throws {
        let fd = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw CLITestFailure("socket() failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 16) == 0 else {
            close(fd)
            throw CLITestFailure("bind/listen failed")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        socket = fd
        port = UInt16(bigEndian: address.sin_port)
    }

    var endpoint: String { "http://127.0.0.1:\(port)" }

    deinit { close(socket) }
}

extension Data {
    /// The bytes of `text` with every `\n` turned into `\r\n`.
    static func crlf(_ text: String) -> Data {
        Data(text.replacingOccurrences(of: "\n", with: "\r\n").utf8)
    }

    /// UTF-8 with a byte-order mark.
    static func withBOM(_ text: String) -> Data {
        Data([0xEF, 0xBB, 0xBF]) + Data(text.utf8)
    }
}
