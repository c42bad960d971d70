import Foundation
import Testing
import Tensor
import Transformer
@testable import Circuits

/// The tiny GPT-2 of `shared/reference/tiny-gpt2` and the auto-circuit / ARENA references made with it.
enum ExecutorFixtures {
    static func url(_ path: String) throws -> URL {
        try #require(Bundle.module.resourceURL).appendingPathComponent("Fixtures").appendingPathComponent(path)
    }

    /// The model itself lives in the Transformer tests' fixtures; found from this file's path.
    static func tinyGPT2() throws -> TransformerModel {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        return try TransformerModel.load(directory: root.appendingPathComponent("TransformerTests/Fixtures/tiny-gpt2"))
    }

    struct Tokens: Decodable {
        var clean_tokens: [[Int]]
        var corrupted_tokens: [[Int]]
        var answer_tokens: [Int]
        var wrong_tokens: [Int]
    }

    static func tokens() throws -> Tokens {
        try JSONDecoder().decode(Tokens.self, from: Data(contentsOf: url("executor/tiny-gpt2-tokens.json")))
    }

    static func json(_ name: String) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: url("executor/\(name)")))
        return try #require(object as? [String: Any])
    }

    /// An executor on the tiny GPT-2 and its reference prompts, as auto-circuit's reference runs were made.
    static func referenceExecutor(
        ablation: AblationKind, readPositions: ReadPositions
    ) throws -> (executor: EdgePatchingExecutor, graph: CircuitGraph, tokens: Tokens) {
        let model = try tinyGPT2()
        let tokens = try tokens()
        let graph = CircuitGraph(config: model.config)
        let executor = try EdgePatchingExecutor(
            model: model, graph: graph, clean: tokens.clean_tokens, corrupted: tokens.corrupted_tokens,
            ablation: ablation, readPositions: readPositions)
        return (executor, graph, tokens)
    }

    /// One of auto-circuit's reference masks (`edge_patching.json`): its entry, the circuit without its ablated
    /// edges, and the patched logits `[batch, pos, vocab]` auto-circuit computed under `ablation`.
    static func referenceMask(
        _ mask: String, graph: CircuitGraph, ablation: AblationKind
    ) throws -> (entry: [String: Any], circuit: Circuit, ablatedCount: Int, logits: Tensor) {
        let reference = try json("edge_patching.json")
        let entry = try #require((reference["masks"] as? [String: Any])?[mask] as? [String: Any])
        let ablated = try #require(entry["ablated_edges"] as? [[String]])
        var circuit = Circuit.full(graph)
        for pair in ablated {
            circuit.remove(try #require(graph.edge(sender: pair[0], receiver: pair[1]), "no edge \(pair)"))
        }
        let logits = try SafetensorsFile(url: url("executor/edge_patching.safetensors"))
            .tensor(named: "\(ablation.rawValue).\(mask).logits")
        return (entry, circuit, ablated.count, logits)
    }

    /// Mean over prompts of logit[answer] − logit[wrong] at read position `index` of `[batch, read, vocab]` logits.
    static func logitDifference(_ logits: Tensor, tokens: Tokens, index: Int = 0) -> Double {
        var sum = 0.0
        for b in 0..<tokens.answer_tokens.count {
            sum += Double(logits[b, index, tokens.answer_tokens[b]]) - Double(logits[b, index, tokens.wrong_tokens[b]])
        }
        return sum / Double(tokens.answer_tokens.count)
    }
}

/// Two-sided closeness of tensors, reporting the worst element.
func expectClose(
    _ actual: Tensor, _ expected: Tensor, atol: Float, rtol: Float = 1e-4, _ what: String,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    guard actual.count == expected.count else {
        Issue.record("\(what): \(actual.count) elements, expected \(expected.count)", sourceLocation: sourceLocation)
        return
    }
    var worst = 0
    var worstExcess: Float = -.infinity
    for i in 0..<actual.count {
        let a = actual[flat: i], e = expected[flat: i]
        let excess = a.isNaN ? Float.infinity : abs(a - e) - (atol + rtol * abs(e))
        if excess > worstExcess { worstExcess = excess; worst = i }
    }
    #expect(worstExcess <= 0, "\(what): element \(worst) is \(actual[flat: worst]), expected \(expected[flat: worst])",
            sourceLocation: sourceLocation)
}
