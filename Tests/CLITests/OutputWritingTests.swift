import Foundation
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Results are written atomically to regular files, in place to everything else, and `-` is standard output.
@Suite struct OutputWritingTests {
    typealias F = ReliabilityFixtures

    static func kind(_ path: String) -> FileAttributeType? {
        (try? FileManager.default.attributesOfItem(atPath: path))?[.type] as? FileAttributeType
    }

    @Test func outToDevNullLeavesTheDeviceAlone() throws {
        let folder = try CLI.scratchFolder("out-devnull")
        let out = try CLI.run(try F.discover(folder, ["--out", "/dev/null", "--json", "/dev/null"]))
        #expect(out.status == 0, "\(out.stderr)")
        #expect(Self.kind("/dev/null") == .typeCharacterSpecial, "/dev/null was replaced")
    }

    @Test func aFIFOIsWrittenInPlaceNotReplaced() throws {
        let folder = try CLI.scratchFolder("out-fifo")
        let fifo = folder.appendingPathComponent("results.fifo")
        #expect(mkfifo(fifo.path, 0o644) == 0)
        let received = Received()
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            // Blocks until circuitry opens the FIFO for writing, then reads what it writes.
            if let handle = FileHandle(forReadingAtPath: fifo.path) {
                received.data.withLock { $0 = handle.readDataToEndOfFile() }
            }
            done.signal()
        }
        let out = try CLI.run(try F.discover(folder, ["--json", fifo.path, "--state", folder.appendingPathComponent("s").path]))
        #expect(out.status == 0, "\(out.stderr)")
        #expect(Self.kind(fifo.path) != .typeRegular, "the FIFO was replaced by a regular file")
        #expect(done.wait(timeout: .now() + 10) == .success, "nothing was written into the FIFO")
        #expect(String(decoding: received.data.withLock { $0 }, as: UTF8.self).contains("\"format\": \"circuitry-circuit\""))
    }

    final class Received: Sendable {
        let data = Mutex(Data())
    }

    @Test func jsonThroughASymlinkKeepsTheLinkAndReplacesItsTarget() throws {
        let folder = try CLI.scratchFolder("out-symlink")
        let target = folder.appendingPathComponent("real.json")
        try Data("old".utf8).write(to: target)
        let link = folder.appendingPathComponent("link.json")
        try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: "real.json")
        let out = try CLI.run(try F.discover(folder, ["--json", link.path]))
        #expect(out.status == 0, "\(out.stderr)")
        #expect(Self.kind(link.path) == .typeSymbolicLink, "the symlink was replaced")
        let text = try String(contentsOf: target, encoding: .utf8)
        #expect(text.contains("\"format\": \"circuitry-circuit\""))
        // No temporary files are left behind.
        let left = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        #expect(!left.contains { $0.hasSuffix(".tmp") }, "\(left)")
    }

    @Test func jsonToDevStdoutPrintsIt() throws {
        let folder = try CLI.scratchFolder("out-devstdout")
        let out = try CLI.run(try F.discover(folder, ["--json", "/dev/stdout", "--state", folder.appendingPathComponent("s").path]))
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stdout.contains("\"format\": \"circuitry-circuit\""))
        #expect(Self.kind("/dev/stdout") == .typeSymbolicLink)
    }

    @Test func dashIsStandardOutputAndTheSummaryMovesToStderr() throws {
        let folder = try CLI.scratchFolder("out-dash")
        let out = try CLI.run(try F.discover(folder, ["--json", "-", "--state", folder.appendingPathComponent("s").path]))
        #expect(out.status == 0, "\(out.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any]
        #expect(object?["format"] as? String == "circuitry-circuit", "stdout is exactly the JSON document")
        #expect(out.stderr.contains("circuit: "))
        let dot = try CLI.run(try F.discover(folder, ["--out", "-"]))
        #expect(dot.stdout.hasPrefix("// circuitry"))
    }

    @Test func verifyWritesItsDOTToStandardOutput() throws {
        let folder = try CLI.scratchFolder("out-verify-dot")
        try Data("a0.1 -> a2.3.k\n".utf8).write(to: folder.appendingPathComponent("h.txt"))
        let out = try CLI.run(["verify", "--model", CLIFixtures.tinyGPT2.path, "--prompts", try F.prompts.path,
                               "--circuit", folder.appendingPathComponent("h.txt").path, "--dot", "-"])
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stdout.hasPrefix("// circuitry"), "stdout is the DOT alone")
        #expect(out.stderr.contains("faithfulness"), "the table moved to stderr")
    }

    @Test func anExistingFileKeepsItsPermissions() throws {
        let folder = try CLI.scratchFolder("out-mode")
        let json = folder.appendingPathComponent("circuit.json")
        try Data("{}".utf8).write(to: json)
        try FileManager.default.setAttributes([.posixPermissions: 0o640], ofItemAtPath: json.path)
        let out = try CLI.run(try F.discover(folder))
        #expect(out.status == 0, "\(out.stderr)")
        let mode = try FileManager.default.attributesOfItem(atPath: json.path)[.posixPermissions] as? Int
        #expect(mode == 0o640)
    }

    @Test func aFailedStateSaveIsNotAdvertised() throws {
        // --state /dev/full: every write fails with ENOSPC. The old code advertised `--resume /dev/full` and exited 0.
        let folder = try CLI.scratchFolder("out-devfull")
        let out = try CLI.run(try F.discover(folder, ["--max-tests", "3", "--state", "/dev/full", "--state-interval", "0"]))
        #expect(out.status != 0)
        #expect(out.stderr.contains("warning: cannot write --state /dev/full: No space left on device"))
        #expect(out.stderr.components(separatedBy: "warning:").count == 2, "the warning is printed once")
        #expect(!out.stdout.contains("--resume"))
    }
}

/// Inputs in every shape a user's tools produce: CRLF, a byte-order mark, a pipe, `-`.
@Suite struct InputReadingTests {
    typealias F = ReliabilityFixtures

    func run(prompts: Data, _ extra: [String] = [], name: String) throws -> (CLI.Output, Data?) {
        let folder = try CLI.scratchFolder("in-" + name)
        try prompts.write(to: folder.appendingPathComponent("p.jsonl"))
        let out = try CLI.run(
            ["discover", "--model", CLIFixtures.tinyGPT2.path, "--prompts", folder.appendingPathComponent("p.jsonl").path,
             "--threshold", "0.01"] + extra, directory: folder)
        return (out, try? Data(contentsOf: folder.appendingPathComponent("circuit.json")))
    }

    /// The JSON of the plain LF file, the reference for the other encodings.
    func reference(_ name: String) throws -> Data? {
        try run(prompts: Data(try F.promptText.utf8), name: "lf-" + name).1
    }

    @Test func crlfPromptsGiveTheSameCircuit() throws {
        let (out, json) = try run(prompts: .crlf(try F.promptText), name: "crlf")
        let expected = try reference(#function)
        #expect(out.status == 0, "\(out.stderr)")
        #expect(json != nil && json == expected)
    }

    @Test func aByteOrderMarkIsSkipped() throws {
        let (out, json) = try run(prompts: .withBOM(try F.promptText), name: "bom")
        let expected = try reference(#function)
        #expect(out.status == 0, "\(out.stderr)")
        #expect(json != nil && json == expected)
    }

    @Test func promptsFromAPipeAndFromDash() throws {
        let expected = try reference(#function)
        for path in ["-", "/dev/stdin"] {
            let folder = try CLI.scratchFolder("in-stdin-" + path.filter(\.isLetter))
            let out = try CLI.run(
                ["discover", "--model", CLIFixtures.tinyGPT2.path, "--prompts", path, "--threshold", "0.01"],
                directory: folder, input: Data(try F.promptText.utf8))
            #expect(out.status == 0, "\(path): \(out.stderr)")
            let got = try? Data(contentsOf: folder.appendingPathComponent("circuit.json"))
            #expect(got == expected, "\(path): \(String(decoding: got ?? Data(), as: UTF8.self).prefix(600)) vs \(String(decoding: expected ?? Data(), as: UTF8.self).prefix(600))")
        }
    }

    @Test func aHypothesisWithCRLFAndABOMReadsLikeThePlainOne() throws {
        let folder = try CLI.scratchFolder("in-hypothesis")
        let text = "# two edges\na0.1 -> a2.3.k\nm0 -> resid_post\n"
        try Data(text.utf8).write(to: folder.appendingPathComponent("plain.txt"))
        try (Data([0xEF, 0xBB, 0xBF]) + Data.crlf(text)).write(to: folder.appendingPathComponent("windows.txt"))
        var outputs: [String] = []
        for name in ["plain.txt", "windows.txt"] {
            let out = try CLI.run(["verify", "--model", CLIFixtures.tinyGPT2.path, "--prompts", try F.prompts.path,
                                   "--circuit", folder.appendingPathComponent(name).path, "--json"])
            #expect(out.status == 0, "\(name): \(out.stderr)")
            outputs.append(out.stdout)
        }
        #expect(outputs[0] == outputs[1])
    }

    @Test func forwardRejectsEmptyTokenEntriesThatOnceVanished() throws {
        // `--tokens 1,,3` was read as [1, 3].
        let out = try CLI.run(["forward", "--model", CLIFixtures.tinyGPT2.path, "--tokens", "1,,3"])
        #expect(out.status == 64)
        #expect(!out.stdout.contains("prompt: 2 tokens"))
    }
}
