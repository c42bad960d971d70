import Foundation
import Testing

/// One hostile or careless use of the CLI: what the user runs (in a fresh folder), and what must come back — a
/// non-zero exit status and a message naming the problem — never a crash, a hang or a plausible wrong result.
struct BadInput: Sendable, CustomTestStringConvertible {
    let name: String
    /// The arguments, given the case's scratch folder (after `prepare` ran in it).
    let arguments: @Sendable (URL) throws -> [String]
    var environment: @Sendable (URL) throws -> [String: String] = { _ in [:] }
    var input: Data?
    var prepare: @Sendable (URL) throws -> Void = { _ in }
    /// 64: ArgumentParser's usage error (a bad option value); 1: every other refusal.
    let status: Int32
    /// Text stderr must contain.
    let message: String
    /// Files in the folder that must not have been written (they keep what `prepare` left, or stay absent).
    var notWritten: [String] = ["circuit.json", "circuit.dot"]

    var testDescription: String { name }
}

private typealias F = ReliabilityFixtures

/// Shortcuts for the cases below.
private func discover(_ folder: URL, _ extra: [String] = [], model: URL = CLIFixtures.tinyGPT2) throws -> [String] {
    try F.discover(folder, extra, model: model)
}

private func file(_ folder: URL, _ name: String) -> String { folder.appendingPathComponent(name).path }

private func write(_ data: Data, _ folder: URL, _ name: String) throws {
    try data.write(to: folder.appendingPathComponent(name))
}

/// A prompts file of one line: `clean` and `corrupted` ids, `correct` and `incorrect` answers.
private func promptLine(_ clean: [Int], _ corrupted: [Int], _ correct: Int, _ incorrect: Int) -> String {
    #"{"clean": \#(clean), "corrupted": \#(corrupted), "correct": \#(correct), "incorrect": \#(incorrect)}"#
}

/// `discover` over a prompt file written into the folder as `p.jsonl`.
private func discoverPrompts(_ folder: URL, _ extra: [String] = []) -> [String] {
    ["discover", "--model", CLIFixtures.tinyGPT2.path, "--prompts", file(folder, "p.jsonl"), "--threshold", "0.01",
     "--json", file(folder, "circuit.json"), "--out", file(folder, "circuit.dot")] + extra
}

/// Resuming the stopped tiny-GPT-2 run (its state in the folder) with `extra` changed.
private func resume(_ folder: URL, _ extra: [String]) throws -> [String] {
    try discover(folder, ["--resume", file(folder, "circuit.json.state")] + extra)
}

private func stop(_ folder: URL) throws { _ = try F.stoppedState(in: folder) }

private func editState(_ edit: @escaping @Sendable (inout [String: Any]) -> Void) -> @Sendable (URL) throws -> Void {
    { folder in _ = try F.editedState(in: folder, edit) }
}

enum BadInputs {
    static let all: [BadInput] = outputs + states + nonFinite + degenerate + bounds + parsing

    // MARK: Output writing

    static let outputs: [BadInput] = [
        BadInput(name: "--state equal to --json", arguments: { try discover($0, ["--state", file($0, "circuit.json")]) },
                 status: 1, message: "--json and --state both name"),
        BadInput(name: "--out equal to --json", arguments: { try discover($0, ["--out", file($0, "circuit.json")]) },
                 status: 1, message: "--json and --out both name"),
        BadInput(name: "--out equal to --json through another spelling", arguments: {
            try discover($0, ["--out", $0.path + "/./circuit.json"]) }, status: 1, message: "both name"),
        BadInput(name: "--json in a missing folder", arguments: { try discover($0, ["--json", file($0, "no/such/c.json")]) },
                 status: 1, message: "does not exist"),
        BadInput(name: "--json is a folder", arguments: { try discover($0, ["--json", $0.path]) },
                 status: 1, message: "it is a folder"),
        BadInput(name: "--state on standard output", arguments: { try discover($0, ["--state", "-"]) },
                 status: 64, message: "--state cannot be standard output"),
        BadInput(name: "two outputs on standard output", arguments: { try discover($0, ["--json", "-", "--out", "-", "--state", file($0, "s")]) },
                 status: 1, message: "both write to standard output"),
        BadInput(name: "--out overwrites the --prompts file", arguments: { folder in
            discoverPrompts(folder, ["--out", file(folder, "p.jsonl")]) },
                 prepare: { try write(Data(try F.promptText.utf8), $0, "p.jsonl") },
                 status: 1, message: "is also the --prompts file", notWritten: ["circuit.json", "p.jsonl"]),
        BadInput(name: "--json overwrites the --resume file", arguments: { folder in
            try discover(folder, ["--resume", file(folder, "r.state"), "--json", file(folder, "r.state")]) },
                 prepare: { try write(Data("{}".utf8), $0, "r.state") }, status: 1, message: "is also the --resume file"),
        BadInput(name: "a state that cannot be saved at the test budget", arguments: {
            try discover($0, ["--max-tests", "3", "--state", "/dev/full"]) },
                 status: 1, message: "cannot write --state /dev/full", notWritten: []),
    ]

    // MARK: Saved states

    static let states: [BadInput] = [
        BadInput(name: "--resume of a missing file", arguments: { try discover($0, ["--resume", file($0, "none.state")]) },
                 status: 1, message: "no such file"),
        BadInput(name: "--resume of a folder", arguments: { try discover($0, ["--resume", $0.path]) },
                 status: 1, message: "it is a folder"),
        BadInput(name: "--resume of a file that is not JSON", arguments: { try discover($0, ["--resume", file($0, "x.state")]) },
                 prepare: { try write(Data("not json".utf8), $0, "x.state") }, status: 1, message: "not valid JSON"),
        BadInput(name: "--resume of a JSON list", arguments: { try discover($0, ["--resume", file($0, "x.state")]) },
                 prepare: { try write(Data("[1, 2]".utf8), $0, "x.state") }, status: 1, message: "expected a JSON object"),
        BadInput(name: "--resume of a state of format 1", arguments: { try discover($0, ["--resume", file($0, "x.state")]) },
                 prepare: { try write(Data(#"{"formatVersion": 1, "step": 0}"#.utf8), $0, "x.state") },
                 status: 1, message: "saved in state format 1"),
        BadInput(name: "a state with \"step\": -5", arguments: { try discover($0, ["--resume", file($0, "edited.state")]) },
                 prepare: editState { $0["step"] = -5 }, status: 1, message: "'step' is -5"),
        BadInput(name: "a state with a step past the end", arguments: { try discover($0, ["--resume", file($0, "edited.state")]) },
                 prepare: editState { $0["step"] = 99_999_999 }, status: 1, message: "'step' is 99999999"),
        BadInput(name: "a state with NaN loss bits", arguments: { try discover($0, ["--resume", file($0, "edited.state")]) },
                 prepare: editState { $0["currentLossBits"] = Double.nan.bitPattern }, status: 1,
                 message: "'currentLossBits' holds nan, not a finite number"),
        BadInput(name: "a state with a string where a number belongs",
                 arguments: { try discover($0, ["--resume", file($0, "edited.state")]) },
                 prepare: editState { $0["edgeCursor"] = "three" }, status: 1, message: "'edgeCursor' must be an integer"),
        BadInput(name: "a state with an edge id outside the graph",
                 arguments: { try discover($0, ["--resume", file($0, "edited.state")]) },
                 prepare: editState { $0["removedEdges"] = [1_000_000] }, status: 1, message: "outside 0..<262"),
        BadInput(name: "resuming with another --metric", arguments: { try resume($0, ["--metric", "logit-diff"]) },
                 prepare: stop, status: 1, message: "saved with --metric kl, this run has --metric logit-diff",
                 notWritten: ["circuit.json"]),
        BadInput(name: "resuming with another --ablation", arguments: { try resume($0, ["--ablation", "zero"]) },
                 prepare: stop, status: 1, message: "--ablation resample, this run has --ablation zero",
                 notWritten: ["circuit.json"]),
        BadInput(name: "resuming with another --threshold", arguments: { try resume($0, ["--threshold", "0.02"]) },
                 prepare: stop, status: 1, message: "--threshold 0.01, this run has --threshold 0.02",
                 notWritten: ["circuit.json"]),
        BadInput(name: "resuming with another --count", arguments: { try resume($0, ["--count", "4"]) },
                 prepare: stop, status: 1, message: "--count (task default), this run has --count 4",
                 notWritten: ["circuit.json"]),
        BadInput(name: "resuming with another --seed", arguments: { try resume($0, ["--seed", "7"]) },
                 prepare: stop, status: 1, message: "--seed 0, this run has --seed 7", notWritten: ["circuit.json"]),
        BadInput(name: "resuming with --absolute", arguments: { try resume($0, ["--absolute"]) },
                 prepare: stop, status: 1, message: "--absolute false, this run has --absolute true",
                 notWritten: ["circuit.json"]),
        BadInput(name: "resuming with other prompts", arguments: { folder in
            ["discover", "--model", CLIFixtures.tinyGPT2.path, "--prompts", file(folder, "p.jsonl"), "--threshold", "0.01",
             "--json", file(folder, "circuit.json"), "--out", file(folder, "circuit.dot"),
             "--resume", file(folder, "circuit.json.state")] },
                 prepare: { folder in
                     try stop(folder)
                     try write(Data(try F.promptText.utf8), folder, "p.jsonl")
                 }, status: 1, message: "--prompts", notWritten: ["circuit.json"]),
        BadInput(name: "resuming with a changed model file", arguments: { folder in
            try discover(folder, ["--resume", file(folder, "circuit.json.state")],
                         model: folder.appendingPathComponent("model")) },
                 prepare: { folder in
                     try FileManager.default.copyItem(at: CLIFixtures.tinyGPT2, to: folder.appendingPathComponent("model"))
                     _ = try CLI.run(discover(folder, ["--max-tests", "5"], model: folder.appendingPathComponent("model")))
                     let config = folder.appendingPathComponent("model/config.json")
                     try (try String(contentsOf: config, encoding: .utf8) + "\n").write(to: config, atomically: true, encoding: .utf8)
                 }, status: 1, message: "model file config.json", notWritten: ["circuit.json"]),
    ]

    // MARK: Non-finite values

    static let nonFinite: [BadInput] = [
        BadInput(name: "forward --json on a model with a NaN weight", arguments: { folder in
            ["forward", "--model", file(folder, "broken"), "--tokens", "1,2,3", "--json"] },
                 prepare: { _ = try F.brokenModel(in: $0, value: .nan) }, status: 1, message: "NaN"),
        BadInput(name: "discover on a model with a NaN weight", arguments: {
            try discover($0, [], model: $0.appendingPathComponent("broken")) },
                 prepare: { _ = try F.brokenModel(in: $0, value: .nan) }, status: 1, message: "NaN"),
        BadInput(name: "discover on a model with an infinite weight", arguments: {
            try discover($0, [], model: $0.appendingPathComponent("broken")) },
                 prepare: { _ = try F.brokenModel(in: $0, value: .infinity) }, status: 1, message: "holds 1 NaN or infinite value"),
        BadInput(name: "verify on a model with a NaN weight", arguments: { folder in
            ["verify", "--model", file(folder, "broken"), "--prompts", try F.prompts.path, "--circuit", file(folder, "h.txt")] },
                 prepare: { folder in
                     _ = try F.brokenModel(in: folder, value: .nan)
                     try write(Data("a0.1 -> a2.3.k\n".utf8), folder, "h.txt")
                 }, status: 1, message: "NaN"),
        BadInput(name: "patch on a model with a NaN weight", arguments: { folder in
            ["patch", "--model", file(folder, "broken"), "--prompts", try F.prompts.path, "--json"] },
                 prepare: { _ = try F.brokenModel(in: $0, value: .nan) }, status: 1, message: "NaN"),
        BadInput(name: "patch --activation on a model with a NaN weight", arguments: { folder in
            ["patch", "--model", file(folder, "broken"), "--prompts", try F.prompts.path, "--activation", "heads", "--json"] },
                 prepare: { _ = try F.brokenModel(in: $0, value: .nan) }, status: 1, message: "NaN"),
        BadInput(name: "compose --json on a model with a NaN weight", arguments: { folder in
            ["compose", "--model", file(folder, "broken"), "--json"] },
                 prepare: { _ = try F.brokenModel(in: $0, value: .nan, tensor: "transformer.h.1.attn.c_attn.weight") },
                 status: 1, message: "NaN"),
    ]

    // MARK: Degenerate experiments

    static let degenerate: [BadInput] = [
        BadInput(name: "clean prompts equal to the corrupted ones", arguments: { discoverPrompts($0) },
                 prepare: { folder in
                     let lines = (0..<3).map { i in promptLine([1, 2, 3 + i], [1, 2, 3 + i], 4, 5) }
                     try write(Data(lines.joined(separator: "\n").utf8), folder, "p.jsonl")
                 }, status: 1, message: "every corrupted prompt equals its clean prompt"),
        BadInput(name: "patch with clean prompts equal to the corrupted ones", arguments: { folder in
            ["patch", "--model", CLIFixtures.tinyGPT2.path, "--prompts", file(folder, "p.jsonl")] },
                 prepare: { try write(Data(promptLine([1, 2, 3], [1, 2, 3], 4, 5).utf8), $0, "p.jsonl") },
                 status: 1, message: "every corrupted prompt equals its clean prompt"),
        BadInput(name: "correct answer equal to the incorrect one (logit-diff)", arguments: {
            discoverPrompts($0, ["--metric", "logit-diff"]) },
                 prepare: { try write(Data(promptLine([1, 2, 3], [1, 7, 3], 4, 4).utf8), $0, "p.jsonl") },
                 status: 1, message: "prompt 0: the correct and incorrect answers are the same token (4)"),
        BadInput(name: "correct answer equal to the incorrect one (prob-diff)", arguments: {
            discoverPrompts($0, ["--metric", "prob-diff"]) },
                 prepare: { try write(Data(promptLine([1, 2, 3], [1, 7, 3], 9, 9).utf8), $0, "p.jsonl") },
                 status: 1, message: "the correct and incorrect answers are the same token"),
        BadInput(name: "full and empty circuits score the same", arguments: {
            discoverPrompts($0, ["--ablation", "mean"]) },
                 prepare: { try write(Data(promptLine([1, 2, 3], [1, 2, 3], 4, 5).utf8), $0, "p.jsonl") },
                 status: 1, message: "the full model and the empty circuit score the same"),
        BadInput(name: "a tracr task on a word-level model", arguments: { folder in
            ["discover", "--task", "tracr-reverse", "--model", "toy-ioi", "--threshold", "0.01",
             "--json", file(folder, "circuit.json"), "--out", file(folder, "circuit.dot")] },
                 environment: { _ in ["CIRCUITRY_DATA": CLIFixtures.packageRoot.appendingPathComponent("data").path] },
                 status: 1, message: "task tracr-reverse does not fit this model"),
        BadInput(name: "--prompts ids beyond the model's vocabulary", arguments: { discoverPrompts($0) },
                 prepare: { try write(Data((promptLine([1, 2, 3], [1, 7, 3], 4, 5) + "\n" + promptLine([1, 600, 3], [1, 7, 3], 4, 5)).utf8), $0, "p.jsonl") },
                 status: 1, message: "p.jsonl:2: field 'clean' has token id 600, but the model has only 512 input tokens"),
        BadInput(name: "--prompts answer beyond the model's logits", arguments: { discoverPrompts($0) },
                 prepare: { try write(Data(promptLine([1, 2, 3], [1, 7, 3], 4, 9000).utf8), $0, "p.jsonl") },
                 status: 1, message: "p.jsonl:1: field 'incorrect' has token id 9000"),
        BadInput(name: "--prompts longer than the model's context", arguments: { discoverPrompts($0) },
                 prepare: { try write(Data(promptLine(Array(repeating: 1, count: 40), Array(repeating: 2, count: 40), 4, 5).utf8), $0, "p.jsonl") },
                 status: 1, message: "more than the model's context of 32"),
        BadInput(name: "forward --tokens beyond the vocabulary", arguments: { _ in
            ["forward", "--model", CLIFixtures.tinyGPT2.path, "--tokens", "1,512"] },
                 status: 64, message: "entry 2, token id 512, is outside the model's vocabulary of 512"),
    ]

    // MARK: Bounded waits and sizes

    static let bounds: [BadInput] = [
        BadInput(name: "--count 99999999999", arguments: { try discover($0, ["--count", "99999999999"]) },
                 status: 1, message: "--count 99999999999: even one-token prompts would need"),
        BadInput(name: "prompts -n 99999999999", arguments: { _ in
            ["prompts", "--task", "induction", "--model", CLIFixtures.tinyGPT2.path, "-n", "99999999999"] },
                 status: 1, message: "-n 99999999999"),
        BadInput(name: "a prompt file larger than memory", arguments: { discoverPrompts($0) },
                 prepare: { folder in
                     let url = folder.appendingPathComponent("p.jsonl")
                     _ = FileManager.default.createFile(atPath: url.path, contents: nil)
                     let handle = try FileHandle(forWritingTo: url)
                     try handle.truncate(atOffset: 1 << 42)  // sparse: 4 TB that take no disk
                     try handle.close()
                 }, status: 1, message: "more than the"),
        BadInput(name: "a dot that never returns", arguments: { try discover($0, ["--svg", file($0, "c.svg")]) },
                 environment: { ["PATH": F.path(with: $0.appendingPathComponent("bin")), "CIRCUITRY_DOT_TIMEOUT": "1"] },
                 prepare: { _ = try F.hangingDot(in: $0) }, status: 1, message: "did not finish within 1 s",
                 notWritten: ["c.svg"]),
        BadInput(name: "HF_HUB_OFFLINE with a model missing from the cache", arguments: { _ in ["info", "--model", "gpt2"] },
                 environment: { _ in ["HF_HUB_OFFLINE": "1", "HF_ENDPOINT": "http://127.0.0.1:9"] },
                 status: 1, message: "HF_HUB_OFFLINE is set, so it is not downloaded"),
        BadInput(name: "download with HF_HUB_OFFLINE", arguments: { _ in ["download", "gpt2"] },
                 environment: { _ in ["HF_HUB_OFFLINE": "yes"] }, status: 1, message: "HF_HUB_OFFLINE is set"),
    ]

    // MARK: Inputs misread

    static let parsing: [BadInput] = [
        BadInput(name: "--tokens 1,,3", arguments: { _ in ["forward", "--model", CLIFixtures.tinyGPT2.path, "--tokens", "1,,3"] },
                 status: 64, message: "entry 2 of 3 is empty"),
        BadInput(name: "--tokens with a trailing comma", arguments: { _ in
            ["forward", "--model", CLIFixtures.tinyGPT2.path, "--tokens", "1,2,"] }, status: 64, message: "entry 3 of 3 is empty"),
        BadInput(name: "--thresholds with an empty entry", arguments: { _ in
            ["compare", "--sweep", "--task", "tracr-reverse", "--reference", "ground-truth", "--thresholds", "0.1,,0.2"] },
                 status: 64, message: "entry 2 of 3 is empty"),
        BadInput(name: "--receivers with an empty entry", arguments: { folder in
            ["patch", "--model", CLIFixtures.tinyGPT2.path, "--prompts", try F.prompts.path, "--receivers", "1.0,,1.1", "--input", "q"] },
                 status: 64, message: "entry 2 of 3 is empty"),
        BadInput(name: "an empty merges.txt", arguments: { folder in
            ["forward", "--model", CLIFixtures.tinyGPT2.path, "--tokenizer", file(folder, "tok"), "--text", "hello"] },
                 prepare: { folder in
                     let tok = folder.appendingPathComponent("tok", isDirectory: true)
                     try FileManager.default.createDirectory(at: tok, withIntermediateDirectories: true)
                     var vocabulary: [String: Int] = [:]
                     for (i, scalar) in ByteAlphabet.scalars.enumerated() { vocabulary[String(scalar)] = i }
                     vocabulary["<|endoftext|>"] = 256
                     try JSONSerialization.data(withJSONObject: vocabulary).write(to: tok.appendingPathComponent("vocab.json"))
                     try Data().write(to: tok.appendingPathComponent("merges.txt"))
                 }, status: 1, message: "holds no merge rules"),
        BadInput(name: "a prompts file that is not UTF-8", arguments: { discoverPrompts($0) },
                 prepare: { folder in
                     var bytes = Data(try F.promptText.utf8)
                     let lines = bytes.indices.filter { bytes[$0] == 0x0A }
                     bytes.insert(0xFF, at: lines[1] + 5)
                     try write(bytes, folder, "p.jsonl")
                 }, status: 1, message: "p.jsonl:3: byte 5 (0xFF) is not UTF-8"),
        BadInput(name: "a prompts line that is a list", arguments: { discoverPrompts($0) },
                 prepare: { try write(Data("[1, 2, 3]\n".utf8), $0, "p.jsonl") },
                 status: 1, message: "p.jsonl:1: expected one JSON object per line"),
        BadInput(name: "a prompts line with \"correct\": []", arguments: { discoverPrompts($0) },
                 prepare: { try write(Data(#"{"clean": [1, 2], "corrupted": [1, 3], "correct": []}"#.utf8), $0, "p.jsonl") },
                 status: 1, message: "p.jsonl:1: field 'correct' is an empty list"),
        BadInput(name: "a prompts line with a number for the prompt", arguments: { discoverPrompts($0) },
                 prepare: { try write(Data(#"{"clean": 7, "corrupted": [1, 3], "correct": 1}"#.utf8), $0, "p.jsonl") },
                 status: 1, message: "field 'clean' must be text or a list of integer token ids"),
        BadInput(name: "a prompts line that is broken JSON", arguments: { discoverPrompts($0) },
                 prepare: { try write(Data(#"{"clean": [1, 2], "corrupted": [1, 3], "correct": }"#.utf8), $0, "p.jsonl") },
                 status: 1, message: "p.jsonl:1: not valid JSON ("),
        BadInput(name: "a prompts file that is a folder", arguments: { discoverPrompts($0) },
                 prepare: { try FileManager.default.createDirectory(at: $0.appendingPathComponent("p.jsonl"), withIntermediateDirectories: true) },
                 status: 1, message: "it is a folder"),
        BadInput(name: "a missing prompts file", arguments: { discoverPrompts($0) },
                 status: 1, message: "cannot read --prompts"),
        BadInput(name: "an empty prompts file", arguments: { discoverPrompts($0) },
                 prepare: { try write(Data("\r\n\r\n".utf8), $0, "p.jsonl") }, status: 1, message: "the file holds no prompts"),
        BadInput(name: "a hypothesis that names nothing", arguments: { folder in
            ["verify", "--model", CLIFixtures.tinyGPT2.path, "--prompts", try F.prompts.path, "--circuit", file(folder, "h.txt")] },
                 prepare: { try write(Data("# nothing here\n\n".utf8), $0, "h.txt") }, status: 1, message: "names no edges"),
        BadInput(name: "a hypothesis that is not UTF-8", arguments: { folder in
            ["verify", "--model", CLIFixtures.tinyGPT2.path, "--prompts", try F.prompts.path, "--circuit", file(folder, "h.txt")] },
                 prepare: { try write(Data("a0.1 -> a2.3.k\n".utf8) + Data([0xC3, 0x28]), $0, "h.txt") },
                 status: 1, message: "line 2, byte 1: not UTF-8"),
        BadInput(name: "a hypothesis JSON nested 100,000 deep", arguments: { folder in
            ["verify", "--model", CLIFixtures.tinyGPT2.path, "--prompts", try F.prompts.path, "--circuit", file(folder, "h.json")] },
                 prepare: { try write(Data(("{\"edges\": " + String(repeating: "[", count: 100_000)).utf8), $0, "h.json") },
                 status: 1, message: "nested more than 200 levels deep"),
        BadInput(name: "a circuit and prompts both from standard input", arguments: { _ in
            ["verify", "--model", CLIFixtures.tinyGPT2.path, "--prompts", "-", "--circuit", "-"] },
                 status: 64, message: "cannot both read standard input"),
    ]
}

/// Every bad input ends with a clear message and a non-zero status; nothing crashes, hangs or writes a result.
@Suite struct BadInputTests {
    @Test(arguments: BadInputs.all)
    func isRefusedWithAMessage(_ bad: BadInput) throws {
        let folder = try CLI.scratchFolder("bad-" + bad.name.filter { $0.isLetter || $0.isNumber })
        defer { try? FileManager.default.removeItem(at: folder) }
        try bad.prepare(folder)
        let before = bad.notWritten.map { try? Data(contentsOf: folder.appendingPathComponent($0)) }
        let out = try CLI.run(try bad.arguments(folder), environment: try bad.environment(folder), directory: folder,
                              input: bad.input)
        #expect(!out.crashed, "\(bad.name): crashed\n\(out.stderr)")
        #expect(out.status == bad.status, "\(bad.name): exit status \(out.status)\n\(out.stderr)")
        #expect(out.stderr.contains(bad.message), "\(bad.name): stderr lacks \"\(bad.message)\":\n\(out.stderr)")
        for (name, old) in zip(bad.notWritten, before) {
            #expect((try? Data(contentsOf: folder.appendingPathComponent(name))) == old, "\(bad.name): \(name) was written")
        }
        // Decoder internals never reach the user.
        for leaked in ["NSCocoaErrorDomain", "Expected to decode", "The data couldn’t be read", "couldn't be read",
                         "The operation could not be completed"] {
            #expect(!out.stderr.contains(leaked), "\(bad.name): \(leaked) in \(out.stderr)")
        }
    }

    @Test func theTableHasAtLeastFortyCases() {
        #expect(BadInputs.all.count >= 40)
        #expect(Set(BadInputs.all.map(\.name)).count == BadInputs.all.count, "case names must be unique")
        let folders = Set(BadInputs.all.map { $0.name.filter { $0.isLetter || $0.isNumber } })
        #expect(folders.count == BadInputs.all.count, "case folders must be unique")
    }
}

/// GPT-2's byte-level alphabet (`Tokenizer.ByteLevelAlphabet`), rebuilt here because the CLI tests see only the
/// executable: printable Latin-1 bytes stand for themselves, the rest map to U+0100 upwards.
enum ByteAlphabet {
    static let scalars: [Unicode.Scalar] = {
        var direct = Array(33...126) + Array(161...172) + Array(174...255)
        var result = [Unicode.Scalar](repeating: " ", count: 256)
        var next = 256
        for byte in 0..<256 {
            if direct.contains(byte) {
                result[byte] = Unicode.Scalar(UInt32(byte))!
            } else {
                result[byte] = Unicode.Scalar(UInt32(next))!
                next += 1
            }
        }
        direct.removeAll()
        return result
    }()
}
