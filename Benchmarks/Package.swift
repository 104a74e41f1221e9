// swift-tools-version:6.1
// Benchmarks live in their own package so the root package never resolves benchmark
// dependencies. Run: cd Benchmarks && swift package benchmark
import PackageDescription

let package = Package(
    name: "kruise-sim-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: "kruise-sim"),  // a symlink to the root, so the identity is stable
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "SimBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Sim", package: "kruise-sim"),
                .product(name: "Engine", package: "kruise-sim"),
            ],
            path: "Benchmarks/SimBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // One hot path per benchmark (event queue, store writes and watch fan-out, informer,
        // a reconcile, node fitness, cron): swift package --disable-sandbox benchmark --target HotPaths
        .executableTarget(
            name: "HotPaths",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Sim", package: "kruise-sim"),
                .product(name: "Engine", package: "kruise-sim"),
            ],
            path: "Benchmarks/HotPaths",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
