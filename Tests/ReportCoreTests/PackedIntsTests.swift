import Testing
import TestSupport

@testable import ReportCore

/// `PackedInts` and `PackedIntsBuilder` against plain `[Int64]`: every value back as it went in,
/// through every width and every move of the base.
@Suite struct PackedIntsTests {
    /// A run of values drawn from ranges that cross each width's edge, up and down.
    static func values(_ g: inout SeededGenerator, count: Int) -> [Int64] {
        let ranges: [ClosedRange<Int64>] = [
            0...255, 1000...1255, -3...252, 900...1200, -40_000...25_534, 60_000...70_000,
            -2_000_000_000...2_000_000_000, 4_000_000_000...4_294_967_295, -5_000_000_000...0,
            Int64.min...(Int64.min + 10), (Int64.max - 10)...Int64.max, -1...0,
        ]
        var out: [Int64] = []
        var range = ranges[0]
        for _ in 0..<count {
            if Int.random(in: 0..<200, using: &g) == 0 { range = ranges.randomElement(using: &g)! }
            out.append(Int64.random(in: range, using: &g))
        }
        return out
    }

    @Test(arguments: 0..<20)
    func builtPartByPartGivesEveryValueBack(seed: UInt64) {
        var g = SeededGenerator(seed: seed)
        let values = Self.values(&g, count: 5000)
        let valid = values.map { _ in Int.random(in: 0..<9, using: &g) != 0 }
        var builder = PackedIntsBuilder(capacity: Int.random(in: 0...6000, using: &g))
        var i = 0
        while i < values.count {
            let n = min(values.count - i, Int.random(in: 0...300, using: &g))
            let part = Array(values[i..<i + n])
            let flags = Array(valid[i..<i + n])
            builder.append(contentsOf: part, valid: flags.contains(false) ? flags : nil)
            i += n
        }
        let packed = builder.finish()
        #expect(packed.count == values.count)
        for k in values.indices where valid[k] { #expect(packed[k] == values[k], "row \(k)") }
        // Narrowest width for the valid values' span (an i64 only when 4 bytes cannot hold it).
        let live = values.indices.filter { valid[$0] }.map { values[$0] }
        if let low = live.min(), let high = live.max() {
            #expect(packed.bytesPerValue == PackedInts.Width.width(low, high).rawValue, "\(low)...\(high)")
        }
        let direct = PackedInts(values, valid: valid)
        for k in values.indices where valid[k] { #expect(direct[k] == values[k]) }
        #expect(Array(PackedInts(values)) == values)
    }

    /// The bulk append against the per-cell append it replaced, part by part: the same base,
    /// width and words after every part (nulls as word 0), for every width and move of the base,
    /// empty parts, all-null parts, and a flag list shorter than the values.
    @Test(arguments: 0..<30)
    func bulkAppendGivesThePerCellWords(seed: UInt64) {
        var g = SeededGenerator(seed: seed)
        let values = Self.values(&g, count: 4000)
        let nullRate = [0, 2, 9, 1000].randomElement(using: &g)!
        let valid = values.map { _ in nullRate == 0 || Int.random(in: 0..<nullRate, using: &g) != 0 }
        let capacity = Int.random(in: 0...5000, using: &g)
        var bulk = PackedIntsBuilder(capacity: capacity)
        var plain = PackedIntsBuilder(capacity: capacity)
        var i = 0
        while i < values.count {
            let n = min(values.count - i, Int.random(in: 0...400, using: &g))
            let part = Array(values[i..<i + n])
            var flags: [Bool]? = Array(valid[i..<i + n])
            switch Int.random(in: 0..<8, using: &g) {
            case 0: flags = part.map { _ in false }
            case 1: flags = nil
            case 2: flags = flags.map { Array($0.dropLast(min($0.count, 3))) }
            default: if !flags!.contains(false) { flags = nil }
            }
            bulk.append(contentsOf: part, valid: flags)
            plain.appendPlain(contentsOf: part, valid: flags)
            #expect(bulk.count == plain.count)
            i += n
        }
        let a = bulk.finish()
        let b = plain.finish()
        #expect(a.base == b.base && a.bytesPerValue == b.bytesPerValue)
        switch (a.words, b.words) {
        case (.u8(let x), .u8(let y)): #expect(x == y)
        case (.u16(let x), .u16(let y)): #expect(x == y)
        case (.u32(let x), .u32(let y)): #expect(x == y)
        case (.i64(let x), .i64(let y)): #expect(x == y)
        default: Issue.record("widths differ")
        }
    }

    @Test func eachWidthAtItsEdges() {
        let cases: [([Int64], Int)] = [
            ([], 1), ([7], 1), ([0, 255], 1), ([0, 256], 2), ([-1, 254], 1), ([-1, 255], 2), ([5, 65_540], 2),
            ([5, 65_541], 4), ([-2_147_483_648, 2_147_483_647], 4), ([0, 4_294_967_295], 4), ([0, 4_294_967_296], 8),
            ([Int64.min, Int64.max], 8), ([Int64.min, Int64.min + 255], 1), ([Int64.max - 255, Int64.max], 1),
        ]
        for (values, bytes) in cases {
            let packed = PackedInts(values)
            #expect(packed.bytesPerValue == bytes, "\(values)")
            #expect(Array(packed) == values)
            var builder = PackedIntsBuilder()
            for v in values { builder.append(contentsOf: [v], valid: nil) }
            let built = builder.finish()
            #expect(Array(built) == values)
            #expect(built.bytesPerValue == bytes, "built \(values)")
        }
    }

    /// A dictionary's codes (-1 for null) growing one value at a time past 255 and 65,535, then
    /// merged into fewer (the NFC step).
    @Test func codesWidenAsTheDictionaryGrowsAndRemap() {
        var builder = PackedIntsBuilder()
        var plain: [Int64] = []
        for count in 1...70_000 {
            let code: Int64 = count % 97 == 0 ? -1 : Int64(count - 1)
            builder.include(low: -1, high: Int64(count - 1))
            builder.append(code)
            plain.append(code)
            if count == 254 || count == 65_534 {
                var copy = builder
                #expect(copy.finish().bytesPerValue == (count == 254 ? 1 : 2))
            }
        }
        builder.remap { $0 < 0 ? -1 : $0 / 2 }
        let packed = builder.finish()
        #expect(packed.bytesPerValue == 4)
        #expect(Array(packed) == plain.map { $0 < 0 ? -1 : $0 / 2 })
    }

    @Test func validityKeepsFlagsOnlyWithANull() {
        #expect(!Validity([true, true], count: 2).hasNulls)
        #expect(!Validity([], count: 5).hasNulls && Validity([], count: 5).count == 5)
        let some = Validity([true, false, true], count: 3)
        #expect(some.hasNulls && Array(some) == [true, false, true])
    }
}

extension PackedInts.Width {
    /// The width for a span, as the tests expect it.
    static func width(_ low: Int64, _ high: Int64) -> PackedInts.Width { PackedInts.width(low: low, high: high) }
}
