import Testing

@testable import ReportCore

/// Regression tests for what the schedule fuzz target (fuzz-schedule, Tests/Fuzz/schedule) found.
@Suite struct ScheduleFuzzFindingsTests {
    /// `every 9999999999999999h` multiplied past Int.max and trapped (a crash of validate and of
    /// the daemon's reload); it is now an interval longer than a year.
    @Test(arguments: ["every 9999999999999999h", "every 9223372036854775807m", "every 153722867280912931m"])
    func hugeIntervalsAreTooLongNotACrash(_ text: String) {
        #expect(throws: ScheduleError.self) { try Schedule.parse(text) }
        do {
            _ = try Schedule.parse(text)
        } catch {
            #expect(error.message.contains("longer than a year"))
            #expect(error.offset <= text.count)
        }
    }

    /// `every` alone pointed one past the end of the text (offset 6 of 5).
    @Test func everyAlonePointsWithinTheText() {
        do {
            _ = try Schedule.parse("every")
            Issue.record("'every' parsed")
        } catch {
            #expect(error.offset == 5)
        }
    }

    /// Offsets count from the text as written, leading blanks included.
    @Test func offsetsIncludeLeadingBlanks() {
        do {
            _ = try Schedule.parse("  every 5x")
            Issue.record("'every 5x' parsed")
        } catch {
            #expect(error.offset == 9)
            #expect(error.message.contains("unknown interval unit 'x'"))
        }
    }
}
