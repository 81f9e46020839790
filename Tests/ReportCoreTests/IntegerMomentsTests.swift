import Testing

@testable import ReportCore

/// The exact count, sum and sum of squares of integers, and the standard deviation from them.
@Suite struct IntegerMomentsTests {
    func moments(_ xs: [Int64]) -> IntegerMoments {
        var m = IntegerMoments()
        for x in xs { m.add(x) }
        return m
    }

    @Test func sampleStandardDeviationUsesNMinusOne() {
        #expect(moments([2, 4, 4, 4, 5, 5, 7, 9]).sampleStandardDeviation == 2.138_089_935_299_395)
        #expect(moments([1, 2]).sampleStandardDeviation == 0.707_106_781_186_547_6)
        #expect(moments([3, 3, 3]).sampleStandardDeviation == 0)
        #expect(moments([42]).sampleStandardDeviation == nil)
        #expect(moments([]).sampleStandardDeviation == nil)
    }

    /// Values past 2^53, one apart: doubles cannot tell them apart (a two-pass sum in doubles
    /// gives 0); the exact moments give √0.5.
    @Test func valuesPastTwoToThe53AreExact() {
        #expect(moments([3_000_000_000_000_000_007, 3_000_000_000_000_000_008]).sampleStandardDeviation == 0.5.squareRoot())
        let extremes = moments([Int64.max, Int64.min, Int64.max, Int64.min])
        let expected = (Double(UInt64.max) + 1) / 2 * (4.0 / 3).squareRoot()
        #expect(abs(extremes.sampleStandardDeviation! - expected) <= 1e-15 * expected)
    }

    /// The same figure whatever the order of the values, and from the texts a database gives.
    @Test func theOrderAndTheTextsGiveTheSameFigure() throws {
        var random = SystemRandomNumberGenerator()
        let xs = (0..<1_000).map { _ in Int64.random(in: -4_000_000_000_000_000_000...4_000_000_000_000_000_000, using: &random) }
        let a = moments(xs)
        #expect(moments(xs.shuffled()) == a)
        let squares = xs.reduce(into: (UInt128(0), UInt128(0))) { acc, x in
            let (low, carry) = acc.1.addingReportingOverflow(UInt128(x.magnitude) * UInt128(x.magnitude))
            acc = (acc.0 + (carry ? 1 : 0), low)
        }
        // Σx² in decimal, by repeated division of the 256-bit value.
        var (high, low) = squares
        var digits: [Character] = []
        repeat {
            let (qh, rh) = high.quotientAndRemainder(dividingBy: 10)
            let (ql, rl) = UInt128(10).dividingFullWidth((rh, low))
            high = qh
            low = ql
            digits.append(Character(String(rl)))
        } while high != 0 || low != 0
        let text = String(digits.reversed())
        let parsed = try #require(IntegerMoments(count: "\(xs.count)", sum: "\(a.sum)", squares: text))
        #expect(parsed == a)
        #expect(parsed.sampleStandardDeviation == a.sampleStandardDeviation)
    }

    @Test func textsOutOfRangeAreRefused() {
        #expect(IntegerMoments(count: "2", sum: "1", squares: "x") == nil)
        #expect(IntegerMoments(count: "2", sum: "1", squares: "") == nil)
        #expect(IntegerMoments(count: "2", sum: "1", squares: String(repeating: "9", count: 78)) == nil)
        #expect(IntegerMoments(count: "2", sum: "1" + String(repeating: "0", count: 39), squares: "1") == nil)
        #expect(IntegerMoments(count: "2", sum: "1", squares: String(repeating: "9", count: 77)) != nil)
    }
}
