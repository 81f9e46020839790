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
    /// Open addressing, linear probing: `code + 1`, or 0 for an empty slot.
    private var slots: [Int32] = Array(repeating: 0, count: 64)

    var count: Int { hashes.count }

    /// The code of the `n` bytes at `p`, adding them when new.
    mutating func code(of p: UnsafePointer<UInt8>, count n: Int) -> Int32 {
        let hash = Self.hash(p, n)
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: hash) & mask
        while true {
            let entry = slots[slot]
            if entry == 0 { break }
            let code = Int(entry - 1)
            if hashes[code] == hash, offsets[code + 1] - offsets[code] == n {
                let start = offsets[code]
                let same = arena.withUnsafeBufferPointer { a in
                    n == 0 || memcmp(a.baseAddress! + start, p, n) == 0
                }
                if same { return Int32(code) }
            }
            slot = (slot + 1) & mask
        }
        let code = Int32(hashes.count)
        arena.append(contentsOf: UnsafeBufferPointer(start: p, count: n))
        offsets.append(arena.count)
        hashes.append(hash)
        slots[slot] = code + 1
        // Keep the table at most half full, so probes stay short.
        if hashes.count * 2 > slots.count { grow() }
        return code
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
        var bigger = [Int32](repeating: 0, count: slots.count * 2)
        let mask = bigger.count - 1
        for (code, hash) in hashes.enumerated() {
            var slot = Int(truncatingIfNeeded: hash) & mask
            while bigger[slot] != 0 { slot = (slot + 1) & mask }
            bigger[slot] = Int32(code + 1)
        }
        slots = bigger
    }

    /// A fast 64-bit hash of a short byte string: eight bytes per multiply, then a final mix.
    /// Not cryptographic; the values come from the administrator's own dataset.
    @inline(__always)
    static func hash(_ p: UnsafePointer<UInt8>, _ n: Int) -> UInt64 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(truncatingIfNeeded: n)
        let raw = UnsafeRawPointer(p)
        var i = 0
        while i + 8 <= n {
            h = (h ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xFF51_AFD7_ED55_8CCD
            h ^= h >> 32
            i += 8
        }
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while i < n {
            tail |= UInt64(p[i]) << shift
            shift += 8
            i += 1
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
/// valid chunk has valid cells. Eight ASCII bytes are checked per step; the rest follows RFC 3629
/// (no overlong forms, no surrogates, nothing above U+10FFFF).
enum UTF8Check {
    /// - Parameter allowingNUL: whether a 0x00 byte is accepted (it is valid UTF-8, but in a CSV
    ///   file it means damage: a file padded with zeros after a crash, a binary file).
    static func isValid(_ p: UnsafePointer<UInt8>, count n: Int, allowingNUL: Bool = true) -> Bool {
        let raw = UnsafeRawPointer(p)
        var i = 0
        // Eight bytes per step; in a word with non-ASCII bytes the ASCII ones before the first are
        // skipped at once (its position is the lowest high bit's), that sequence is checked, and
        // the next word starts right after it. Why: Vietnamese text has a multi-byte letter every
        // few bytes, and going byte by byte to the next one was 13 % of a read's CPU.
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
