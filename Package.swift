// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "circuitry",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "circuitry", targets: ["circuitry"]),
        .library(name: "Tensor", targets: ["Tensor"]),
        .library(name: "Transformer", targets: ["Transformer"]),
        .library(name: "Tokenizer", targets: ["Tokenizer"]),
        .library(name: "Circuits", targets: ["Circuits"]),
        .library(name: "Tasks", targets: ["Tasks"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // Test-only: a real HTTP server on 127.0.0.1 for the downloader tests.
        .package(url: "https://github.com/swhitty/FlyingFox", from: "0.27.1"),
    ],
    targets: [
        // The only C surface: cblas.h and lapacke.h from Debian's libopenblas-dev and liblapacke-dev.
        .systemLibrary(
            name: "COpenBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev", "liblapacke-dev"])]
        ),
        // Open MPI for speculative ACDC across processes and machines (`discover --parallel mpi`); mpi.h only.
        .systemLibrary(
            name: "COpenMPI",
            pkgConfig: "ompi-c",
            providers: [.apt(["libopenmpi-dev", "openmpi-bin"])]
        ),
        .target(name: "Cluster", dependencies: ["COpenMPI"]),
        .target(
            name: "Tensor",
            dependencies: ["COpenBLAS"],
            // The numeric kernels are optimised in debug builds too, so `swift test` runs the reference
            // computations at a useful speed; the rest of the package keeps debug semantics.
            swiftSettings: [.unsafeFlags(["-O"], .when(configuration: .debug))]
        ),
        .target(name: "Transformer", dependencies: ["Tensor"]),
        .target(name: "Tokenizer"),
        .target(name: "Circuits", dependencies: ["Transformer", "Tensor"]),
        .target(name: "Tasks", dependencies: ["Circuits", "Transformer", "Tokenizer", "Tensor"]),
        .executableTarget(
            name: "circuitry",
            dependencies: [
                "Tensor", "Transformer", "Tokenizer", "Circuits", "Tasks", "Cluster",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "TensorTests", dependencies: ["Tensor"]),
        .testTarget(
            name: "TransformerTests",
            dependencies: [
                "Transformer", "Tensor",
                .product(name: "FlyingFox", package: "FlyingFox"),
                .product(name: "FlyingSocks", package: "FlyingFox"),
            ],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(name: "ClusterTests", dependencies: ["Cluster"]),
        .testTarget(name: "TokenizerTests", dependencies: ["Tokenizer"], resources: [.copy("Fixtures")]),
        .testTarget(name: "CircuitsTests", dependencies: ["Circuits", "Transformer", "Tensor", "Tasks"], resources: [.copy("Fixtures")]),
        .testTarget(name: "TasksTests", dependencies: ["Tasks", "Circuits", "Transformer", "Tokenizer"], resources: [.copy("Fixtures")]),
        .testTarget(name: "CLITests", dependencies: ["circuitry"], resources: [.copy("Fixtures")]),
    ],
    swiftLanguageModes: [.v6]
)
