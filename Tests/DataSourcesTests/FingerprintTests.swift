import CCSVScan
import Foundation
import Testing
import TestSupport

@testable import SourceCSV
@testable import SourceFiles

/// The files' fingerprint (issue 20): the per-segment hash in C (Fingerprint.c) at every level this
/// CPU has (0 the word-at-a-time code of every machine, 1 AVX2), against a plain Swift
/// rendering of the algorithm written from its description; what a checksum must notice (a bit
/// flipped anywhere, a length, two stripes swapped); and the segments streamed in pieces.
@Suite(.blocking) struct FingerprintTests {
    static let levels = Array(Int32(0)...reportd_simd_cpu_level())

    /// The algorithm as Fingerprint.c describes it, one stripe at a time with plain arithmetic.
    enum Reference {
        static let k: [UInt64] = (0..<55).map { Fingerprint.mix(Fingerprint.p1 &* UInt64($0 + 1)) }

        static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
            var acc = Array(k[0..<8])
            func stripe(_ d: [UInt64], key: Int) {
                for i in 0..<8 {
                    let x = d[i] ^ k[key + i]
                    acc[i] = acc[i] &+ d[i ^ 1] &+ (x & 0xFFFF_FFFF) &* (x >> 32)
                }
            }
            /// The stripe's eight little-endian words.
            func words(_ p: UnsafeRawPointer) -> [UInt64] {
                (0..<8).map { UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 8 * $0, as: UInt64.self)) }
            }
            let n = bytes.count
            var i = 0
            var s = 0
            while n - i >= 64 {
                stripe(words(bytes.baseAddress! + i), key: 8 + s)
                i += 64
                s += 1
                if s == 16 {
                    for l in 0..<8 { acc[l] = (acc[l] ^ (acc[l] >> 47) ^ k[31 + l]) &* 0x9E37_79B1 }
                    s = 0
                }
            }
            if i < n {
                // The last partial stripe, padded with zeros.
                let last = Array(bytes[i..<n]) + [UInt8](repeating: 0, count: 64 - (n - i))
                stripe(last.withUnsafeBytes { words($0.baseAddress!) }, key: 39)
            }
            var h = UInt64(n) &* Fingerprint.p1
            for j in 0..<4 {
                let product = (acc[2 * j] ^ k[47 + 2 * j]).multipliedFullWidth(by: acc[2 * j + 1] ^ k[48 + 2 * j])
                h = h &+ (product.high ^ product.low)
            }
            return Fingerprint.mix(h)
        }
    }

    static func random(_ count: Int, seed: UInt64) -> [UInt8] {
        var g = SeededGenerator(seed: seed)
        var bytes = [UInt8](repeating: 0, count: count)
        for i in 0..<count { bytes[i] = UInt8(truncatingIfNeeded: g.next()) }
        return bytes
    }

    /// The hash of `p[0..<n]` at each level, then by the process's dispatch.
    static func all(_ p: UnsafePointer<UInt8>, _ n: Int) -> [UInt64] {
        levels.map { reportd_fingerprint_hash_level($0, p, n) } + [Fingerprint.hash(p, n)]
    }

    static func agree(_ bytes: ArraySlice<UInt8>, _ note: @autoclosure () -> String) {
        bytes.withUnsafeBufferPointer { b in
            let p = b.baseAddress ?? UnsafePointer(bitPattern: 1)!
            let reference = Reference.hash(b)
            for (which, h) in all(p, b.count).enumerated() where h != reference {
                Issue.record("implementation \(which) (levels \(levels), then the dispatch): \(note())")
            }
        }
    }

    @Test func everyLevelAgreesWithTheReferenceOnEveryLengthAndAlignment() {
        let bytes = Self.random(3000, seed: 1)
        for offset in 0..<8 {
            for n in 0...300 { Self.agree(bytes[offset..<offset + n], "length \(n) at offset \(offset)") }
            // Around the block of 16 stripes (1,024 bytes) and its scramble.
            for n in [1023, 1024, 1025, 1087, 1088, 1089, 2047, 2048, 2049, 2111, 2112, 2113] {
                Self.agree(bytes[offset..<offset + n], "length \(n) at offset \(offset)")
            }
        }
        var g = SeededGenerator(seed: 2)
        for _ in 0..<200 {
            let offset = Int.random(in: 0..<64, using: &g)
            let n = Int.random(in: 0...(bytes.count - offset), using: &g)
            Self.agree(bytes[offset..<offset + n], "length \(n) at offset \(offset)")
        }
    }

    @Test func everyLevelAgreesOnAWholeSegment() {
        let bytes = Self.random(Fingerprint.segment + 100, seed: 3)
        Self.agree(bytes[0..<Fingerprint.segment], "a segment")
        Self.agree(bytes[37..<Fingerprint.segment + 37], "a segment at offset 37")
        // Every byte value, and runs of zeros and of ones, over a segment.
        let patterned = (0..<Fingerprint.segment).map { i in
            i % 3000 < 1000 ? UInt8(truncatingIfNeeded: i) : i % 3000 < 2000 ? 0 : 0xFF
        }
        Self.agree(patterned[...], "a patterned segment")
    }

    /// Every bit of `bytes[positions]` flipped alone changes the hash at every level.
    static func flipsShow(_ original: [UInt8], at positions: some Sequence<Int>) {
        var bytes = original
        let before = bytes.withUnsafeBufferPointer { all($0.baseAddress!, $0.count) }
        #expect(Set(before).count == 1)
        for position in positions {
            for bit in 0..<8 {
                bytes[position] ^= 1 << bit
                let after = bytes.withUnsafeBufferPointer { all($0.baseAddress!, $0.count) }
                #expect(Set(after).count == 1, "levels disagree after flipping bit \(bit) of byte \(position)")
                if after[0] == before[0] { Issue.record("bit \(bit) of byte \(position) of \(bytes.count) unnoticed") }
                bytes[position] ^= 1 << bit
            }
        }
    }

    @Test func aFlippedBitAnywhereChangesTheHash() {
        // Every position of a few hundred bytes: whole stripes and a partial one, random and zeros.
        for n in [1, 7, 63, 64, 65, 300] {
            Self.flipsShow(Self.random(n, seed: UInt64(n)), at: 0..<n)
            Self.flipsShow([UInt8](repeating: 0, count: n), at: 0..<n)
        }
        // Near every 32- and 64-byte edge of a few blocks (the scramble after 1,024 bytes), and the end.
        let n = 4 * 1024 + 100
        let edges = Set(stride(from: 0, through: n, by: 32).flatMap { ($0 - 2)...($0 + 1) })
            .filter { $0 >= 0 && $0 < n }
        Self.flipsShow(Self.random(n, seed: 5), at: edges.sorted())
        Self.flipsShow([UInt8](repeating: 0, count: n), at: edges.sorted())
    }

    @Test func everyLengthGivesADistinctValue() {
        for bytes in [Self.random(2100, seed: 6), [UInt8](repeating: 0, count: 2100)] {
            bytes.withUnsafeBufferPointer { b in
                let p = b.baseAddress!
                for level in Self.levels {
                    let hashes = (0...b.count).map { reportd_fingerprint_hash_level(level, p, $0) }
                    #expect(Set(hashes).count == hashes.count, "level \(level), \(bytes[0] == 0 ? "zeros" : "random")")
                }
            }
        }
    }

    @Test func twoStripesSwappedOrAMovedRangeChangeTheHash() {
        let original = Self.random(3000, seed: 7)
        let hash = { (bytes: [UInt8]) in bytes.withUnsafeBufferPointer { Self.all($0.baseAddress!, $0.count) } }
        let before = hash(original)
        // Stripes of one block, of two blocks, and the stripes after the last whole block.
        for (a, b) in [(0, 1), (0, 15), (3, 9), (15, 16), (0, 31), (32, 40), (33, 45)] {
            var swapped = original
            swapped.replaceSubrange(a * 64..<a * 64 + 64, with: original[b * 64..<b * 64 + 64])
            swapped.replaceSubrange(b * 64..<b * 64 + 64, with: original[a * 64..<a * 64 + 64])
            let after = hash(swapped)
            #expect(Set(after).count == 1)
            #expect(after[0] != before[0], "stripes \(a) and \(b) swapped")
        }
        // The same 8-byte word in the other half of its 16-byte pair (the neighbour's term).
        var moved = original
        moved.replaceSubrange(0..<16, with: original[8..<16] + original[0..<8])
        #expect(hash(moved)[0] != before[0])
    }

    @Test func theHashTakenInBlocksIsTheHashOfTheWhole() {
        let bytes = Self.random(40 * 1024 + 100, seed: 10)
        var g = SeededGenerator(seed: 11)
        bytes.withUnsafeBufferPointer { b in
            let p = b.baseAddress!
            for level in Self.levels {
                for n in [0, 1, 64, 1023, 1024, 1025, 2048, 5000, b.count] {
                    var state = reportd_fingerprint_state()
                    reportd_fingerprint_start(&state)
                    var i = 0
                    // Whole blocks in pieces of 0 to 5 blocks, then the rest.
                    while n - i >= 1024 {
                        let take = min(Int.random(in: 0...5, using: &g), (n - i) / 1024) * 1024
                        reportd_fingerprint_blocks_level(level, &state, p + i, take)
                        i += take
                    }
                    let h = reportd_fingerprint_finish_level(level, &state, p + i, n - i, n)
                    #expect(h == reportd_fingerprint_hash_level(level, p, n), "level \(level), \(n) bytes")
                }
            }
        }
    }

    /// The CSV stream reads each block in steps of `CSVStream.checksumStep`, adding each to the
    /// fingerprint as it arrives: blocks of several steps, and blocks that end inside one.
    @Test(arguments: [1 << 20, 300_000])
    func aStreamedReadInStepsGivesTheFingerprintOfTheFile(blockSize: Int) throws {
        let bytes = ParallelCSVTests.csv(rows: 30_000, seed: 12, bad: false)
        #expect(bytes.count > 3 * CSVStream.checksumStep)
        // `streamed` checks the fingerprint and the SHA-256 against those of the bytes.
        let one = ParallelCSVTests.outcome(bytes, parts: 1, onBadRows: .fail)
        #expect(try ParallelCSVTests.streamed(bytes, blockSize: blockSize, onBadRows: .fail) == one)
    }

    @Test func aStreamInPiecesOfAnySizeGivesTheFingerprintOfTheWhole() {
        let segment = Fingerprint.segment
        let bytes = Self.random(2 * segment + 12_345, seed: 8)
        let whole = Fingerprint.of(bytes)
        // The combination of the segments' hashes, each by the reference.
        let segments = stride(from: 0, to: bytes.count, by: segment).map { start in
            bytes.withUnsafeBufferPointer { b in
                Reference.hash(UnsafeBufferPointer(rebasing: b[start..<min(start + segment, b.count)]))
            }
        }
        #expect(whole == Fingerprint.combine(segments, length: bytes.count))
        func streamed(_ bytes: [UInt8], _ size: (Int) -> Int) -> UInt64 {
            var accumulator = Fingerprint.Accumulator()
            bytes.withUnsafeBufferPointer { b in
                var i = 0
                var piece = 0
                while i < b.count {
                    let n = min(size(piece), b.count - i)
                    accumulator.add(b.baseAddress! + i, n)
                    i += n
                    piece += 1
                }
            }
            return accumulator.finish()
        }
        for size in [segment - 1, segment, segment + 1, 3 * segment, 1_000_003, 65_536, 4 << 20, 1023, 1025, 300_000] {
            #expect(streamed(bytes, { _ in size }) == whole, "pieces of \(size) bytes")
        }
        var g = SeededGenerator(seed: 9)
        let sizes = (0..<400).map { _ in Int.random(in: 1...200_000, using: &g) }
        #expect(streamed(bytes, { sizes[$0 % sizes.count] }) == whole, "pieces of random sizes")
        // Pieces of every size from 1 to 300 over a buffer shorter than a segment.
        let small = Array(bytes[0..<5000])
        for size in 1...300 { #expect(streamed(small, { _ in size }) == Fingerprint.of(small), "pieces of \(size)") }
    }
}
