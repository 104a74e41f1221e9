// swift-tools-version:6.1
import PackageDescription

/// Release builds of the simulation's modules skip the run-time exclusivity checks (the
/// static ones still apply, and debug builds, which the tests use, keep the dynamic ones):
/// they cost about 8% of a release run's instructions (BENCHMARKS.md, issue 9 step 6).
let releaseSpeed: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked", "-cross-module-optimization"], .when(configuration: .release))]

let package = Package(
    name: "kruise-sim",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Engine", targets: ["Engine"]),
        .library(name: "Sim", targets: ["Sim"]),
        .executable(name: "kruise-sim", targets: ["kruise-sim"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams.git", exact: "6.2.2"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        // Tests only: the scenario fuzzer (Tests/SimTests/FuzzTests.swift). No dependencies of its own.
        .package(url: "https://github.com/x-sheep/swift-property-based.git", exact: "2.0.1"),
        // `kruise-sim serve` only: plain HTTP/1 on loopback (Sources/Serve). Chosen over Hummingbird for build time.
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    ],
    targets: [
        .target(
            name: "Engine",
            dependencies: [
                .product(name: "Yams", package: "Yams"),
                .product(name: "HeapModule", package: "swift-collections"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "OrderedCollections", package: "swift-collections"),
            ],
            swiftSettings: releaseSpeed
        ),
        .systemLibrary(name: "CSQLite", providers: [.apt(["libsqlite3-dev"])]),
        .target(
            name: "Sim",
            dependencies: [
                "Engine",
                "CSQLite",
                .product(name: "Yams", package: "Yams"),
                .product(name: "HeapModule", package: "swift-collections"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "OrderedCollections", package: "swift-collections"),
            ],
            swiftSettings: releaseSpeed
        ),
        .target(
            name: "Serve",
            dependencies: [
                "Engine",
                "Sim",
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "OrderedCollections", package: "swift-collections"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "kruise-sim",
            dependencies: [
                "Engine",
                "Sim",
                "Serve",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            // main.swift holds the `@main` command and each subcommand has its own file: with more
            // than one file the compiler must be told that main.swift is not top-level code.
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        ),
        .testTarget(name: "EngineTests", dependencies: ["Engine", .product(name: "Yams", package: "Yams")]),
        .testTarget(name: "SimTests", dependencies: [
            "Sim", "Engine",
            .product(name: "Yams", package: "Yams"),
            .product(name: "PropertyBased", package: "swift-property-based"),
        ]),
        .testTarget(name: "ScenarioTests", dependencies: ["Sim", "Engine"]),
        .testTarget(name: "ServeTests", dependencies: ["Serve", "Sim", "Engine"]),
    ]
)
