// swift-tools-version: 6.2
import PackageDescription

/// Imports are internal unless marked `public import`: what a module's API exposes of another
/// module shows in its imports (every module).
let internalImports: [SwiftSetting] = [.enableUpcomingFeature("InternalImportsByDefault")]

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
        exclude: ["README.md", "sample.yaml", "testcases"],
        swiftSettings: internalImports
    )
}

/// Built-in output formats: one module per folder under `Writers/`, each depending on ReportCore
/// plus what its format needs (XLSX: ZIPFoundation, for the archive). The folder name is the
/// format's Swift name; the module is `Writer<Name>`.
let writerNeeds: KeyValuePairs<String, [Target.Dependency]> = [
    "CSV": [], "JSON": [], "Text": [], "HTML": [],
    "XLSX": [.product(name: "ZIPFoundation", package: "ZIPFoundation")],
]
let writerFolders = writerNeeds.map(\.key)

let writerTargets: [Target] = writerNeeds.map { folder, needs in
    .target(
        name: "Writer\(folder)",
        dependencies: ["ReportCore"] + needs,
        path: "Writers/\(folder)",
        exclude: ["README.md", "sample.yaml", "testcases"],
        swiftSettings: internalImports
    )
}

/// Built-in dataset sources: one module per folder under `DataSources/`, each depending on
/// ReportCore and ReportFiles plus what its kind needs (file sources: SourceFiles, what they
/// share; database sources: ReportSQL, the SQL they share, and their client). The folder name is
/// the format's Swift name; the module is `Source<Kind>`.
let fileSource: [Target.Dependency] = ["SourceFiles", .product(name: "Crypto", package: "swift-crypto")]
let sourceFolders: KeyValuePairs<String, [Target.Dependency]> = [
    "CSV": fileSource + ["CCSVScan"],
    "JSON": fileSource,
    "SQLite": ["ReportSQL", .product(name: "SQLiteNIO", package: "sqlite-nio")],
    "Postgres": ["ReportSQL", .product(name: "PostgresNIO", package: "postgres-nio")],
    "XLSX": fileSource + [.product(name: "ZIPFoundation", package: "ZIPFoundation")],
]

let sourceTargets: [Target] = sourceFolders.map { folder, needs in
    .target(
        name: "Source\(folder)",
        dependencies: ["ReportCore", "ReportFiles"] + needs,
        path: "DataSources/\(folder)",
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
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/weichsel/ZIPFoundation.git", from: "0.9.20"),
    ],
    targets: calculatorTargets + writerTargets + sourceTargets + [
        .target(name: "ReportCore", swiftSettings: internalImports),
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
            dependencies: ["ReportCore"] + calculatorFolders.map { .target(name: "Calc\($0)") },
            swiftSettings: internalImports
        ),
        .target(
            name: "ReportWriters",
            dependencies: ["ReportCore"] + writerFolders.map { .target(name: "Writer\($0)") },
            swiftSettings: internalImports
        ),
        .target(
            name: "SourceFiles",
            dependencies: ["ReportCore", "ReportFiles", "CCSVScan", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: internalImports
        ),
        .target(
            name: "ReportSources",
            dependencies: ["ReportCore"] + sourceFolders.map { .target(name: "Source\($0.key)") },
            swiftSettings: internalImports
        ),
        .target(name: "CSpawn"),
        // The CSV reader's vector scans (quote counts, record splitting, the UTF-8 check) and the
        // files' fingerprint hash, in C with a portable fallback and AVX2 paths chosen at run time:
        // clang vectorises them, Swift's SIMD types did not (issue 20).
        .target(name: "CCSVScan"),
        // Mail through the system's sendmail interface: the MIME writer, the sendmail process,
        // deliveries and notices (issue 19).
        .target(
            name: "ReportMail",
            dependencies: ["ReportCore", "ReportFiles", "ReportState", "ReportConfig", "CSpawn"],
            swiftSettings: internalImports
        ),
        // SQL generation shared by the database sources (filter to WHERE, metrics to aggregates).
        .target(
            name: "ReportSQL", dependencies: ["ReportCore", "CalcShare", "CalcRatio", "CalcGrowth"],
            swiftSettings: internalImports),
        .target(
            name: "ReportConfig",
            dependencies: [
                "ReportCore", "ReportFiles",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: internalImports
        ),
        .target(
            name: "ReportTesting", dependencies: ["ReportCore", "ReportFiles", "ReportConfig"], swiftSettings: internalImports
        ),
        .target(
            name: "ReportRun",
            dependencies: [
                "ReportCore", "ReportFiles", "ReportState", "ReportPublish", "ReportConfig",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: internalImports
        ),
        .target(
            name: "ReportDaemon",
            dependencies: [
                "ReportCore", "ReportFiles", "ReportState", "ReportPublish", "ReportConfig", "ReportRun", "ReportPlugins",
                "ReportMail", "ReportCluster",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: internalImports
        ),
        // Several nodes sharing one schedule through PostgreSQL (`cluster:`, issue 17): the claims,
        // the heartbeat, the cluster's view of completed slots.
        .target(
            name: "ReportCluster", dependencies: ["ReportCore", "ReportState", "SourcePostgres"], swiftSettings: internalImports),
        .target(name: "CSignalGuard"),
        .executableTarget(
            name: "reportd",
            dependencies: [
                "CSignalGuard", "ReportCore", "ReportFiles", "ReportState", "ReportPublish", "ReportConfig", "ReportRun", "ReportCalculators", "ReportWriters",
                "ReportSources", "ReportTesting", "ReportPlugins", "ReportDaemon", "ReportMail", "ReportCluster",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: internalImports
        ),
        .target(
            name: "FuzzTargets",
            dependencies: ["ReportCore", "ReportConfig", "ReportCalculators", "ReportWriters", "ReportSources", "SourceCSV"],
            swiftSettings: internalImports
        ),
        .executableTarget(name: "fuzz-config", dependencies: ["FuzzTargets"], swiftSettings: internalImports),
        .executableTarget(name: "fuzz-filter", dependencies: ["FuzzTargets"], swiftSettings: internalImports),
        .executableTarget(name: "fuzz-schedule", dependencies: ["FuzzTargets"], swiftSettings: internalImports),
        .executableTarget(name: "fuzz-csv", dependencies: ["FuzzTargets"], swiftSettings: internalImports),
        // What test targets share (a test target cannot depend on another).
        .target(
            name: "TestSupport",
            dependencies: ["ReportCore", "ReportConfig", "ReportPlugins", "ReportCalculators", "ReportWriters", "ReportSources"],
            path: "Tests/Support"
        ),
        .testTarget(name: "ReportCoreTests", dependencies: ["ReportCore", "TestSupport"]),
        .testTarget(
            name: "ReportCalculatorsTests",
            dependencies: [
                "ReportCore", "ReportConfig", "ReportPlugins", "ReportCalculators", "ReportWriters", "ReportSources", "WriterCSV",
                "TestSupport",
            ],
            resources: []
        ),
        .testTarget(name: "ReportFilesTests", dependencies: ["ReportFiles"]),
        .testTarget(name: "ReportStateTests", dependencies: ["ReportCore", "ReportFiles", "ReportState", "ReportPublish"]),
        .testTarget(name: "ReportPublishTests", dependencies: ["ReportCore", "ReportFiles", "ReportPublish"]),
        .testTarget(
            name: "ReportConfigTests",
            dependencies: [
                "ReportTesting", "ReportPlugins",
                "ReportCore", "ReportFiles", "ReportState", "ReportPublish", "ReportConfig", "ReportRun",
                "ReportCalculators", "ReportWriters", "ReportSources", "SourceFiles", "WriterCSV", "WriterHTML", "TestSupport",
                "SourceCSV",
            ]),
        .testTarget(
            name: "ReportRunTests",
            dependencies: [
                "ReportCore", "ReportFiles", "ReportState", "ReportConfig", "ReportRun", "ReportCalculators",
                "ReportWriters", "ReportSources", "SourceFiles", "TestSupport",
            ]),
        .testTarget(
            name: "DataSourcesTests",
            dependencies: [
                "ReportCore", "ReportFiles", "ReportConfig", "ReportCalculators", "ReportWriters", "ReportSources",
                "SourceFiles", "TestSupport", "CCSVScan", .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ] + sourceFolders.map { .target(name: "Source\($0.key)") }
        ),
        .testTarget(
            name: "ReportWritersTests",
            dependencies: [
                "ReportCore", "ReportConfig", "ReportCalculators", "ReportWriters", "ReportSources", "TestSupport",
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ] + writerFolders.map { .target(name: "Writer\($0)") }
        ),
        .testTarget(
            name: "ReportDaemonTests",
            dependencies: [
                "ReportCore", "ReportFiles", "ReportState", "ReportPublish", "ReportConfig", "ReportRun", "ReportDaemon",
                "ReportCalculators", "ReportWriters", "ReportSources", "ReportPlugins", "TestSupport", "ReportCluster",
            ]
        ),
        .testTarget(name: "FuzzCorpusTests", dependencies: ["FuzzTargets"]),
        .testTarget(
            name: "ReportClusterTests", dependencies: ["ReportCore", "ReportState", "ReportCluster", "SourcePostgres", "TestSupport"]),
        .testTarget(name: "ReportMailTests", dependencies: ["ReportCore", "ReportMail", "TestSupport"]),
        .testTarget(name: "ReportSQLTests", dependencies: ["ReportCore", "ReportSQL"]),
        .testTarget(
            name: "SourceSQLiteTests",
            dependencies: [
                "ReportCore", "ReportSQL", "SourceSQLite", "ReportCalculators",
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
            ]),
        .testTarget(
            name: "SourcePostgresTests",
            dependencies: [
                "ReportCore", "ReportSQL", "SourcePostgres", "SourceSQLite", "ReportCalculators", "ReportConfig",
                "ReportSources", "ReportWriters", "TestSupport", .product(name: "SQLiteNIO", package: "sqlite-nio"),
            ]),
        .testTarget(
            name: "EndToEndTests", dependencies: ["reportd", "TestSupport"],
            exclude: [
                "differential.py", "differential_text.py", "cron_differential.py", "schema_check.py",
                "parse_metrics.py", "period_differential.py", "plugins", "mail", "xlsx_check.py",
            ]),
    ],
    swiftLanguageModes: [.v6]
)
