// swift-tools-version: 6.1
// circuitry's benchmarks, a package of their own so that building and testing circuitry never builds the benchmark
// harness. Run from this folder: `swift package benchmark` (see README, Performance).
import Foundation
import PackageDescription

// A path dependency's identity is its folder's name, which is whatever the checkout was cloned as.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
let circuitry = root.lastPathComponent.lowercased()

let package = Package(
    name: "circuitry-benchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .target(
            name: "BenchmarkSupport",
            dependencies: [
                .product(name: "Tensor", package: circuitry),
                .product(name: "Transformer", package: circuitry),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "BenchmarkSupport"
        ),
        .executableTarget(
            name: "ForwardPass",
            dependencies: [
                "BenchmarkSupport",
                .product(name: "Tensor", package: circuitry),
                .product(name: "Transformer", package: circuitry),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "ForwardPass",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "EdgePatching",
            dependencies: [
                "BenchmarkSupport",
                .product(name: "Tensor", package: circuitry),
                .product(name: "Transformer", package: circuitry),
                .product(name: "Circuits", package: circuitry),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "EdgePatching",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "Attribution",
            dependencies: [
                "BenchmarkSupport",
                .product(name: "Tensor", package: circuitry),
                .product(name: "Transformer", package: circuitry),
                .product(name: "Circuits", package: circuitry),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Attribution",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "SparseEdgeTests",
            dependencies: [
                .product(name: "Tensor", package: circuitry),
                .product(name: "Transformer", package: circuitry),
                .product(name: "Circuits", package: circuitry),
                .product(name: "Tasks", package: circuitry),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "SparseEdgeTests",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "Composition",
            dependencies: [
                .product(name: "Transformer", package: circuitry),
                .product(name: "Circuits", package: circuitry),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Composition",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // Runs the built circuitry binary alone and under mpirun (needs `swift build -c release` and Open MPI).
        .executableTarget(
            name: "MPISpeculation",
            dependencies: [
                .product(name: "Tensor", package: circuitry),
                .product(name: "Transformer", package: circuitry),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "MPISpeculation",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
