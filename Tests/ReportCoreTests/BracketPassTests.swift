import Testing
import TestSupport

@testable import ReportCore

/// `Statistics.bracketPass` (issue 20), four values at a time, against the loop over single
/// values it replaced: every length's tail, NaN, ±0, infinities, brackets that hold nothing,
/// everything or more than the room.
@Suite struct BracketPassTests {
    static func plain(_ xs: [Double], low: Double, high: Double, room: Int) -> (Int, [Double], Bool) {
        var under = 0
        var inside: [Double] = []
        for x in xs {
            if x < low {
                under += 1
            } else if x <= high {
                if inside.count == room { return (0, inside, true) }
                inside.append(x)
            }
        }
        return (under, inside, inside.count == room)
    }

    @Test(arguments: 0..<40)
    func fourAtATimeIsTheSingleValueLoop(seed: UInt64) {
        var g = SeededGenerator(seed: seed)
        let pool: [Double] = [0, -0.0, 1, -1, 2.5, .nan, .infinity, -.infinity, 1e300, 3, 3, 3]
        for n in [0, 1, 2, 3, 4, 5, 7, 8, 9, 63, 64, 65, 1_000] {
            let xs = (0..<n).map { _ in
                Bool.random(using: &g) ? pool.randomElement(using: &g)! : Double(Int.random(in: -50...50, using: &g))
            }
            let bounds: [Double] = [-.infinity, -10, -0.0, 0, 3, 10, .infinity]
            let low = bounds.randomElement(using: &g)!
            let high = max(low, bounds.randomElement(using: &g)!)
            for room in [0, 1, 5, n + 1] {
                var copy = xs
                let out = UnsafeMutablePointer<Double>.allocate(capacity: max(1, room))
                defer { out.deallocate() }
                let (under, count) = copy.withUnsafeMutableBufferPointer {
                    Statistics.bracketPass($0, low: low, high: high, into: out, room: room)
                }
                let (plainUnder, plainInside, full) = Self.plain(xs, low: low, high: high, room: room)
                #expect((count == room) == full, "n \(n) low \(low) high \(high) room \(room)")
                if !full {
                    #expect(under == plainUnder)
                    #expect(
                        (0..<count).map { out[$0].bitPattern } == plainInside.map(\.bitPattern),
                        "n \(n) low \(low) high \(high) room \(room)")
                }
            }
        }
    }
}
