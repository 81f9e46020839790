import Foundation
import ReportCore
import SourceCSV
import Testing
import TestSupport

/// A dataset's own keys (`encoding`, `delimiter` of a CSV dataset), read by its source kind through
/// the settings protocol and located by the loader.
@Suite(.blocking) struct DatasetSettingsTests {
    func daemon(_ extra: String, format: String = "csv") -> String {
        ConfigFixture.daemon.replacingOccurrences(of: "format: csv", with: "format: \(format)") + "\n"
            + extra.split(separator: "\n").map { "    \($0)\n" }.joined()
    }

    @Test func encodingAndDelimiterAreRead() throws {
        let fixture = try ConfigFixture(
            daemon: daemon("encoding: windows-1258\ndelimiter: \";\""), reports: ["r.yaml": validReport])
        let config = fixture.load()
        #expect(config.errors.isEmpty, "\(config.errors)")
        let dataset = try #require(config.daemon?.datasets.first)
        #expect(dataset.csv.encoding == .windows1258)
        #expect(dataset.csv.delimiter == UInt8(ascii: ";"))
    }

    @Test func aTabIsADelimiter() throws {
        let fixture = try ConfigFixture(daemon: daemon("delimiter: \"\\t\""), reports: ["r.yaml": validReport])
        #expect(try #require(fixture.load().daemon?.datasets.first).csv.delimiter == 9)
    }

    @Test func anUnknownEncodingIsLocatedWithTheChoices() throws {
        let fixture = try ConfigFixture(daemon: daemon("encoding: windows-1285"), reports: ["r.yaml": validReport])
        let errors = fixture.errors()
        #expect(errors.count == 1, "\(errors)")
        let e = try #require(errors.first)
        #expect(e.file == "reportd.yaml" && e.line == 12 && e.column == 15, "\(e)")
        #expect(e.message.contains("'encoding'") && e.message.contains("windows-1258"), "\(e.message)")
    }

    @Test func anUnknownDelimiterIsLocated() throws {
        let fixture = try ConfigFixture(daemon: daemon("delimiter: \"|\""), reports: ["r.yaml": validReport])
        let e = try #require(fixture.errors().first)
        #expect(e.line == 12 && e.message.contains("'delimiter' must be"), "\(e)")
    }

    @Test func csvKeysOnAJSONDatasetAreRefused() throws {
        let fixture = try ConfigFixture(
            daemon: daemon("encoding: utf-16", format: "json"), reports: ["r.yaml": validReport])
        let e = try #require(fixture.errors().first)
        #expect(e.line == 12 && e.message.contains("'encoding' is for csv datasets, not json"), "\(e)")
    }

    @Test func aMisspelledKeyGetsADidYouMean() throws {
        let fixture = try ConfigFixture(daemon: daemon("encodng: utf-16"), reports: ["r.yaml": validReport])
        let e = try #require(fixture.errors().first)
        #expect(e.message.contains("did you mean 'encoding'?"), "\(e)")
    }
}
