#if canImport(Glibc)
    import Glibc
#endif

/// One pass over a JSON dataset's bytes for what `JSONDecoder` accepts silently (issue 13): a key
/// twice in one object (the decoder keeps one of the values, and JSON readers disagree on which)
/// and a NUL character in a string, raw or written `\u0000` (no cell should hold one: it is the
/// mark of a damaged file, and C programs reading the outputs would cut the text there).
///
/// Each finding is located by line and column and belongs to a record (an element of the top-level
/// array). Syntax is the decoder's business: on bytes that are not JSON the pass stops, and the
/// decoder's error is the one reported.
enum JSONCheck {
    struct Problem: Equatable {
        var line: Int
        var column: Int
        var message: String
    }

    /// The first problem of each record that has one, by the record's index (from 0).
    static func problems(_ bytes: UnsafeBufferPointer<UInt8>) -> [Int: Problem] {
        var found: [Int: Problem] = [:]
        let n = bytes.count
        var i = 0
        var line = 1, lineStart = 0
        // The open containers: an object's keys so far, or nil for an array.
        var stack: [Keys?] = []
        var record = -1
        var expectKey = false

        func column(_ offset: Int) -> Int {
            var count = 1
            for k in lineStart..<offset where bytes[k] & 0xC0 != 0x80 { count += 1 }
            return count
        }
        func note(_ offset: Int, _ message: String) {
            guard record >= 0, found[record] == nil else { return }
            found[record] = Problem(line: line, column: column(offset), message: message)
        }

        while i < n {
            let c = bytes[i]
            switch c {
            case 0x0A:
                line += 1
                lineStart = i + 1
                i += 1
            case UInt8(ascii: ","):
                if case .some(.some) = stack.last { expectKey = true }
                i += 1
            case UInt8(ascii: "{"):
                if stack.count == 1 { record += 1 }
                stack.append(Keys())
                expectKey = true
                i += 1
            case UInt8(ascii: "["):
                if stack.count == 1 { record += 1 }
                stack.append(nil)
                expectKey = false
                i += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                guard stack.popLast() != nil else { return found }
                expectKey = false
                i += 1
            case UInt8(ascii: ":"):
                expectKey = false
                i += 1
            case UInt8(ascii: "\""):
                let open = i
                i += 1
                // A key's text is kept (to compare); a value's is only checked for NUL.
                let isKey: Bool
                if expectKey, case .some(.some) = stack.last { isKey = true } else { isKey = false }
                var text: [UInt8] = []
                var nul = false
                if let end = plainStringEnd(bytes, from: i) {
                    // A string without escapes (most of them): its closing quote and a NUL found
                    // at C speed.
                    if end.nul { note(open, Self.nulMessage) }
                    if isKey {
                        let key = String(decoding: UnsafeBufferPointer(rebasing: bytes[i..<end.close]), as: UTF8.self)
                        if stack[stack.count - 1]?.insert(key) == false { note(open, Self.twice(key)) }
                    }
                    i = end.close + 1
                    expectKey = false
                    continue
                }
                var pendingHigh: UInt32?
                func append(scalar: UInt32) {
                    guard isKey else { return }
                    // UTF-8 of the scalar (a lone surrogate too, so that the text stays distinct).
                    if scalar < 0x80 {
                        text.append(UInt8(scalar))
                    } else if scalar < 0x800 {
                        text += [UInt8(0xC0 | scalar >> 6), UInt8(0x80 | scalar & 0x3F)]
                    } else if scalar < 0x10000 {
                        text += [UInt8(0xE0 | scalar >> 12), UInt8(0x80 | scalar >> 6 & 0x3F), UInt8(0x80 | scalar & 0x3F)]
                    } else {
                        text += [
                            UInt8(0xF0 | scalar >> 18), UInt8(0x80 | scalar >> 12 & 0x3F), UInt8(0x80 | scalar >> 6 & 0x3F),
                            UInt8(0x80 | scalar & 0x3F),
                        ]
                    }
                }
                while true {
                    guard i < n else { return found }
                    let b = bytes[i]
                    if b == UInt8(ascii: "\"") {
                        i += 1
                        break
                    }
                    if b == 0x0A { return found }  // not JSON: the decoder says so
                    if b == UInt8(ascii: "\\") {
                        guard i + 1 < n else { return found }
                        let e = bytes[i + 1]
                        if e == UInt8(ascii: "u") {
                            guard i + 6 <= n, let unit = hex4(bytes, i + 2) else { return found }
                            i += 6
                            if unit == 0 { nul = true }
                            if let high = pendingHigh, (0xDC00..<0xE000).contains(unit) {
                                if isKey { text.removeLast(3) }
                                append(scalar: 0x10000 + (high - 0xD800) << 10 + (unit - 0xDC00))
                                pendingHigh = nil
                                continue
                            }
                            append(scalar: unit)
                            pendingHigh = (0xD800..<0xDC00).contains(unit) ? unit : nil
                            continue
                        }
                        if isKey { text.append(Self.escapes[e] ?? e) }
                        pendingHigh = nil
                        i += 2
                        continue
                    }
                    if b == 0 { nul = true }
                    if isKey { text.append(b) }
                    pendingHigh = nil
                    i += 1
                }
                if nul { note(open, Self.nulMessage) }
                if isKey {
                    // Compared as Swift compares the decoder's keys (canonical equivalence); the
                    // set is changed in place (a copy per key would be quadratic in a wide object).
                    let key = String(decoding: text, as: UTF8.self)
                    if stack[stack.count - 1]?.insert(key) == false { note(open, Self.twice(key)) }
                }
                expectKey = false
            default:
                i += 1
            }
        }
        return found
    }

    /// An object's keys so far: a list while short (comparing a few strings costs less than
    /// hashing them), a set beyond, so that a very wide object stays linear.
    struct Keys {
        private var list: [String] = []
        private var set: Set<String>?

        /// Adds `key`; false when it was there already.
        mutating func insert(_ key: String) -> Bool {
            if set != nil { return set!.insert(key).inserted }
            if list.contains(key) { return false }
            list.append(key)
            if list.count > 16 {
                set = Set(list)
                list = []
            }
            return true
        }
    }

    static func twice(_ key: String) -> String {
        "the key '\(key.escapingControlCharacters)' appears twice in one object; JSON readers disagree on which value counts"
    }

    static let nulMessage = "a string holds a NUL character (U+0000): the file looks damaged"

    /// The closing quote of a string whose text starts at `from`, and whether a NUL byte is
    /// before it, when no backslash or line break comes first; nil otherwise (the byte loop
    /// decides).
    private static func plainStringEnd(_ bytes: UnsafeBufferPointer<UInt8>, from: Int) -> (close: Int, nul: Bool)? {
        guard from < bytes.count, let base = bytes.baseAddress,
            let quote = memchr(base + from, Int32(UInt8(ascii: "\"")), bytes.count - from)
        else { return nil }
        let close = UnsafePointer<UInt8>(quote.assumingMemoryBound(to: UInt8.self)) - base
        let length = close - from
        guard length == 0
            || (memchr(base + from, Int32(UInt8(ascii: "\\")), length) == nil && memchr(base + from, 10, length) == nil)
        else { return nil }
        return (close, length > 0 && memchr(base + from, 0, length) != nil)
    }

    private static let escapes: [UInt8: UInt8] = [
        UInt8(ascii: "n"): 10, UInt8(ascii: "t"): 9, UInt8(ascii: "r"): 13, UInt8(ascii: "b"): 8, UInt8(ascii: "f"): 12,
    ]

    private static func hex4(_ bytes: UnsafeBufferPointer<UInt8>, _ at: Int) -> UInt32? {
        var value: UInt32 = 0
        for k in at..<at + 4 {
            let b = bytes[k]
            let digit: UInt8
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = b - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = b - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = b - UInt8(ascii: "A") + 10
            default: return nil
            }
            value = value << 4 | UInt32(digit)
        }
        return value
    }
}
