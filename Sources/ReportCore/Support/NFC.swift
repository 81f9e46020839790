import Foundation

/// Unicode normalisation to NFC, where text is read (SPEC, "Dataset schema"): "Mường Tè" typed with
/// precomposed letters and with combining marks must be one value, one group, one sort key.
///
/// Foundation's `precomposedStringWithCanonicalMapping` does the work (the standard library has
/// no public normaliser); this file only decides, from the UTF-8 bytes, when it can be skipped.
public enum NFC {
    /// Whether the UTF-8 bytes are certainly NFC already, without normalising them: true when every
    /// scalar is below U+0300 (ASCII, Latin-1, Latin Extended-A/B, IPA, spacing modifiers) or in
    /// U+1E00–U+1EFF (Latin Extended Additional, where precomposed Vietnamese lives). None of
    /// those scalars changes under NFC nor combines with its neighbour (checked scalar by scalar
    /// in the tests); anything else, combining marks U+0300–U+036F first of all, goes to
    /// Foundation. The bytes must be valid UTF-8.
    @inline(__always)
    public static func isCertainlyNormalized(_ p: UnsafePointer<UInt8>, count n: Int) -> Bool {
        var i = 0
        while i < n {
            let b = p[i]
            if b < 0x80 {
                i += 1
            } else if b < 0xCC {
                // A two-byte sequence for U+0080–U+02FF (0xCC 0x80 is U+0300).
                i += 2
            } else if b == 0xE1, i + 1 < n, p[i + 1] >= 0xB8, p[i + 1] <= 0xBB {
                // U+1E00–U+1EFF is 0xE1 0xB8 0x80 … 0xE1 0xBB 0xBF.
                i += 3
            } else {
                return false
            }
        }
        return true
    }

    /// `text` in NFC.
    public static func normalize(_ text: String) -> String {
        let certain =
            text.utf8.withContiguousStorageIfAvailable { b in
                b.isEmpty || isCertainlyNormalized(b.baseAddress!, count: b.count)
            } ?? false
        return certain ? text : text.precomposedStringWithCanonicalMapping
    }
}
