import Circuits
import Foundation
import Testing
import Tokenizer
import Transformer
@testable import Tasks

/// On the bundled toy-ioi with `discover`'s settings (ACDC's IOI preset, seed 0, KL, resample ablation), ACDC with
/// sparse tests finds exactly the circuit dense tests find, at the README's threshold and a tenfold smaller one.
@Suite struct SparseToyIOITests {
    @Test(arguments: [0.01, 0.001])
    func sparseAndDenseTestsFindTheSameCircuit(threshold: Double) throws {
        let folder = DataDirectory.bundledModel("toy-ioi")
        let model = try TransformerModel.load(directory: folder)
        let tokenizer = try TokenizerLoader.load(directory: folder)
        let prompts = try CircuitTask.ioi.makePromptSets(
            TaskRequest(tokenizer: tokenizer, seed: 0, vocabularySize: model.config.dVocab)).discovery
        var results: [PruningResult] = []
        for mode in [EdgeTestMode.sparse, .dense] {
            var executor = try EdgePatchingExecutor(
                model: model, clean: prompts.clean, corrupted: prompts.corrupted,
                reference: prompts.reference ?? prompts.corrupted, ablation: .resample,
                readPositions: .perPrompt(prompts.readPositions))
            executor.edgeTests = mode
            let metric = try Metric(kind: .kl, promptSet: prompts, fullLogits: executor.cleanLogits,
                                    corruptedLogits: executor.corruptedLogits)
            results.append(try ACDCPruner.prune(
                executor: &executor, objective: PruningObjective(metric: metric),
                configuration: ACDCConfiguration(threshold: threshold)))
        }
        let (sparse, dense) = (results[0], results[1])
        #expect(sparse.circuit == dense.circuit && sparse.severedInputs == dense.severedInputs)
        #expect(sparse.statistics == dense.statistics)
        for (a, b) in zip(sparse.effects, dense.effects) {
            #expect((a == nil) == (b == nil))
            if let a, let b { #expect(abs(a - b) <= 1e-5 + 1e-5 * abs(b)) }
        }
        if threshold == 0.01 { #expect(sparse.circuit.count == 44) }
        #expect(sparse.testing.work.skippedFLOPs > 0)
    }
}
