import Foundation
import ReportCalculators
import Testing
import TestSupport

@testable import ReportCore
@testable import ReportConfig
@testable import SourceCSV
@testable import SourceFiles
@testable import SourceJSON

/// Issue 24, point 5: the same district typed with precomposed letters (NFC) and with combining
/// marks (NFD) is one value everywhere: one group, one filter match, one sort key, one spelling.
@Suite(.blocking) struct TextNormalisationTests {
    static let nfc = ["Mường Tè", "Sìn Hồ", "Tân Uyên", "Phong Thổ"]
    static let nfd = nfc.map(\.decomposedStringWithCanonicalMapping)

    static let schema = DatasetSchema(columns: [
        ColumnSpec(name: "district", type: .string, required: true),
        ColumnSpec(name: "amount", type: .int),
    ])

    static func config(_ path: String, format: DatasetConfig.Format = "csv") -> DatasetConfig {
        DatasetConfig(
            name: "d", format: format, path: path, schemaPath: "schema.yaml", schema: schema, onBadRows: .fail)
    }

    /// A CSV of `rows` rows cycling through the districts, odd rows in NFD, some quoted.
    static func csv(rows: Int) -> [UInt8] {
        var text = "district,amount\n"
        for i in 0..<rows {
            let name = (i % 2 == 0 ? nfc : nfd)[(i / 2) % nfc.count]
            text += (i % 3 == 0 ? "\"\(name)\"" : name) + ",\(i)\n"
        }
        return Array(text.utf8)
    }

    static func districts(_ loaded: LoadedDataset) -> (codes: [Int32], dictionary: [String]) {
        guard case .string(let codes, let dictionary) = loaded.table.column("district")!.storage else {
            return ([], [])
        }
        return (codes.map { Int32($0) }, dictionary)
    }

    func withFile<T>(_ bytes: [UInt8], _ name: String = "data.csv", _ body: (String) throws -> T) throws -> T {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("reportd-nfc-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent(name).path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return try body(path)
    }

    @Test(arguments: [1, 3, 8])
    func csvCellsInEitherFormAreOneValue(parts: Int) throws {
        let loaded = try CSVLoader.readCSV(
            Self.csv(rows: 400), config: Self.config("data.csv"), display: "data.csv", parts: parts)
        let (codes, dictionary) = Self.districts(loaded)
        #expect(dictionary.count == 4)
        #expect(
            dictionary.allSatisfy { d in Self.nfc.contains { $0.utf8.elementsEqual(d.utf8) } },
            "\(dictionary.map { Array($0.unicodeScalars) })")
        // Rows 0 (NFC) and 1 (NFD) are the same district: the same code.
        #expect(codes[0] == codes[1])
        #expect(Set(codes).count == 4)
    }

    @Test(arguments: [64, 1000, 1 << 20])
    func streamedBlocksNormaliseToo(blockSize: Int) throws {
        let loaded = try withFile(Self.csv(rows: 300)) { path in
            try CSVLoader.load(Self.config(path), columns: nil, blockSize: blockSize)
        }
        let (codes, dictionary) = Self.districts(loaded)
        #expect(dictionary.count == 4)
        #expect(codes[0] == codes[1])
    }

    @Test func jsonCellsAndCSVHeadersAreNormalised() throws {
        let nfdName = "Huyện".decomposedStringWithCanonicalMapping
        let schema = DatasetSchema(columns: [ColumnSpec(name: "Huyện", type: .string)])
        let csv = Array("\(nfdName)\n\(Self.nfd[0])\n\(Self.nfc[0])\n".utf8)
        let loaded = try CSVLoader.readCSV(
            csv,
            config: DatasetConfig(
                name: "d", format: "csv", path: "x", schemaPath: "s", schema: schema, onBadRows: .fail),
            display: "x")
        #expect(loaded.header.first?.utf8.elementsEqual("Huyện".utf8) == true)
        guard case .string(let codes, let dictionary) = loaded.table.columns[0].storage else { return }
        #expect(Array(codes) == [0, 0])
        #expect(dictionary.count == 1 && dictionary[0].utf8.elementsEqual(Self.nfc[0].utf8))

        let json =
            "[{\"district\": \"\(Self.nfd[1])\", \"amount\": 1}, {\"district\": \"\(Self.nfc[1])\", \"amount\": 2}]"
        let fromJSON = try withFile(Array(json.utf8), "data.json") { path in
            try JSONLoader.load(Self.config(path, format: "json"))
        }
        let (jsonCodes, jsonDictionary) = Self.districts(fromJSON)
        #expect(jsonCodes == [0, 0])
        #expect(jsonDictionary.count == 1 && jsonDictionary[0].utf8.elementsEqual(Self.nfc[1].utf8))
    }

    @Test func oneGroupOneFilterMatchOneSortKeyOneSpelling() throws {
        // Each district twice in each form, amounts chosen so that a split group shows.
        var text = "district,amount\n"
        for (i, name) in Self.nfc.enumerated() {
            text += "\(name),\(10 * (i + 1))\n\(Self.nfd[i]),\(100 * (i + 1))\n\(Self.nfd[i]),\(1)\n"
        }
        let loaded = try CSVLoader.readCSV(Array(text.utf8), config: Self.config("x"), display: "x")
        let literal = Self.nfd[0]  // typed with combining marks in the report
        let filter = try CompiledFilter.compile("district in [\"\(literal)\", \"\(Self.nfc[1])\"]", schema: Self.schema)
            .get()
        var report = ReportDefinition(
            name: "r", title: "r", dataset: "d", schedule: .every(seconds: 3600), timezone: "UTC",
            metrics: [
                MetricDefinition(name: "n", calc: "count", parameters: MetricParameters()),
                MetricDefinition(name: "low", calc: "min", parameters: MetricParameters(["column": .string("amount")])),
                MetricDefinition(
                    name: "high", calc: "max", parameters: MetricParameters(["column": .string("amount")])),
                MetricDefinition(
                    name: "mid", calc: "median", parameters: MetricParameters(["column": .string("amount")])),
            ])
        report.groupBy = ["district"]
        report.filter = filter
        let result = try ReportEngine(calculators: BuiltinCalculators.registry).execute(report, on: loaded.table)
        #expect(result.rows.count == 2)
        #expect(result.rows.map { $0[0] } == [.string(Self.nfc[0]), .string(Self.nfc[1])])
        #expect(
            result.rows.allSatisfy {
                if case .string(let s) = $0[0] { Self.nfc.contains { $0.utf8.elementsEqual(s.utf8) } } else { false }
            })
        #expect(result.rows[0][1...] == [.int(3), .int(1), .int(100), .decimal(10)])
        #expect(result.rows[1][1...] == [.int(3), .int(1), .int(200), .decimal(20)])
    }
}
