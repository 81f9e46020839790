import Testing

@testable import ReportCore

/// SPEC, "Outputs": sums of ints and decimals are exact; every other non-integer result is rounded
/// half-to-even to 15 significant digits, so no output shows binary noise (issue 24, point 7).
@Suite struct ResultNumberTests {
    private func decimals(_ xs: [Double?]) -> Column {
        Column(
            spec: ColumnSpec(name: "x", type: .decimal), storage: .decimal(xs.map { $0 ?? 0 }),
            valid: xs.map { $0 != nil })
    }

    @Test func thePercentileOfWholeAmountsHasNoBinaryNoise() {
        // Phong Thổ in the sample: 45, 76, 85 and 350 million; the 90th percentile interpolates
        // 85 + 0.7 × 265 million, which a double computes as 270500000.00000006.
        let raw = Statistics.percentile([45_000_000, 76_000_000, 85_000_000, 350_000_000], p: 90)!
        #expect(raw != 270_500_000, "the noise this rounding removes")
        let value = Value.finite(raw)
        #expect(value == .decimal(270_500_000))
        #expect(value.description == "270500000")
    }

    @Test(arguments: [
        (0.1 + 0.2, 0.3),
        (214_735_000.00000003, 214_735_000),
        (1.0 / 3.0, 0.333333333333333),
        (2.0 / 3.0, 0.666666666666667),
        (-2.0 / 3.0, -0.666666666666667),
        (123_456_789.123456789, 123_456_789.123457),
        (1.665334536937734e-15, 1.66533453693773e-15),
        // Exact binary ties at the 16th digit go to the even digit.
        (1_000_000_000_000_005, 1_000_000_000_000_000),
        (1_000_000_000_000_015, 1_000_000_000_000_020),
        (-1_000_000_000_000_025, -1_000_000_000_000_020),
        (0.5, 0.5),
        (0, 0),
    ])
    func resultsAreRoundedHalfEvenTo15SignificantDigits(raw: Double, expected: Double) {
        #expect(Value.rounded(raw) == expected)
        #expect(Value.finite(raw) == .decimal(expected))
    }

    @Test func theShortestFormOfARoundedResultHasAtMost15Digits() {
        var g = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let x = Double.random(in: -1e12...1e12, using: &g) / Double(Int.random(in: 1...1000, using: &g))
            let text = Value.plainDecimal(Value.rounded(x))
            let digits = text.filter(\.isNumber).drop { $0 == "0" }
            #expect(digits.count <= 15, "\(x) → \(text)")
        }
    }

    @Test func undefinedResultsStayNull() {
        #expect(Value.finite(nil) == .null)
        #expect(Value.finite(.nan) == .null)
        #expect(Value.finite(.infinity) == .null)
    }

    @Test func decimalSumsAreExact() throws {
        let column = decimals([0.1, 0.2, nil, 0.3])
        #expect(try Statistics.exactSum(column, rows: [0, 1, 2, 3]) == .decimal(0.6))
        #expect(Statistics.sumAsDouble(column, rows: [0, 1]) == 0.3)
        // Amounts in đồng with cents: a plain double sum drifts in the last digit.
        let cents = decimals(Array(repeating: 1_234_567.89, count: 10) + [0.01])
        #expect(try Statistics.exactSum(cents, rows: Array(0..<11)) == .decimal(12_345_678.91))
        // Mixed scales: whole numbers, then tenths, then thousandths.
        let mixed = decimals([5, 0.5, 0.005, -1.125])
        #expect(try Statistics.exactSum(mixed, rows: [0, 1, 2, 3]) == .decimal(4.38))
        #expect(Statistics.mean(mixed, rows: [0, 1, 2, 3]) == .decimal(1.095))
    }

    @Test func decimalSumsBeyondFifteenFractionDigitsStillAddUp() throws {
        let tiny = decimals([1e-20, 2e-20, 1, -1])
        let sum = try Statistics.exactSum(tiny, rows: [0, 1, 2, 3])
        guard case .decimal(let x) = sum else {
            Issue.record("\(sum)")
            return
        }
        #expect(abs(x - 3e-20) < 1e-30)
        #expect(try Statistics.exactSum(decimals([nil, nil]), rows: [0, 1]) == .null)
    }
}
