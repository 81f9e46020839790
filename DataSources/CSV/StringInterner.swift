import CCSVScan
import Foundation
import ReportCore

#if canImport(Glibc)
import Glibc
#endif

/// Maps byte strings to dense 32-bit codes (0, 1, 2, … in order of first appearance), comparing
/// bytes exactly, so a string column is stored as codes plus one copy of each distinct value.
///
/// Hand-written rather than a `Dictionary<String, Int32>`: that needs a `String` per cell (an
/// allocation and a UTF-8 validation) and hashes through `Hasher` one byte at a time. On a
/// million-row dataset it was 60 % of a whole run's time (measured with `perf record`). Here a cell
/// is hashed eight bytes at a time straight from the file's buffer, and only a value seen for the
/// first time is copied, into one arena.
struct StringInterner: Sendable {
    /// The bytes of every distinct value, back to back.
    private var arena: [UInt8] = []
    /// Value `i` is `arena[offsets[i]..<offsets[i + 1]]`.
    private var offsets: [Int] = [0]
    /// The hash of each value, to grow the table without rehashing bytes.
    private var hashes: [UInt64] = []
    /// Open addressing, linear probing: the hash's upper 32 bits above `code + 1`, or 0 for an
    /// empty slot. Why the hash bits (issue 20): a probe compares them first and reads a value's
    /// bytes only when they agree, instead of loading `hashes[code]` for every entry it passes.
    private var slots: [UInt64] = Array(repeating: 0, count: 64)

    var count: Int { hashes.count }

    /// The code of the `n` bytes at `p`, adding them when new.
    mutating func code(of p: UnsafePointer<UInt8>, count n: Int) -> Int32 {
        let hash = Self.hash(p, n)
        let tag = hash >> 32
        // Probe through raw pointers: the arrays are not changed until a new value is added.
        let (found, free) = slots.withUnsafeBufferPointer { s in
            offsets.withUnsafeBufferPointer { o in
                arena.withUnsafeBufferPointer { a -> (Int32, Int) in
                    let mask = s.count - 1
                    var slot = Int(truncatingIfNeeded: hash) & mask
                    while true {
                        let entry = s[slot]
                        if entry == 0 { return (-1, slot) }
                        if entry >> 32 == tag {
                            let code = Int(truncatingIfNeeded: entry & 0xFFFF_FFFF) - 1
                            let start = o[code]
                            if o[code + 1] - start == n, Self.same(a.baseAddress.map { $0 + start }, p, n) {
                                return (Int32(code), slot)
                            }
                        }
                        slot = (slot + 1) & mask
                    }
                }
            }
        }
        if found >= 0 { return found }
        let code = Int32(hashes.count)
        arena.append(contentsOf: UnsafeBufferPointer(start: p, count: n))
        offsets.append(arena.count)
        hashes.append(hash)
        slots[free] = tag << 32 | UInt64(code + 1)
        // Keep the table at most half full, so probes stay short.
        if hashes.count * 2 > slots.count { grow() }
        return code
    }

    /// Whether the `n` bytes at `a` and `b` are equal. Eight to sixteen bytes (most dataset values)
    /// are compared as two words that may overlap, without a call; `same` and `memcmp` agree.
    @inline(__always)
    static func same(_ a: UnsafePointer<UInt8>?, _ b: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        guard n > 0, let a else { return true }
        if n >= 8, n <= 16 {
            let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
            return ra.loadUnaligned(as: UInt64.self) == rb.loadUnaligned(as: UInt64.self)
                && ra.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
                    == rb.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
        }
        return memcmp(a, b, n) == 0
    }

    /// The value of `code`, as bytes.
    func bytes(of code: Int) -> ArraySlice<UInt8> { arena[offsets[code]..<offsets[code + 1]] }

    /// Every value in code order, as strings. The bytes must be valid UTF-8 (checked by the reader).
    func strings() -> [String] {
        (0..<count).map { String(decoding: bytes(of: $0), as: UTF8.self) }
    }

    /// Every value in NFC (SPEC: text is normalised where it is read), one entry per distinct
    /// normalised value, and, when two codes became one value (the same word typed precomposed and
    /// with combining marks), the new code of each old code.
    ///
    /// Normalisation is per distinct value, not per cell, and a value whose bytes are certainly NFC
    /// (`NFC.isCertainlyNormalized`: ASCII, precomposed Vietnamese) is not normalised at all.
    func normalizedStrings() -> (strings: [String], recode: [Int32]?) {
        var out = strings()
        var changed = false
        arena.withUnsafeBufferPointer { a in
            for code in 0..<count {
                let start = offsets[code], n = offsets[code + 1] - start
                if n == 0 || NFC.isCertainlyNormalized(a.baseAddress! + start, count: n) { continue }
                let nfc = out[code].precomposedStringWithCanonicalMapping
                if !nfc.utf8.elementsEqual(out[code].utf8) {
                    out[code] = nfc
                    changed = true
                }
            }
        }
        guard changed else { return (out, nil) }
        // Merge the values that are now equal, keeping the first code's place. The keys are
        // compared by bytes (all NFC now), as the interner does.
        var first: [[UInt8]: Int32] = [:]
        var merged: [String] = []
        var recode = [Int32](repeating: 0, count: out.count)
        for (code, value) in out.enumerated() {
            let key = Array(value.utf8)
            if let existing = first[key] {
                recode[code] = existing
            } else {
                let new = Int32(merged.count)
                first[key] = new
                merged.append(value)
                recode[code] = new
            }
        }
        return merged.count == out.count ? (out, nil) : (merged, recode)
    }

    private mutating func grow() {
        var bigger = [UInt64](repeating: 0, count: slots.count * 2)
        let mask = bigger.count - 1
        for (code, hash) in hashes.enumerated() {
            var slot = Int(truncatingIfNeeded: hash) & mask
            while bigger[slot] != 0 { slot = (slot + 1) & mask }
            bigger[slot] = (hash >> 32) << 32 | UInt64(code + 1)
        }
        slots = bigger
    }

    /// A fast 64-bit hash of a short byte string: eight bytes per multiply, then a final mix.
    /// Not cryptographic; the values come from the administrator's own dataset.
    ///
    /// The last partial word is read without a byte loop (issue 20): from eight bytes on, as the
    /// word that ends at the value's last byte (overlapping the one before); below eight, as two
    /// overlapping 4-byte or 2-byte loads, or the first, middle and last byte. Why: most values
    /// are 5–15 bytes (district, programme, status), and the byte loop's up to seven turns, each
    /// a mispredicted exit, were a third of `code(of:)`. Every load stays inside the value's `n`
    /// bytes, and the length is mixed in, so equal bytes always hash equal.
    @inline(__always)
    static func hash(_ p: UnsafePointer<UInt8>, _ n: Int) -> UInt64 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(truncatingIfNeeded: n)
        let raw = UnsafeRawPointer(p)
        let tail: UInt64
        if n >= 8 {
            var i = 0
            while i + 8 <= n {
                h = (h ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xFF51_AFD7_ED55_8CCD
                h ^= h >> 32
                i += 8
            }
            tail = i < n ? raw.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self) : 0
        } else if n >= 4 {
            tail =
                UInt64(raw.loadUnaligned(as: UInt32.self)) << 32
                | UInt64(raw.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self))
        } else if n > 0 {
            tail = UInt64(p[0]) << 16 | UInt64(p[n >> 1]) << 8 | UInt64(p[n - 1])
        } else {
            tail = 0
        }
        h = (h ^ tail) &* 0xC4CE_B9FE_1A85_EC53
        h ^= h >> 29
        h = h &* 0xFF51_AFD7_ED55_8CCD
        return h ^ (h >> 32)
    }
}

/// UTF-8 validation of a whole buffer, without making a String of it.
///
/// The CSV reader checks each chunk of the file once instead of each string cell: cells are split at
/// ASCII bytes (comma, quote, line break), which never occur inside a multi-byte sequence, so a
/// valid chunk has valid cells. The rules are RFC 3629's (no overlong forms, no surrogates, nothing
/// above U+10FFFF).
enum UTF8Check {
    /// - Parameter allowingNUL: whether a 0x00 byte is accepted (it is valid UTF-8, but in a CSV
    ///   file it means damage: a file padded with zeros after a crash, a binary file).
    ///
    /// Fast path (issue 20, fourth round): the vector check of CCSVScan (`reportd_utf8_valid`,
    /// 32 bytes a step with AVX2, the lookup-table method of Keiser and Lemire) when the CPU has
    /// AVX2; the DFA below otherwise. Why: the DFA still took 9 % of a 10M-row run's CPU.
    @inline(__always)
    static func isValid(_ p: UnsafePointer<UInt8>, count n: Int, allowingNUL: Bool = true) -> Bool {
        let vector = reportd_utf8_valid(p, n, allowingNUL)
        return vector >= 0 ? vector == 1 : isValidDFA(p, count: n, allowingNUL: allowingNUL)
    }

    /// The check where the CPU has no vector check (and the reference the vector check's tests
    /// also compare with).
    ///
    /// Fast path (issue 20): a shift-based DFA, one table load and one shift per byte with no
    /// branch on the byte's value, run over the two halves of the buffer at once (split at a byte
    /// that starts a character) so that the two dependency chains overlap. Why: Vietnamese text has
    /// a multi-byte letter every two to four bytes, so the branchy per-sequence check
    /// (`isValidPlain`, kept as the reference the tests compare with) mispredicted on nearly every
    /// letter, 11 % of a 10M-row read's CPU; this takes half its time on the bench's data.
    /// The split is exact: a buffer is valid UTF-8 exactly when both halves are, when the second
    /// starts at a byte that is not a continuation byte (10xxxxxx).
    static func isValidDFA(_ p: UnsafePointer<UInt8>, count n: Int, allowingNUL: Bool = true) -> Bool {
        var split = n / 2
        // At most three continuation bytes follow a lead byte: four in a row are invalid.
        let limit = min(n, split + 4)
        while split < limit, p[split] & 0xC0 == 0x80 { split += 1 }
        if split == limit, split < n { return false }
        let table = allowingNUL ? DFA.withNUL : DFA.withoutNUL
        return table.withUnsafeBufferPointer { t in
            let t = t.baseAddress!
            let q = p + split
            var a = DFA.accept, b = DFA.accept
            let common = min(split, n - split)
            var i = 0
            while i + 16 <= common {
                // The state is a bit offset into the byte's row: `&>>` takes it modulo 64, so the
                // next state is in the low six bits and the rest is ignored.
                for k in 0..<16 {
                    a = t[Int(p[i &+ k])] &>> a
                    b = t[Int(q[i &+ k])] &>> b
                }
                // The error state is absorbing: checking once per sixteen bytes is enough.
                if a & 63 == DFA.error || b & 63 == DFA.error { return false }
                i += 16
            }
            var j = i
            while j < split {
                a = t[Int(p[j])] &>> a
                j += 1
            }
            j = split + i
            while j < n {
                b = t[Int(p[j])] &>> b
                j += 1
            }
            return a & 63 == DFA.accept && b & 63 == DFA.accept
        }
    }

    /// The DFA's tables: for each byte, a word whose six bits at offset `s` are the state that byte
    /// leads to from state `s`. The error state is 0, so its row is 0 and it never leaves it.
    enum DFA {
        static let error: UInt64 = 0
        static let accept: UInt64 = 6
        /// Continuation bytes still expected: any (1, 2, 3), or in a narrower range after E0
        /// (A0–BF, no overlong), ED (80–9F, no surrogate), F0 (90–BF, no overlong), F4 (80–8F, at
        /// most U+10FFFF).
        static let tail1: UInt64 = 12, tail2: UInt64 = 18, tail2E0: UInt64 = 24, tail2ED: UInt64 = 30
        static let tail3: UInt64 = 36, tail3F0: UInt64 = 42, tail3F4: UInt64 = 48

        static let withNUL = table(allowingNUL: true)
        static let withoutNUL = table(allowingNUL: false)

        static func table(allowingNUL: Bool) -> [UInt64] {
            (0...255).map { (b: Int) -> UInt64 in
                func from(_ state: UInt64, to next: UInt64) -> UInt64 { next << state }
                var row: UInt64 = 0
                switch b {
                case 0: row |= from(accept, to: allowingNUL ? accept : error)
                case 0x01...0x7F: row |= from(accept, to: accept)
                case 0xC2...0xDF: row |= from(accept, to: tail1)
                case 0xE0: row |= from(accept, to: tail2E0)
                case 0xE1...0xEC, 0xEE...0xEF: row |= from(accept, to: tail2)
                case 0xED: row |= from(accept, to: tail2ED)
                case 0xF0: row |= from(accept, to: tail3F0)
                case 0xF1...0xF3: row |= from(accept, to: tail3)
                case 0xF4: row |= from(accept, to: tail3F4)
                default: break
                }
                if (0x80...0xBF).contains(b) {
                    row |= from(tail1, to: accept) | from(tail2, to: tail1) | from(tail3, to: tail2)
                    if b >= 0xA0 { row |= from(tail2E0, to: tail1) }
                    if b <= 0x9F { row |= from(tail2ED, to: tail1) }
                    if b >= 0x90 { row |= from(tail3F0, to: tail2) }
                    if b <= 0x8F { row |= from(tail3F4, to: tail2) }
                }
                return row
            }
        }
    }

    /// The plain check, byte by byte with an eight-byte ASCII skip: the reference `isValid` is
    /// tested against.
    static func isValidPlain(_ p: UnsafePointer<UInt8>, count n: Int, allowingNUL: Bool = true) -> Bool {
        let raw = UnsafeRawPointer(p)
        var i = 0
        while i + 8 <= n {
            let w = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            if !allowingNUL, (w &- 0x0101_0101_0101_0101) & ~w & 0x8080_8080_8080_8080 != 0 { return false }
            let high = w & 0x8080_8080_8080_8080
            if high == 0 {
                i += 8
                continue
            }
            i += high.trailingZeroBitCount >> 3
            guard let length = sequence(p, i, n) else { return false }
            i += length
        }
        while i < n {
            let b = p[i]
            if b < 0x80 {
                if b == 0, !allowingNUL { return false }
                i += 1
            } else {
                guard let length = sequence(p, i, n) else { return false }
                i += length
            }
        }
        return true
    }

    /// The length of the multi-byte sequence that starts at `p[i]` (a byte ≥ 0x80), or nil when it
    /// is not valid UTF-8 within `p[..<n]`.
    @inline(__always)
    private static func sequence(_ p: UnsafePointer<UInt8>, _ i: Int, _ n: Int) -> Int? {
        let b = p[i]
        if b < 0xC2 {
            return nil
        } else if b < 0xE0 {
            guard i + 1 < n, p[i + 1] & 0xC0 == 0x80 else { return nil }
            return 2
        } else if b < 0xF0 {
            guard i + 2 < n, p[i + 1] & 0xC0 == 0x80, p[i + 2] & 0xC0 == 0x80 else { return nil }
            if b == 0xE0 && p[i + 1] < 0xA0 { return nil }  // overlong
            if b == 0xED && p[i + 1] >= 0xA0 { return nil }  // UTF-16 surrogate
            return 3
        } else if b < 0xF5 {
            guard i + 3 < n, p[i + 1] & 0xC0 == 0x80, p[i + 2] & 0xC0 == 0x80, p[i + 3] & 0xC0 == 0x80 else {
                return nil
            }
            if b == 0xF0 && p[i + 1] < 0x90 { return nil }  // overlong
            if b == 0xF4 && p[i + 1] >= 0x90 { return nil }  // above U+10FFFF
            return 4
        }
        return nil
    }
}
