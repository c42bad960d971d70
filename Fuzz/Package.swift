// swift-tools-version: 6.1
import Foundation
import PackageDescription

/// libFuzzer targets for circuitry's readers of untrusted input, in a package of their own so that building and
/// testing circuitry never needs the fuzzer runtime. Build and run them with `scripts/fuzz.sh` (see README,
/// "Reliability"): each target's `main.swift` hands its test function to libFuzzer's `LLVMFuzzerRunDriver`
/// (`FuzzDriver`), linked in by `-sanitize=fuzzer`.
///
/// A path dependency is named after its folder, so the checkout's folder name is the package identity here.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
let circuitry = root.lastPathComponent.lowercased()

let package = Package(
    name: "circuitry-fuzz",
    dependencies: [.package(path: "..")],
    targets: [
        .target(name: "FuzzDriver"),
        .executableTarget(
            name: "FuzzSafetensors",
            dependencies: ["FuzzDriver", .product(name: "Transformer", package: circuitry)]),
        .executableTarget(
            name: "FuzzPrompts",
            dependencies: [
                "FuzzDriver", .product(name: "Tasks", package: circuitry), .product(name: "Circuits", package: circuitry),
                .product(name: "Tokenizer", package: circuitry),
            ]),
        .executableTarget(
            name: "FuzzHypothesis",
            dependencies: ["FuzzDriver", .product(name: "Circuits", package: circuitry)]),
        .executableTarget(
            name: "FuzzState",
            dependencies: ["FuzzDriver", .product(name: "Circuits", package: circuitry)]),
    ],
    swiftLanguageModes: [.v6]
)
