/// Every error the Tokenizer module reports. Each message names the file, line, token or id that was wrong, so a
/// user can fix their tokenizer files or input text without a debugger.
public enum TokenizerError: Error, Equatable, CustomStringConvertible {
    // Files
    /// A file or folder that should exist does not.
    case fileMissing(file: String)
    /// A file exists but could not be read (permissions, not UTF-8, I/O error).
    case fileUnreadable(file: String, reason: String)
    /// A folder holds neither the Hugging Face (`vocab.json` + `merges.txt`) nor the OpenAI (`encoder.json` +
    /// `vocab.bpe`) tokenizer files.
    case noTokenizerFiles(directory: String)
    /// A JSON file does not parse, or does not have the expected shape (object of token → id, or list of tokens).
    case malformedJSON(file: String, reason: String)
    /// The vocabulary parses but is unusable: ids not dense, a byte token missing, no `<|endoftext|>`.
    case malformedVocabulary(file: String, reason: String)
    /// A merges line is not two space-separated symbols. `line` is 1-based.
    case malformedMergesLine(file: String, line: Int, text: String)
    /// A merges line names a symbol (or produces a merged symbol) that the vocabulary lacks. `line` is 1-based.
    case mergeUnknownSymbol(file: String, line: Int, symbol: String)
    /// A vocabulary lists the same token twice (`first` and `second` are 0-based positions or ids).
    case duplicateToken(token: String, first: Int, second: Int)
    // Encoding and decoding
    /// A word of the input is not in a word-level vocabulary. `offset` counts characters (grapheme clusters) from
    /// the start of the text, 0-based.
    case unknownWord(word: String, offset: Int)
    /// A token id outside `0..<vocabularySize`.
    case idOutOfRange(id: Int, vocabularySize: Int)
    // issue 15
    /// A merges file with no rules (empty, or only the `#version` line): byte-level BPE would then split every word
    /// into single bytes, a plausible but wrong tokenization.
    case emptyMerges(file: String)
    /// A vocabulary with no tokens.
    case emptyVocabulary(file: String)

    public var description: String {
        switch self {
        case let .fileMissing(file): "tokenizer file \(file) does not exist"
        case let .fileUnreadable(file, reason): "cannot read tokenizer file \(file): \(reason)"
        case let .noTokenizerFiles(directory):
            "folder \(directory) holds neither vocab.json + merges.txt (Hugging Face) nor encoder.json + vocab.bpe (OpenAI)"
        case let .malformedJSON(file, reason): "malformed JSON in \(file): \(reason)"
        case let .malformedVocabulary(file, reason): "unusable vocabulary \(file): \(reason)"
        case let .malformedMergesLine(file, line, text):
            "\(file):\(line): a merges line must be two symbols separated by one space, found \"\(text)\""
        case let .mergeUnknownSymbol(file, line, symbol):
            "\(file):\(line): merge uses symbol \"\(symbol)\" that is not in the vocabulary"
        case let .duplicateToken(token, first, second):
            "token \"\(token)\" appears twice in the vocabulary (at \(first) and \(second))"
        case let .unknownWord(word, offset): "unknown word \"\(word)\" at character offset \(offset)"
        case let .idOutOfRange(id, vocabularySize): "token id \(id) is outside the vocabulary of \(vocabularySize) tokens"
        case let .emptyMerges(file):
            "\(file) holds no merge rules; a merges file is a '#version' line and then one 'left right' rule per line "
                + "(GPT-2 has 50000)"
        case let .emptyVocabulary(file): "\(file) holds no tokens"
        }
    }
}
