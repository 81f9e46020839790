// swift-tools-version: 6.2
import PackageDescription

/// Built-in calculators: one module per folder under `Plugins/`, each depending on ReportCore alone.
/// The folder name is the calculator's Swift name; the module is `Calc<Name>`.
let calculatorFolders = [
    "Count", "CountDistinct", "Sum", "Mean", "MinMax", "Median", "Percentile", "Stddev", "Ratio", "Share", "Growth",
]

let calculatorTargets: [Target] = calculatorFolders.map { folder in
    .target(
        name: "Calc\(folder)",
        dependencies: ["ReportCore"],
        path: "Plugins/\(folder)",
        exclude: ["README.md", "sample.yaml", "testcases"]
    )
}

let package = Package(
    name: "reportd",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "reportd", targets: ["reportd"]),
        .library(name: "ReportCore", targets: ["ReportCore"]),
        // libFuzzer targets (scripts/fuzz.sh builds them with -sanitize=fuzzer and -DFUZZING);
        // a plain build replays their corpus in Tests/Fuzz.
        .executable(name: "fuzz-config", targets: ["fuzz-config"]),
        .executable(name: "fuzz-filter", targets: ["fuzz-filter"]),
        .executable(name: "fuzz-schedule", targets: ["fuzz-schedule"]),
        .executable(name: "fuzz-csv", targets: ["fuzz-csv"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
    ],
    targets: calculatorTargets + [
        .target(name: "ReportCore"),
        .target(
            name: "ReportCalculators",
            dependencies: ["ReportCore"] + calculatorFolders.map { .target(name: "Calc\($0)") }
        ),
        .target(name: "CSpawn"),
        .target(
            name: "ReportIO",
            dependencies: [
                "ReportCore", "CSpawn",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "ReportDaemon",
            dependencies: [
                "ReportCore", "ReportIO",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        .target(name: "CSignalGuard"),
        .executableTarget(
            name: "reportd",
            dependencies: [
                "CSignalGuard", "ReportCore", "ReportIO", "ReportCalculators", "ReportDaemon",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(name: "FuzzTargets", dependencies: ["ReportCore", "ReportIO", "ReportCalculators"]),
        .executableTarget(name: "fuzz-config", dependencies: ["FuzzTargets"]),
        .executableTarget(name: "fuzz-filter", dependencies: ["FuzzTargets"]),
        .executableTarget(name: "fuzz-schedule", dependencies: ["FuzzTargets"]),
        .executableTarget(name: "fuzz-csv", dependencies: ["FuzzTargets"]),
        .testTarget(name: "ReportCoreTests", dependencies: ["ReportCore"]),
        .testTarget(
            name: "ReportCalculatorsTests",
            dependencies: ["ReportCore", "ReportIO", "ReportCalculators"],
            resources: []
        ),
        .testTarget(name: "ReportIOTests", dependencies: ["ReportCore", "ReportIO", "ReportCalculators"]),
        .testTarget(
            name: "ReportDaemonTests",
            dependencies: ["ReportCore", "ReportIO", "ReportDaemon", "ReportCalculators"]
        ),
        .testTarget(name: "FuzzCorpusTests", dependencies: ["FuzzTargets"]),
        .testTarget(
            name: "EndToEndTests", dependencies: ["reportd"],
            exclude: [
                "differential.py", "differential_text.py", "cron_differential.py", "schema_check.py",
                "parse_metrics.py", "period_differential.py", "plugins",
            ]),
    ],
    swiftLanguageModes: [.v6]
)
