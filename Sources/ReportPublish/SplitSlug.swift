import Crypto
import Foundation
import ReportCore

/// The folder names of a split report's values (`split_by`, SPEC "One file per office, and only
/// when it matters"): readable, ASCII, a valid name on an SMB share, never outside the report's folder.
public enum SplitSlug {
    /// The folder of the null and blank values.
    public static let empty = "_empty"
    /// The longest plain slug, in characters (a collision's `-<hash>` comes on top).
    public static let maxLength = 60
    /// Names Windows refuses for a file or folder, whatever the case.
    static let reserved: Set<String> = {
        var names: Set<String> = ["con", "prn", "aux", "nul"]
        for i in 0...9 {
            names.insert("com\(i)")
            names.insert("lpt\(i)")
        }
        return names
    }()

    /// The plain slug of a value's text (in NFC): NFD, combining marks removed, `đ`/`Đ` → `d`,
    /// lower case; every run of characters other than ASCII letters and digits becomes one `-`,
    /// trimmed at both ends, at most 60 characters; `x-<hash>` when nothing is left; a Windows
    /// reserved name gets `-x`. A null or blank value's is `_empty` (see `slug(for:)`).
    public static func plain(_ text: String) -> String {
        var out = ""
        var pendingDash = false
        for scalar in text.decomposedStringWithCanonicalMapping.unicodeScalars {
            switch scalar.properties.generalCategory {
            case .nonspacingMark, .spacingMark, .enclosingMark: continue
            default: break
            }
            var c = scalar
            if c == "đ" || c == "Đ" { c = "d" }
            if c.isASCII, c.properties.isAlphabetic || ("0"..."9").contains(c) {
                if pendingDash, !out.isEmpty { out.append("-") }
                pendingDash = false
                out.unicodeScalars.append(lower(c))
            } else {
                pendingDash = true
            }
        }
        if out.count > maxLength {
            out = String(out.prefix(maxLength))
            while out.hasSuffix("-") { out.removeLast() }
        }
        if out.isEmpty { return "x-" + hash(text) }
        if reserved.contains(out) { out += "-x" }
        return out
    }

    /// The first 8 hex digits of the SHA-256 of the text's NFC UTF-8 bytes.
    public static func hash(_ text: String) -> String {
        let digest = SHA256.hash(data: Array(NFC.normalize(text).utf8))
        return Hex.string(Array(digest).prefix(4))
    }

    /// The slug a value first seen now gets, given the slugs other values hold: its plain slug,
    /// or with `-<hash>` when that is taken.
    public static func choose(_ value: String, taken: Set<String>) -> String {
        if isEmptyValue(value) { return empty }
        let slug = plain(value)
        return taken.contains(slug) ? slug + "-" + hash(value) : slug
    }

    /// Whether a value's text is blank (null values have the empty text): its files go to `_empty`.
    public static func isEmptyValue(_ text: String) -> Bool {
        text.unicodeScalars.allSatisfy(\.properties.isWhitespace)
    }

    private static func lower(_ c: Unicode.Scalar) -> Unicode.Scalar {
        (c.value >= 65 && c.value <= 90) ? Unicode.Scalar(c.value + 32)! : c
    }
}
