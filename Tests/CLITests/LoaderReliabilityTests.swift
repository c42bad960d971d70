import Foundation
import Testing

/// The parts of issue 15 that live in the model loader (issue 13's rework): weights with NaN or infinity are
/// refused when the model is loaded, naming the tensor and how many values; a configuration with fewer layers than
/// the weights is refused instead of silently dropping layers. Through the CLI, as a user meets them: `info` does
/// not run the model, so only the loader can catch these.
@Suite struct LoaderReliabilityTests {
    typealias F = ReliabilityFixtures

    @Test
    func nonFiniteWeightsAreRefusedAtLoadNamingTheTensor() throws {
        let folder = try CLI.scratchFolder("loader-nan")
        let model = try F.brokenModel(in: folder, value: .nan)
        let out = try CLI.run(["info", "--model", model.path])
        #expect(out.status != 0 && !out.crashed)
        #expect(out.stderr.contains("transformer.h.0.attn.c_attn.weight"), "\(out.stderr)")
        #expect(out.stderr.contains("1 NaN") || out.stderr.contains("NaN"), "\(out.stderr)")
    }

    @Test
    func aConfigWithFewerLayersThanTheWeightsIsRefused() throws {
        let folder = try CLI.scratchFolder("loader-layers")
        let model = folder.appendingPathComponent("model", isDirectory: true)
        try FileManager.default.copyItem(at: CLIFixtures.tinyGPT2, to: model)
        let config = model.appendingPathComponent("config.json")
        var object = try JSONSerialization.jsonObject(with: Data(contentsOf: config)) as? [String: Any] ?? [:]
        object["n_layer"] = 2
        try JSONSerialization.data(withJSONObject: object).write(to: config)
        let out = try CLI.run(["info", "--model", model.path])
        #expect(out.status != 0 && !out.crashed, "a 3-layer checkpoint was loaded as 2 layers:\n\(out.stdout)")
        #expect(out.stderr.contains("transformer.h.2"), "the message names the unused layer's tensors: \(out.stderr)")
    }
}
