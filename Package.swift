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

/// Built-in output formats: one module per folder under `Writers/`, each depending on ReportCore
/// alone. The folder name is the format's Swift name; the module is `Writer<Name>`.
let writerFolders = ["CSV", "JSON", "Text", "HTML"]

/// Imports are internal unless marked `public import`: what a module's API exposes of another
/// module shows in its imports (the modules split out of ReportIO and the writers so far).
let internalImports: [SwiftSetting] = [.enableUpcomingFeature("InternalImportsByDefault")]

let writerTargets: [Target] = writerFolders.map { folder in
    .target(
        name: "Writer\(folder)",
        dependencies: ["ReportCore"],
        path: "Writers/\(folder)",
        exclude: ["README.md", "sample.yaml", "testcases"],
        swiftSettings: internalImports
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
        .package(url: "https://github.com/vapor/sqlite-nio.git", from: "1.13.2"),
    ],
    targets: calculatorTargets + writerTargets + [
        .target(name: "ReportCore"),
        .target(name: "ReportFiles", swiftSettings: internalImports),
        .target(name: "ReportState", dependencies: ["ReportCore", "ReportFiles"], swiftSettings: internalImports),
        .target(
            name: "ReportPlugins",
            dependencies: [
                "ReportCore", "ReportFiles", "CSpawn", .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: internalImports
        ),
        .target(
            name: "ReportPublish",
            dependencies: ["ReportCore", "ReportFiles", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: internalImports
        ),
        .target(
            name: "ReportCalculators",
            dependencies: ["ReportCore"] + calculatorFolders.map { .target(name: "Calc\($0)") }
        ),
        .target(
            name: "ReportWriters",
            dependencies: ["ReportCore"] + writerFolders.map { .target(name: "Writer\($0)") },
            swiftSettings: internalImports
        ),
        .target(name: "CSpawn"),
        // SQL generation shared by the database sources (filter to WHERE, metrics to aggregates).
        .target(name: "ReportSQL", dependencies: ["ReportCore"], swiftSettings: internalImports),
        // `format: sqlite` (DataSources/SQLite/README.md).
        .target(
            name: "SourceSQLite",
            dependencies: ["ReportCore", "ReportSQL", .product(name: "SQLiteNIO", package: "sqlite-nio")],
            path: "DataSources/SQLite",
            exclude: ["README.md", "sample.yaml", "testcases"],
            swiftSettings: internalImports
        ),
        .target(
            name: "ReportIO",
            dependencies: [
                "ReportCore", "ReportFiles", "ReportPlugins", "SourceSQLite",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "ReportRun",
            dependencies: [
                "ReportCore", "ReportFiles", "ReportState", "ReportPublish", "ReportIO",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "ReportDaemon",
            dependencies: [
                "ReportCore", "ReportFiles", "ReportState", "ReportPublish", "ReportIO", "ReportRun",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        .target(name: "CSignalGuard"),
        .executableTarget(
            name: "reportd",
            dependencies: [
                "CSignalGuard", "ReportCore", "ReportFiles", "ReportState", "ReportPublish", "ReportIO", "ReportRun", "ReportCalculators", "ReportWriters",
                "ReportDaemon",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(name: "FuzzTargets", dependencies: ["ReportCore", "ReportIO", "ReportCalculators", "ReportWriters"]),
        .executableTarget(name: "fuzz-config", dependencies: ["FuzzTargets"]),
        .executableTarget(name: "fuzz-filter", dependencies: ["FuzzTargets"]),
        .executableTarget(name: "fuzz-schedule", dependencies: ["FuzzTargets"]),
        .executableTarget(name: "fuzz-csv", dependencies: ["FuzzTargets"]),
        // What test targets share (a test target cannot depend on another).
        .target(
            name: "TestSupport", dependencies: ["ReportCore", "ReportIO", "ReportCalculators", "ReportWriters"],
            path: "Tests/Support"
        ),
        .testTarget(name: "ReportCoreTests", dependencies: ["ReportCore"]),
        .testTarget(
            name: "ReportCalculatorsTests",
            dependencies: ["ReportCore", "ReportIO", "ReportCalculators", "ReportWriters", "WriterCSV", "TestSupport"],
            resources: []
        ),
        .testTarget(name: "ReportFilesTests", dependencies: ["ReportFiles"]),
        .testTarget(name: "ReportStateTests", dependencies: ["ReportCore", "ReportFiles", "ReportState", "ReportPublish"]),
        .testTarget(name: "ReportPublishTests", dependencies: ["ReportCore", "ReportFiles", "ReportPublish"]),
        .testTarget(
            name: "ReportIOTests",
            dependencies: [
                "ReportCore", "ReportFiles", "ReportState", "ReportPublish", "ReportIO", "ReportRun",
                "ReportCalculators", "ReportWriters", "WriterCSV", "WriterHTML",
            ]),
        .testTarget(
            name: "ReportWritersTests",
            dependencies: ["ReportCore", "ReportIO", "ReportCalculators", "ReportWriters", "TestSupport"]
                + writerFolders.map { .target(name: "Writer\($0)") }
        ),
        .testTarget(
            name: "ReportDaemonTests",
            dependencies: [
                "ReportCore", "ReportFiles", "ReportState", "ReportPublish", "ReportIO", "ReportRun", "ReportDaemon",
                "ReportCalculators",
                "ReportWriters",
            ]
        ),
        .testTarget(name: "FuzzCorpusTests", dependencies: ["FuzzTargets"]),
        .testTarget(name: "ReportSQLTests", dependencies: ["ReportCore", "ReportSQL"]),
        .testTarget(
            name: "SourceSQLiteTests",
            dependencies: [
                "ReportCore", "ReportSQL", "SourceSQLite", "ReportCalculators",
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
            ]),
        .testTarget(
            name: "EndToEndTests", dependencies: ["reportd"],
            exclude: [
                "differential.py", "differential_text.py", "cron_differential.py", "schema_check.py",
                "parse_metrics.py", "period_differential.py", "plugins",
            ]),
    ],
    swiftLanguageModes: [.v6]
)
