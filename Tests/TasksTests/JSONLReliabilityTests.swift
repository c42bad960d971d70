import Circuits
import Foundation
import Testing
import Tokenizer
import Transformer
@testable import Tasks

/// Prompt files as users' tools write them, and prompts that do not fit the model: read in words, with the line.
@Suite struct JSONLReliabilityTests {
    static let lines = [
        #"{"clean": [1, 2, 3], "corrupted": [1, 4, 3], "correct": 5, "incorrect": 6}"#,
        #"{"clean": [7, 2], "corrupted": [8, 2], "correct": [5, 9]}"#,
    ]
    static let text = lines.joined(separator: "\n") + "\n"

    static func issue(_ body: () throws -> Any) -> (line: Int, issue: JSONLIssue)? {
        do {
            _ = try body()
        } catch let TaskError.jsonl(_, line, issue) {
            return (line, issue)
        } catch {
            Issue.record("unexpected error \(error)")
        }
        return nil
    }

    @Test func crlfAndAByteOrderMarkReadLikeLF() throws {
        let plain = try JSONLPrompts.parse(data: Data(Self.text.utf8), file: "p.jsonl", tokenizer: nil)
        let crlf = try JSONLPrompts.parse(
            data: Data(Self.text.replacingOccurrences(of: "\n", with: "\r\n").utf8), file: "p.jsonl", tokenizer: nil)
        let bom = try JSONLPrompts.parse(data: Data([0xEF, 0xBB, 0xBF]) + Data(Self.text.utf8), file: "p.jsonl", tokenizer: nil)
        #expect(plain == crlf && plain == bom)
        #expect(plain.count == 2 && plain.incorrect == [[6], []])
    }

    @Test func bytesThatAreNotUTF8AreNamedWithTheirLine() {
        let data = Data((Self.lines[0] + "\n").utf8) + Data([0x7B, 0xC0, 0x80, 0x7D])
        let found = Self.issue { try JSONLPrompts.parse(data: data, file: "p.jsonl", tokenizer: nil) }
        #expect(found?.line == 2)
        #expect(found?.issue == .notUTF8(column: 2, byte: 0xC0))
    }

    @Test(arguments: [
        (#"{"clean": [1], "corrupted": [2], "correct": []}"#, JSONLIssue.emptyList(field: "correct")),
        (#"{"clean": [1], "corrupted": [2], "correct": 1, "incorrect": []}"#, .emptyList(field: "incorrect")),
        (#"{"clean": [], "corrupted": [], "correct": 1}"#, .emptyPrompt(field: "clean")),
        (#"{"clean": [1, 99], "corrupted": [2, 3], "correct": 1}"#, .tokenOutsideModel(field: "clean", token: 99, vocabularySize: 50)),
        (#"{"clean": [1], "corrupted": [2], "correct": 40}"#, .tokenOutsideModel(field: "correct", token: 40, vocabularySize: 30)),
        (#"{"clean": [1, 1, 1, 1, 1], "corrupted": [2, 2, 2, 2, 2], "correct": 1}"#, .tooLong(field: "clean", length: 5, context: 4)),
    ])
    func entriesThatCannotWorkAreRefused(line: String, expected: JSONLIssue) {
        let limits = PromptLimits(vocabularySize: 50, outputSize: 30, context: 4)
        let found = Self.issue { try JSONLPrompts.parse(line, file: "p.jsonl", tokenizer: nil, limits: limits) }
        #expect(found?.line == 1)
        #expect(found?.issue == expected)
    }

    @Test func messagesSayWhatWasExpectedNotWhatTheDecoderThought() {
        let cases = [
            ("[1, 2]", "expected one JSON object per line"),
            (#"{"clean": 7, "corrupted": [1], "correct": 1}"#, "field 'clean' must be text or a list of integer token ids"),
            (#"{"clean": [1.5], "corrupted": [1], "correct": 1}"#, "field 'clean' must be text or a list of integer token ids"),
            (#"{"clean": [1], "corrupted": [1], "correct": {"a": 1}}"#, "field 'correct' must be a token"),
            (#"{"clean": [1], "corrupted": [1], "correct": 1"#, "not valid JSON ("),
        ]
        for (line, expected) in cases {
            do {
                _ = try JSONLPrompts.parse(line, file: "p.jsonl", tokenizer: nil)
                Issue.record("accepted \(line)")
            } catch {
                let message = "\(error)"
                #expect(message.hasPrefix("p.jsonl:1: ") && message.contains(expected), "\(message)")
                #expect(!message.contains("Expected to decode") && !message.contains("couldn’t be read")
                    && !message.contains("could not be completed"), "\(message)")
            }
        }
    }

    @Test func longFilesReportProgress() throws {
        let text = String(repeating: Self.lines[0] + "\n", count: 2500)
        var reports: [(Int, Int)] = []
        let set = try JSONLPrompts.parse(text, file: "p.jsonl", tokenizer: nil) { reports.append(($0, $1)) }
        #expect(set.count == 2500)
        #expect(reports.map(\.0) == [1000, 2000, 2500])
        #expect(reports.allSatisfy { $0.1 == 2500 })
    }

    @Test func aTracrTaskOnAnotherModelIsRefused() throws {
        let toy = try ModelConfig(contentsOf: DataDirectory.bundledModel("toy-ioi").appendingPathComponent("config.json"))
        #expect(throws: TaskError.self) { try CircuitTask.tracrReverse.checkFits(toy, tokenizerSize: 189) }
        let tracr = try ModelConfig(
            contentsOf: DataDirectory.bundledModel("tracr-reverse").appendingPathComponent("config.json"))
        try CircuitTask.tracrReverse.checkFits(tracr, tokenizerSize: nil)
        #expect(throws: TaskError.self) { try CircuitTask.tracrProportion.checkFits(tracr, tokenizerSize: nil) }
        // A tokenizer larger than the model's vocabulary belongs to another model.
        #expect(throws: TaskError.self) { try CircuitTask.ioi.checkFits(toy, tokenizerSize: 50257) }
        try CircuitTask.ioi.checkFits(toy, tokenizerSize: 189)
    }
}
