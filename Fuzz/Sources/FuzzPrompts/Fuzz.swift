import Circuits
import Foundation
import Tasks
import Tokenizer

/// A word-level vocabulary, so that text prompts and text answers are exercised too.
let words = try! WordTokenizer(tokens: ["<bos>", "Mary", "John", "gave", "a", "ring", "to", "Anna", ".", ","])
let limits = PromptLimits(vocabularySize: 12, outputSize: 10, context: 16)

/// The JSONL prompt reader (`JSONLPrompts.parse(data:…)`) on arbitrary bytes, with and without a tokenizer and
/// model limits: a prompt set or a `TaskError`, never a trap.
func fuzz(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let data = start.map { Data(bytes: $0, count: count) } ?? Data()
    if let set = try? JSONLPrompts.parse(data: data, file: "fuzz.jsonl", tokenizer: words, limits: limits) {
        try? set.checkFits(limits)
        _ = set.unchangedPrompts
        _ = set.promptsWithIdenticalAnswers
    }
    _ = try? JSONLPrompts.parse(data: data, file: "fuzz.jsonl", tokenizer: nil)
    return 0
}
