import ArgumentParser
import Foundation
import Tensor
import Tokenizer
import Transformer

/// `circuitry forward`: one forward pass, printing the next-token distribution at the last position.
struct ForwardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forward",
        abstract: "Run the model on one prompt and print the next-token distribution.")

    @OptionGroup var modelOptions: ModelOptions

    @Option(name: .long, help: "The prompt as text (needs the model's tokenizer).")
    var text: String?

    @Option(name: .long, help: ArgumentHelp("The prompt as comma-separated token ids.", valueName: "ids"))
    var tokens: String?

    @Option(name: .long, help: "How many of the most likely next tokens to print.")
    var topK: Int = 10

    @Flag(name: .long, help: "Print {\"tokens\": [...], \"logits\": [...]} with every logit of the last position.")
    var json = false

    func validate() throws {
        if (text == nil) == (tokens == nil) { throw ValidationError("Give exactly one of --text and --tokens.") }
        if topK < 1 { throw ValidationError("--top-k must be at least 1.") }
    }

    func run() throws {
        let loaded = try modelOptions.load()
        let config = loaded.model.config
        var tokenizer: (any TextTokenizer)?
        let ids: [Int]
        if let text {
            let t = try modelOptions.loadTokenizer(for: loaded)
            tokenizer = t
            ids = try t.encode(text)
        } else {
            ids = try Self.parseTokenList(tokens ?? "")
            tokenizer = try? modelOptions.loadTokenizer(for: loaded)
        }
        try Self.checkFits(ids, config: config, option: text == nil ? "--tokens" : "--text")
        var runner = TransformerRunner(model: loaded.model)
        let result = try runner.run(TokenBatch([ids], config: config))
        let logits = (0..<config.dVocabOut).map { result.logits[0, 0, $0] }
        try Self.checkFinite(logits)
        if json {
            print(try JSONOutput.checked(ForwardOutput.json(tokens: ids, logits: logits), option: "--json"))
        } else {
            print(ForwardOutput.table(tokens: ids, logits: logits, topK: topK, tokenizer: tokenizer))
        }
    }

    /// Parses `1,2,3` (spaces allowed) into token ids, naming the offending entry on error (an empty one too).
    static func parseTokenList(_ s: String) throws -> [Int] {
        let parts = try CommaList.entries(s, option: "--tokens")
        return try parts.enumerated().map { i, part in
            guard let v = Int(part), v >= 0 else {
                throw ValidationError("--tokens: entry \(i + 1) '\(part)' is not an integer token id ≥ 0.")
            }
            return v
        }
    }

    /// The ids must fit the model: each below its vocabulary, no more than its context.
    static func checkFits(_ ids: [Int], config: ModelConfig, option: String) throws {
        if let i = ids.firstIndex(where: { $0 >= config.dVocab }) {
            throw ValidationError("\(option): entry \(i + 1), token id \(ids[i]), is outside the model's vocabulary of "
                + "\(config.dVocab) (ids 0–\(config.dVocab - 1)).")
        }
        if ids.count > config.nCtx {
            throw ValidationError("\(option): \(ids.count) tokens are more than the model's context of \(config.nCtx).")
        }
        if ids.isEmpty { throw ValidationError("\(option): the prompt has no tokens.") }
    }

    /// Refuses logits with NaN or infinities (a model with broken weights), saying how many and where.
    static func checkFinite(_ logits: [Float]) throws {
        guard logits.contains(where: { !$0.isFinite }) else { return }
        let nan = logits.filter(\.isNaN).count
        let infinite = logits.count - nan - logits.filter(\.isFinite).count
        let first = logits.firstIndex(where: { !$0.isFinite }) ?? 0
        throw CLIError.refused(
            "the model's logits at the last position are not finite (\(nan) NaN, \(infinite) infinite of "
                + "\(logits.count), first at token id \(first)): the model computes NaN or infinity; check its weights")
    }
}

/// Formatting of `forward`'s output; deterministic, fixed precision.
enum ForwardOutput {
    static func json(tokens: [Int], logits: [Float]) -> String {
        let t = tokens.map(String.init).joined(separator: ",")
        let l = logits.map { "\($0)" }.joined(separator: ",")
        return "{\"tokens\":[\(t)],\"logits\":[\(l)]}"
    }

    static func table(tokens: [Int], logits: [Float], topK: Int, tokenizer: (any TextTokenizer)?) -> String {
        // Softmax in Double for the probabilities.
        let m = Double(logits.max() ?? 0)
        let z = logits.reduce(0.0) { $0 + Foundation.exp(Double($1) - m) }
        let order = logits.indices.sorted { logits[$0] != logits[$1] ? logits[$0] > logits[$1] : $0 < $1 }
        var lines = ["prompt: \(tokens.count) tokens; top \(min(topK, logits.count)) next tokens"]
        lines.append(pad("rank", 4) + "  " + pad("id", 6) + "  " + pad("logit", 9) + "  " + pad("prob", 8) + "  token")
        for (rank, id) in order.prefix(topK).enumerated() {
            let p = Foundation.exp(Double(logits[id]) - m) / z
            let name = (try? tokenizer?.decode([id])).flatMap { $0 }.map { String(reflecting: $0) } ?? ""
            lines.append(pad("\(rank + 1)", 4) + "  " + pad("\(id)", 6) + "  " + pad(String(format: "%.4f", logits[id]), 9)
                + "  " + pad(String(format: "%.4f", p), 8) + "  " + name)
        }
        return lines.joined(separator: "\n")
    }

    static func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s : String(repeating: " ", count: width - s.count) + s
    }
}
