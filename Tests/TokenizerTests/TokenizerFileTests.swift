import Foundation
import Testing
@testable import Tokenizer

/// Tokenizer files as editors and tools leave them: empty, with a byte-order mark, CRLF, bytes that are not UTF-8.
@Suite struct TokenizerFileTests {
    /// The 256 byte tokens and `<|endoftext|>`, plus `extra`.
    static func vocabulary(_ extra: [String] = []) -> [String: Int] {
        var vocabulary: [String: Int] = [:]
        for byte in 0..<256 { vocabulary[String(ByteLevelAlphabet.scalars[byte])] = byte }
        for token in extra { vocabulary[token] = vocabulary.count }
        vocabulary["<|endoftext|>"] = vocabulary.count
        return vocabulary
    }

    static func folder(vocabulary: Data, merges: Data) throws -> URL {
        let folder = try GPT2Fixtures.temporaryFolder()
        try vocabulary.write(to: folder.appendingPathComponent("vocab.json"))
        try merges.write(to: folder.appendingPathComponent("merges.txt"))
        return folder
    }

    static func message(_ body: () throws -> Any) -> String? {
        do {
            _ = try body()
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test(arguments: ["", "#version: 0.2\n", "\u{FEFF}#version: 0.2\r\n\r\n"])
    func aMergesFileWithoutRulesIsRefused(merges: String) throws {
        // An empty merges.txt used to load: every word then became single bytes (58 tokens instead of 14).
        let folder = try Self.folder(vocabulary: try JSONEncoder().encode(Self.vocabulary()), merges: Data(merges.utf8))
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("merges.txt").path
        #expect(Self.message { try GPT2Tokenizer(directory: folder) }
            == "\(path) holds no merge rules; a merges file is a '#version' line and then one 'left right' rule per "
                + "line (GPT-2 has 50000)")
    }

    @Test func byteOrderMarksAndCRLFAreAccepted() throws {
        let vocabulary = try JSONEncoder().encode(Self.vocabulary(["he"]))
        let folder = try Self.folder(
            vocabulary: Data([0xEF, 0xBB, 0xBF]) + vocabulary, merges: Data("\u{FEFF}#version: 0.2\r\nh e\r\n".utf8))
        defer { try? FileManager.default.removeItem(at: folder) }
        let tokenizer = try GPT2Tokenizer(directory: folder)
        #expect(tokenizer.mergeCount == 1)
        #expect(tokenizer.encode("he") == [256])
    }

    @Test func bytesThatAreNotUTF8AreNamedWithTheirLine() throws {
        let folder = try Self.folder(
            vocabulary: try JSONEncoder().encode(Self.vocabulary(["he"])),
            merges: Data("#version: 0.2\nh e\n".utf8) + Data([0x61, 0x20, 0xFF, 0x0A]))
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("merges.txt").path
        #expect(Self.message { try GPT2Tokenizer(directory: folder) }
            == "cannot read tokenizer file \(path): not UTF-8 text (first bad byte on line 3); save it as UTF-8")
    }

    @Test func anEmptyWordVocabularyIsRefused() throws {
        let folder = try GPT2Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("vocabulary.json")
        try Data("[]".utf8).write(to: file)
        #expect(Self.message { try WordTokenizer(vocabularyFile: file) } == "\(file.path) holds no tokens")
        try Data("\u{FEFF}[\"a\", \"b\"]\r\n".utf8).write(to: file)
        #expect(try WordTokenizer(vocabularyFile: file).vocabularySize == 2)
    }
}
