import Foundation
import Testing
import Tensor
import Transformer
@testable import Circuits

/// Sparse edge tests (`EdgePatchingExecutor.test(_:)`, `setState`) against auto-circuit's patched logits, against
/// the dense executor on every family and ablation, and against themselves: a state reached by any sequence of
/// tests and commits is bit for bit the state computed from scratch for the same circuit.
@Suite struct SparseEdgeTestTests {
    /// Auto-circuit's masks (`EdgePatchingReferenceTests`), reached from scratch and by removing the mask's edges
    /// one receiver at a time from the full circuit.
    @Test(arguments: [AblationKind.resample, .zero], EdgePatchingReferenceTests.masks)
    func sparseStatesMatchAutoCircuit(ablation: AblationKind, mask: String) throws {
        var (executor, graph, _) = try ExecutorFixtures.referenceExecutor(ablation: ablation, readPositions: .all)
        let reference = try ExecutorFixtures.referenceMask(mask, graph: graph, ablation: ablation)
        let (circuit, expected) = (reference.circuit, reference.logits)
        executor.setState(circuit: circuit)
        expectClose(executor.stateLogits, expected, atol: 1e-4, "\(ablation) \(mask), from scratch")
        let fromScratch = executor.stateLogits

        var (stepwise, _, _) = try ExecutorFixtures.referenceExecutor(ablation: ablation, readPositions: .all)
        for receiver in graph.receiversInACDCOrder {
            let removed = graph.incomingEdges(of: receiver).filter { !circuit.contains($0) }
            guard !removed.isEmpty else { continue }
            _ = stepwise.test(StateChange(removedEdges: removed))
            stepwise.commitTest()
        }
        #expect(stepwise.stateCircuit == circuit)
        #expect(stepwise.stateLogits == fromScratch, "\(ablation) \(mask): stepwise differs from scratch")
    }

    /// From scratch, random circuits with random severed inputs give the dense executor's logits on every family,
    /// under every ablation, with logits at every position and at the last one only.
    ///
    /// Under zero ablation every receiver keeps its embedding edge: a receiver with every edge ablated reads the
    /// attention output biases alone, exactly zero in the families without them, and normalising a zero input is
    /// ill-conditioned — the dense executor forms it as clean residual minus clean outputs and returns its rounding
    /// noise amplified by 1/sqrt(ε); the sparse path reads the exact zero (checked below).
    @Test(arguments: ["tiny-gpt2", "llama", "qwen2", "gpt-neox", "stories260k"], AblationKind.allCases)
    func randomCircuitsMatchTheDenseExecutor(family: String, ablation: AblationKind) throws {
        let model = try SparseFixtures.model(family)
        let prompts = try ArchitectureCircuitTests.prompts(model)
        for read in [ReadPositions.all, .last] {
            var executor = try EdgePatchingExecutor(
                model: model, clean: prompts.clean, corrupted: prompts.corrupted, reference: prompts.corrupted,
                ablation: ablation, readPositions: read)
            let graph = executor.graph
            var g = SeededGenerator(seed: 11)
            for keep in [1.0, 0.9, 0.5, 0.1, 0.0] {
                var (circuit, severed) = SparseFixtures.randomCircuit(graph: graph, keep: keep, sever: 0.05, using: &g)
                if ablation == .zero {
                    for r in graph.receiversInTopologicalOrder {
                        circuit.insert(try #require(graph.edge(sender: graph.embed, receiver: r)))
                    }
                }
                executor.setState(circuit: circuit, severedInputs: severed)
                let dense = executor.logits(keeping: circuit, severedInputs: severed)
                expectClose(executor.stateLogits, dense, atol: 1e-4, "\(family) \(ablation) keep \(keep)")
            }
            executor.setState(circuit: .full(graph))
            #expect(executor.stateLogits == executor.cleanLogits)
            if ablation == .resample, let corrupted = executor.corruptedLogits {
                executor.setState(circuit: .empty(graph))
                expectClose(executor.stateLogits, corrupted, atol: 1e-4, "\(family): every edge ablated")
            }
            if ablation == .zero && model.blocks.allSatisfy({ $0.attentionOutputBias.count == 0 })
                && !model.config.unembedBias {
                // Every input is exactly zero, so is every normalised input, head, MLP and logit.
                executor.setState(circuit: .empty(graph))
                #expect(executor.stateLogits.scalars.allSatisfy { $0 == 0 }, "\(family): zero ablation of everything")
            }
        }
    }

    /// Random sequences of single and multiple removals and severings, each committed or discarded at random: every
    /// test's logits and every committed state equal, bit for bit, a fresh executor's computation from scratch.
    @Test(arguments: ["tiny-gpt2", "llama", "gpt-neox"], [ReadPositions.all, .last])
    func testsAndCommitsEqualComputationsFromScratch(family: String, read: ReadPositions) throws {
        let model = try SparseFixtures.model(family)
        let prompts = try ArchitectureCircuitTests.prompts(model)
        func make() throws -> EdgePatchingExecutor {
            try EdgePatchingExecutor(model: model, clean: prompts.clean, corrupted: prompts.corrupted,
                                     ablation: .resample, readPositions: read)
        }
        var executor = try make()
        var reference = try make()
        let graph = executor.graph
        var g = SeededGenerator(seed: 5)
        // Top-down, as ACDC goes, so that upper layers are pruned when lower receivers are tested.
        for receiver in graph.receiversInACDCOrder {
            for edge in graph.incomingEdgesInACDCOrder(receiver) where executor.stateCircuit.contains(edge) {
                guard g.unitFloat() < 0.35 else { continue }
                var change = StateChange.removing(edge)
                if g.unitFloat() < 0.2, let other = graph.incomingEdges(of: receiver).first(where: {
                    $0 != edge && executor.stateCircuit.contains($0)
                }) {
                    change.removedEdges.append(other)
                }
                if case .headInput = graph[receiver].kind, g.unitFloat() < 0.05 {
                    change = .severing(receiver)
                }
                let logits = executor.test(change)
                var candidate = executor.stateCircuit
                for e in change.removedEdges { candidate.remove(e) }
                reference.setState(circuit: candidate, severedInputs: executor.stateSeveredInputs.union(change.severedInputs))
                #expect(logits == reference.stateLogits, "\(family): test of \(change) differs from scratch")
                if g.unitFloat() < 0.7 {
                    executor.commitTest()
                } else {
                    executor.discardTest()
                }
                if case .headInput = graph[receiver].kind, executor.stateSeveredInputs.contains(receiver) { break }
            }
        }
        var fresh = try make()
        fresh.setState(circuit: executor.stateCircuit, severedInputs: executor.stateSeveredInputs)
        #expect(fresh.stateLogits == executor.stateLogits)
        #expect(executor.testStatistics.tests > 0)
        #expect(executor.testStatistics.skippedFLOPs > 0)
    }

    /// Speculation's pattern: on one base state, candidate j is tested as the cumulative removal of candidates
    /// 1…j (one multi-edge change each, nothing committed); the results equal the sequential run's tests (remove
    /// and commit each candidate in turn), bit for bit, and committing the accepted prefix gives the sequential state.
    @Test func cumulativeRemovalsOnABaseStateEqualSequentialTests() throws {
        let model = try ExecutorFixtures.tinyGPT2()
        let tokens = try ExecutorFixtures.tokens()
        func make() throws -> EdgePatchingExecutor {
            try EdgePatchingExecutor(model: model, clean: tokens.clean_tokens, corrupted: tokens.corrupted_tokens,
                                     ablation: .resample)
        }
        var worker = try make()
        var sequential = try make()
        let graph = worker.graph
        var base = Circuit.full(graph)
        for e in graph.incomingEdges(of: graph.residPost).prefix(30) { base.remove(e) }
        worker.setState(circuit: base)
        sequential.setState(circuit: base)
        let candidates = Array(graph.incomingEdgesInACDCOrder(graph.headInputReceiver(layer: 2, head: 1, input: .k))
            .prefix(5))
        var speculative: [Tensor] = []
        for j in 1...candidates.count {
            speculative.append(worker.test(StateChange(removedEdges: Array(candidates.prefix(j)))))
        }
        for (j, edge) in candidates.enumerated() {
            #expect(sequential.test(.removing(edge)) == speculative[j], "candidate \(j + 1)")
            sequential.commitTest()
        }
        // The coordinator accepts the first three: the worker commits that prefix as one change.
        worker.discardTest()
        var accepted = base
        for e in candidates.prefix(3) { accepted.remove(e) }
        worker.setState(circuit: accepted)
        var reference = try make()
        reference.setState(circuit: accepted)
        #expect(worker.stateLogits == reference.stateLogits)
        // setState to a circuit with edges back in (a worker that speculated past a kept edge) starts afresh.
        worker.setState(circuit: base)
        var fresh = try make()
        fresh.setState(circuit: base)
        #expect(worker.stateLogits == fresh.stateLogits)
    }

    /// The dense test's FLOP count, against which sparse tests report what they skipped, is what the dense run
    /// issues: its matrix products equal, FLOP for FLOP, the products the run records.
    @Test(arguments: ["tiny-gpt2", "llama", "gpt-neox"], [ReadPositions.all, .last])
    func denseFLOPsAreTheDenseRunsProducts(family: String, read: ReadPositions) throws {
        let model = try SparseFixtures.model(family)
        let prompts = try ArchitectureCircuitTests.prompts(model)
        var executor = try EdgePatchingExecutor(
            model: model, clean: prompts.clean, corrupted: prompts.corrupted, ablation: .resample, readPositions: read)
        let graph = executor.graph
        var g = SeededGenerator(seed: 3)
        for keep in [1.0, 0.999, 0.95, 0.5, 0.0] {
            let (circuit, severed) = SparseFixtures.randomCircuit(graph: graph, keep: keep, sever: 0.02, using: &g)
            executor.recordProducts(true)
            _ = executor.logits(keeping: circuit, severedInputs: severed)
            let recorded = executor.takeRecordedProducts().reduce(0) { $0 + $1.flops }
            executor.recordProducts(false)
            var flags = [Bool](repeating: false, count: graph.receiverCount)
            for r in severed { flags[graph.receiverOrdinal(r)] = true }
            #expect(executor.denseTestCost(circuit: circuit, severed: flags).products == recorded, "\(family) keep \(keep)")
        }
    }

    /// A change that reaches nothing alive (an edge into a head whose output no longer reaches the logits)
    /// recomputes nothing and leaves the logits as they were.
    @Test func changesToDeadComponentsCostNothing() throws {
        let model = try ExecutorFixtures.tinyGPT2()
        let tokens = try ExecutorFixtures.tokens()
        var executor = try EdgePatchingExecutor(
            model: model, clean: tokens.clean_tokens, corrupted: tokens.corrupted_tokens, ablation: .resample)
        let graph = executor.graph
        let head = graph.headSender(layer: 1, head: 2)
        var circuit = Circuit.full(graph)
        for e in graph.outgoingEdges(of: head) { circuit.remove(e) }
        executor.setState(circuit: circuit)
        let before = executor.stateLogits
        let flops = executor.testStatistics.flops
        let into = graph.headInputReceiver(layer: 1, head: 2, input: .q)
        let logits = executor.test(.removing(graph.incomingEdges(of: into)[0]))
        #expect(logits == before)
        #expect(executor.testStatistics.flops == flops)
    }
}

enum SparseFixtures {
    static func model(_ family: String) throws -> TransformerModel {
        family == "tiny-gpt2" ? try ExecutorFixtures.tinyGPT2() : try ArchitectureCircuitTests.model(family)
    }

    /// A circuit keeping each edge with probability `keep`, and head inputs severed with probability `sever`.
    static func randomCircuit(
        graph: CircuitGraph, keep: Double, sever: Double, using g: inout SeededGenerator
    ) -> (Circuit, Set<NodeID>) {
        var circuit = Circuit.empty(graph)
        for e in graph.edges where Double(g.unitFloat()) < keep { circuit.insert(e.id) }
        var severed = Set<NodeID>()
        for r in graph.receiversInTopologicalOrder {
            if case .headInput = graph[r].kind, Double(g.unitFloat()) < sever { severed.insert(r) }
        }
        return (circuit, severed)
    }
}
