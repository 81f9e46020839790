import ReportCore

#if canImport(Glibc)
import Glibc
#endif

/// Converts a CSV file's bytes to UTF-8 with the system's iconv (glibc), for datasets in
/// Windows-1258, Windows-1252 or UTF-16 (what Excel on Windows saves).
///
/// Windows-1258 writes most Vietnamese letters as a base letter and a combining tone mark; the
/// reader normalises text to NFC after this, so "Mường Tè" from such a file is the same value as
/// from a UTF-8 one.
enum Transcoder {
    struct Failure: Error {
        /// Where the bad input starts, in the UTF-8 converted so far: its line and column.
        var line: Int
        var column: Int
        var message: String
    }

    /// The encoding a byte-order mark at the start of `bytes` announces, and the mark's length.
    static func byteOrderMark(_ bytes: UnsafeBufferPointer<UInt8>) -> (CSVEncoding, Int)? {
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { return (.utf8, 3) }
        if bytes.count >= 2, bytes[0] == 0xFF, bytes[1] == 0xFE { return (.utf16le, 2) }
        if bytes.count >= 2, bytes[0] == 0xFE, bytes[1] == 0xFF { return (.utf16be, 2) }
        return nil
    }

    /// `bytes` (after `skip` bytes of byte-order mark) from `encoding` to UTF-8.
    static func utf8(_ bytes: [UInt8], from encoding: CSVEncoding, skip: Int) -> Result<[UInt8], Failure> {
        // glibc's "UTF-16" reads big-endian without a byte-order mark; with none, Windows writes
        // little-endian, so that is the guess.
        let name = encoding == .utf16 ? "UTF-16LE" : encoding.iconvName
        let cd = iconv_open("UTF-8", name)
        guard let cd, Int(bitPattern: cd) != -1 else {
            return .failure(
                Failure(
                    line: 0, column: 0,
                    message: "this system's iconv cannot convert from \(encoding.rawValue) (glibc's gconv modules missing?)"))
        }
        defer { iconv_close(cd) }
        var output = [UInt8](repeating: 0, count: max(64, (bytes.count - skip) * 3 / 2 + 16))
        var written = 0
        var input = bytes
        let total = input.count
        var consumed = skip
        while consumed < total {
            let (inLeft, outLeft, status, error) = input.withUnsafeMutableBufferPointer { inBuffer in
                output.withUnsafeMutableBufferPointer { outBuffer in
                    var inPointer: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(inBuffer.baseAddress! + consumed)
                        .assumingMemoryBound(to: CChar.self)
                    var inLeft = total - consumed
                    var outPointer: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(
                        outBuffer.baseAddress! + written
                    ).assumingMemoryBound(to: CChar.self)
                    var outLeft = outBuffer.count - written
                    let status = iconv(cd, &inPointer, &inLeft, &outPointer, &outLeft)
                    return (inLeft, outLeft, status, errno)
                }
            }
            consumed = total - inLeft
            written = output.count - outLeft
            if status != -1 { break }
            if error == E2BIG {
                output += [UInt8](repeating: 0, count: output.count)
                continue
            }
            let (line, column) = position(output, written)
            let byte = String(bytes[consumed], radix: 16, uppercase: true)
            let what =
                error == EINVAL
                    ? "the file ends inside a character" : "byte 0x\(byte.count == 1 ? "0" + byte : byte) is not \(encoding.rawValue)"
            return .failure(
                Failure(
                    line: line, column: column,
                    message: "\(what) (byte \(consumed) of the file): is the dataset's 'encoding' right?"))
        }
        output.removeSubrange(written...)
        return .success(output)
    }

    /// The line and column (in characters) just after `output[..<end]`.
    private static func position(_ output: [UInt8], _ end: Int) -> (Int, Int) {
        var line = 1
        var column = 1
        for i in 0..<end {
            if output[i] == 10 {
                line += 1
                column = 1
            } else if output[i] & 0xC0 != 0x80 {
                column += 1
            }
        }
        return (line, column)
    }
}
