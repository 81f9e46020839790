/// The labels of a string column's codes (`values:` in a schema: `{national: "Khuyến công quốc
/// gia"}`), in the schema file's order.
///
/// Codes are what the data holds and what CSV and JSON keep; labels are what text, HTML and
/// spreadsheet outputs show. Both are NFC (the schema loader normalises them).
public struct ValueLabels: Sendable, Hashable {
    /// One code and its label.
    public struct Entry: Sendable, Hashable {
        public var code: String
        public var label: String

        public init(code: String, label: String) {
            self.code = code
            self.label = label
        }
    }

    /// Every code and its label, in file order.
    public private(set) var entries: [Entry] = []
    private var index: [String: Int] = [:]

    public init() {}

    /// The labels of `entries`; a code given twice keeps its last label.
    public init(_ entries: [Entry]) {
        for entry in entries { self[entry.code] = entry.label }
    }

    public var isEmpty: Bool { entries.isEmpty }
    public var count: Int { entries.count }

    /// The label of `code`, or nil when the schema gives it none.
    public subscript(code: String) -> String? {
        get { index[code].map { entries[$0].label } }
        set {
            if let i = index[code] {
                if let newValue { entries[i].label = newValue } else { remove(at: i) }
            } else if let newValue {
                index[code] = entries.count
                entries.append(Entry(code: code, label: newValue))
            }
        }
    }

    private mutating func remove(at i: Int) {
        index[entries[i].code] = nil
        entries.remove(at: i)
        for j in i..<entries.count { index[entries[j].code] = j }
    }

    public static func == (a: ValueLabels, b: ValueLabels) -> Bool { a.entries == b.entries }
    public func hash(into hasher: inout Hasher) { hasher.combine(entries) }
}
