/// A small pull parser for the XML of a workbook's parts: elements, attributes, text, character
/// and the five predefined entity references, CDATA, comments and processing instructions.
///
/// Written here rather than FoundationXML's `XMLParser`: that one needs libxml2 at run time, which
/// the static binary would then depend on, and it expands entities declared in a DTD; OOXML parts
/// never have a DTD (ECMA-376 Part 2 forbids one), so a `<!DOCTYPE` is refused here and no entity
/// can expand (no "billion laughs"). It checks that tags nest and close, which is all the
/// well-formedness a reader of values needs.
struct XMLScanner {
    enum Event {
        /// An element's start; `name` without its namespace prefix.
        case start(name: String, attributes: [String: String], selfClosing: Bool)
        case end(name: String)
        case text(String)
    }

    struct Failure: Error {
        var offset: Int
        var message: String
    }

    let bytes: UnsafeBufferPointer<UInt8>
    private(set) var position = 0
    private var open: [String] = []
    /// Nesting deeper than this is refused (no real part comes close).
    static let maxDepth = 256

    init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    private func fail(_ message: String, at offset: Int? = nil) -> Failure {
        Failure(offset: offset ?? position, message: message)
    }

    /// The next event, or nil at the end of the part.
    mutating func next() throws(Failure) -> Event? {
        let n = bytes.count
        guard position < n else {
            if let last = open.last { throw fail("the part ends inside <\(last)>") }
            return nil
        }
        if bytes[position] != UInt8(ascii: "<") {
            let start = position
            while position < n, bytes[position] != UInt8(ascii: "<") { position += 1 }
            return .text(try decode(start, position))
        }
        // Markup.
        if matches("<!--") {
            guard let end = find("-->", from: position + 4) else { throw fail("a comment never ends") }
            position = end + 3
            return try next()
        }
        if matches("<![CDATA[") {
            guard let end = find("]]>", from: position + 9) else { throw fail("a CDATA section never ends") }
            let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[(position + 9)..<end]), as: UTF8.self)
            position = end + 3
            return .text(text)
        }
        if matches("<!") { throw fail("a document type declaration (<!DOCTYPE …>), which workbook parts never hold") }
        if matches("<?") {
            guard let end = find("?>", from: position + 2) else { throw fail("a processing instruction never ends") }
            position = end + 2
            return try next()
        }
        if matches("</") {
            position += 2
            let name = try readName()
            skipSpaces()
            guard position < n, bytes[position] == UInt8(ascii: ">") else { throw fail("a closing tag </\(name) is not closed") }
            position += 1
            guard let last = open.popLast() else { throw fail("</\(name)> closes nothing") }
            guard last == name else { throw fail("</\(name)> closes <\(last)>") }
            return .end(name: Self.local(name))
        }
        position += 1
        let name = try readName()
        var attributes: [String: String] = [:]
        while true {
            skipSpaces()
            guard position < n else { throw fail("the part ends inside <\(name)>") }
            if bytes[position] == UInt8(ascii: "/") {
                guard position + 1 < n, bytes[position + 1] == UInt8(ascii: ">") else { throw fail("'/' inside <\(name)>") }
                position += 2
                return .start(name: Self.local(name), attributes: attributes, selfClosing: true)
            }
            if bytes[position] == UInt8(ascii: ">") {
                position += 1
                guard open.count < Self.maxDepth else { throw fail("elements nested more than \(Self.maxDepth) deep") }
                open.append(name)
                return .start(name: Self.local(name), attributes: attributes, selfClosing: false)
            }
            if bytes[position] == UInt8(ascii: "<") { throw fail("the tag <\(name) is not closed") }
            let attribute = try readName()
            skipSpaces()
            guard position < n, bytes[position] == UInt8(ascii: "=") else { throw fail("attribute \(attribute) has no value") }
            position += 1
            skipSpaces()
            guard position < n, bytes[position] == UInt8(ascii: "\"") || bytes[position] == UInt8(ascii: "'") else {
                throw fail("attribute \(attribute)'s value is not quoted")
            }
            let quote = bytes[position]
            let start = position + 1
            position = start
            while position < n, bytes[position] != quote {
                if bytes[position] == UInt8(ascii: "<") { throw fail("'<' in the value of attribute \(attribute)") }
                position += 1
            }
            guard position < n else { throw fail("the part ends inside <\(name)>") }
            attributes[Self.local(attribute)] = try decode(start, position)
            position += 1
        }
    }

    /// The text of the element whose start was just read, up to its end (nested markup's text
    /// included, as `<r><t>a</t></r><r><t>b</t></r>` is "ab"), except inside elements named in
    /// `skipping` (a shared string's phonetic runs).
    mutating func text(until element: String, skipping: Set<String> = []) throws(Failure) -> String {
        var out = ""
        var depth = 0
        var skipped = 0
        while let event = try next() {
            switch event {
            case .start(let name, _, let selfClosing):
                if selfClosing { continue }
                depth += 1
                if skipped > 0 || skipping.contains(name) { skipped += 1 }
            case .end:
                if depth == 0 { return out }
                depth -= 1
                if skipped > 0 { skipped -= 1 }
            case .text(let t):
                if skipped == 0 { out += t }
            }
        }
        throw fail("the part ends inside <\(element)>")
    }

    private static func local(_ name: String) -> String {
        guard let colon = name.lastIndex(of: ":") else { return name }
        return String(name[name.index(after: colon)...])
    }

    private func matches(_ s: StaticString) -> Bool {
        let count = s.utf8CodeUnitCount
        guard position + count <= bytes.count else { return false }
        for i in 0..<count where bytes[position + i] != s.utf8Start[i] { return false }
        return true
    }

    private func find(_ s: StaticString, from: Int) -> Int? {
        let count = s.utf8CodeUnitCount
        var i = from
        while i + count <= bytes.count {
            var hit = true
            for k in 0..<count where bytes[i + k] != s.utf8Start[k] {
                hit = false
                break
            }
            if hit { return i }
            i += 1
        }
        return nil
    }

    private mutating func skipSpaces() {
        while position < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[position]) { position += 1 }
    }

    private mutating func readName() throws(Failure) -> String {
        let start = position
        while position < bytes.count {
            let c = bytes[position]
            if c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D || c == UInt8(ascii: ">") || c == UInt8(ascii: "/")
                || c == UInt8(ascii: "=")
            {
                break
            }
            position += 1
        }
        guard position > start else { throw fail("a tag without a name") }
        return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
    }

    /// `bytes[start..<end]` with its references decoded.
    private func decode(_ start: Int, _ end: Int) throws(Failure) -> String {
        var i = start
        while i < end, bytes[i] != UInt8(ascii: "&") { i += 1 }
        if i == end { return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self) }
        var out: [UInt8] = Array(bytes[start..<i])
        while i < end {
            let c = bytes[i]
            guard c == UInt8(ascii: "&") else {
                out.append(c)
                i += 1
                continue
            }
            var semicolon = i + 1
            while semicolon < end, semicolon - i <= 12, bytes[semicolon] != UInt8(ascii: ";") { semicolon += 1 }
            guard semicolon < end, bytes[semicolon] == UInt8(ascii: ";") else { throw fail("an unfinished '&' reference", at: i) }
            let name = String(decoding: UnsafeBufferPointer(rebasing: bytes[(i + 1)..<semicolon]), as: UTF8.self)
            switch name {
            case "lt": out.append(UInt8(ascii: "<"))
            case "gt": out.append(UInt8(ascii: ">"))
            case "amp": out.append(UInt8(ascii: "&"))
            case "quot": out.append(UInt8(ascii: "\""))
            case "apos": out.append(UInt8(ascii: "'"))
            default:
                var value: UInt32?
                if name.hasPrefix("#x") || name.hasPrefix("#X") {
                    value = UInt32(name.dropFirst(2), radix: 16)
                } else if name.hasPrefix("#") {
                    value = UInt32(name.dropFirst(1), radix: 10)
                }
                guard let value, let scalar = Unicode.Scalar(value), value != 0 else {
                    throw fail("an unknown reference &\(name);", at: i)
                }
                out += Array(String(Character(scalar)).utf8)
            }
            i = semicolon + 1
        }
        return String(decoding: out, as: UTF8.self)
    }
}
