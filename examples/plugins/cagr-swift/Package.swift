// swift-tools-version: 6.0
// An external calculator plugin for reportd (see PLUGINS.md at the repository root): `cagr`,
// the compound annual growth rate of a column's sum. No dependencies beyond Foundation.
import PackageDescription

let package = Package(
    name: "cagr",
    products: [
        .executable(name: "cagr", targets: ["cagr"])
    ],
    targets: [
        .executableTarget(name: "cagr")
    ]
)
