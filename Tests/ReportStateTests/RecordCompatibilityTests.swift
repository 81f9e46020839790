import Foundation
import ReportCore
import Testing

@testable import ReportState

/// Records and states written by reportd 0.7.0 before `trigger` and `outcome` were typed: they
/// decode to the same values and encode back to the same bytes.
@Suite struct RecordCompatibilityTests {
    /// A history line as reportd 0.7.0 wrote it (`reportd run` of the sample config).
    static let oldLine = #"{"attempt":1,"calculators":[{"name":"count","provider":"CalcCount (reportd 0.7.0)"},{"name":"sum","provider":"CalcSum (reportd 0.7.0)"},{"name":"growth","provider":"CalcGrowth (reportd 0.7.0)"}],"dataset":{"checksum":"8efee934b65f73a7","name":"projects","rows":30,"rows_rejected":0,"rows_used":30,"sha256":"85d98934343a17359cecd46c2af797fbee2c33060d8c5618628f034cff0db4bb"},"duration_seconds":0.01,"files":[{"bytes":427,"path":"funding-by-year/funding-by-year_2026-12-06T130008.csv","sha256":"8c1c0f30f2979c7e47c6922f42eaa4057918a8d2ea9416fd56968ca407148b4c"},{"bytes":1929,"path":"funding-by-year/funding-by-year_2026-12-06T130008.json","sha256":"4ded1ce8c6de709c14f655412b35d7faff647dc20ba1f2d385138458c722afcf"},{"bytes":868,"path":"funding-by-year/funding-by-year_2026-12-06T130008.txt","sha256":"1ebb41165adea04c914b565a869f87e542187fe83adcef499b126e1cdade1ddb"},{"bytes":7788,"path":"funding-by-year/funding-by-year_2026-12-06T130008.html","sha256":"fa58ada0caa2db82a62d2307b9ede646e344358904963dff23efcbfe5ffc0d3a"},{"bytes":427,"path":"funding-by-year/latest.csv","sha256":"8c1c0f30f2979c7e47c6922f42eaa4057918a8d2ea9416fd56968ca407148b4c"},{"bytes":1929,"path":"funding-by-year/latest.json","sha256":"4ded1ce8c6de709c14f655412b35d7faff647dc20ba1f2d385138458c722afcf"},{"bytes":868,"path":"funding-by-year/latest.txt","sha256":"1ebb41165adea04c914b565a869f87e542187fe83adcef499b126e1cdade1ddb"},{"bytes":7788,"path":"funding-by-year/latest.html","sha256":"fa58ada0caa2db82a62d2307b9ede646e344358904963dff23efcbfe5ffc0d3a"}],"finished":"2026-12-06T06:00:08+00:00","outcome":"success","pid":27417,"report":"funding-by-year","reportd":"0.7.0","slot":"2026-12-06T13:00:08+07:00","started":"2026-12-06T06:00:08+00:00","trigger":"manual"}"#

    /// A state file as reportd 0.7.0 wrote it.
    static let oldState = #"""
{
  "failures_total" : 0,
  "last_run" : {
    "duration" : 0.009514808654785156,
    "failures_in_a_row" : 0,
    "finished_at" : 1796536808.697029,
    "outcome" : "success",
    "rows_rejected" : 0,
    "rows_used" : 30,
    "slot" : 1796536808.6301239,
    "trigger" : "manual"
  },
  "last_success" : {
    "duration" : 0.009514808654785156,
    "failures_in_a_row" : 0,
    "finished_at" : 1796536808.697029,
    "outcome" : "success",
    "rows_rejected" : 0,
    "rows_used" : 30,
    "slot" : 1796536808.6301239,
    "trigger" : "manual"
  },
  "runs_total" : 1
}
"""#

    @Test func anOldHistoryLineDecodesAndEncodesBackByteForByte() throws {
        let record = try RunHistory.decoder.decode(RunRecord.self, from: Data(Self.oldLine.utf8))
        #expect(record.trigger == .manual)
        #expect(record.outcome == .success)
        #expect(RunHistory.encode(record) == Array(Self.oldLine.utf8) + [0x0A])
    }

    @Test func everyTriggerAndOutcomeKeepsItsWord() throws {
        let words: [(RunTrigger, String)] = [
            (.schedule, "schedule"), (.catchUp, "catch-up"), (.retry, "retry"), (.manual, "manual"),
            (.backfill, "backfill"),
        ]
        for (trigger, word) in words {
            var line = Self.oldLine.replacingOccurrences(of: #""trigger":"manual""#, with: #""trigger":"\#(word)""#)
            line = line.replacingOccurrences(of: #""outcome":"success""#, with: #""outcome":"failed""#)
            let record = try RunHistory.decoder.decode(RunRecord.self, from: Data(line.utf8))
            #expect(record.trigger == trigger && record.outcome == .failed)
            #expect(RunHistory.encode(record) == Array(line.utf8) + [0x0A])
        }
    }

    @Test func anUnknownTriggerIsNotARecord() {
        let line = Self.oldLine.replacingOccurrences(of: #""trigger":"manual""#, with: #""trigger":"whim""#)
        #expect(throws: DecodingError.self) {
            try RunHistory.decoder.decode(RunRecord.self, from: Data(line.utf8))
        }
    }

    @Test func anOldStateFileDecodesAndEncodesBackByteForByte() throws {
        let state = try StateStore.decoder.decode(ReportState.self, from: Data(Self.oldState.utf8))
        #expect(state.lastRun?.trigger == .manual)
        #expect(state.lastRun?.outcome == .success)
        #expect(state.lastSuccess?.outcome == .success)
        #expect(try StateStore.encoder.encode(state) == Data(Self.oldState.utf8))
    }
}
