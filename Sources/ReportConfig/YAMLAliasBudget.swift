import CYaml

/// A linear pre-pass over libyaml's events that measures how many nodes a document holds once its
/// aliases are expanded, before Yams composes it.
///
/// Why: Yams composes an alias as a copy of the anchored node, and checks duplicate keys by hashing
/// whole key nodes. A few hundred bytes of nested aliases (the "billion laughs") expand
/// exponentially, and used as mapping keys they kept the loader busy for minutes (113 s for 502
/// bytes; ten times as long per extra line), freezing the daemon's reloads. Yams has no limit of
/// its own, so this walks the event stream once (libyaml, which Yams bundles, does the scanning)
/// and keeps, per anchor, the size its node expands to: an alias costs that size, in constant time.
enum YAMLAliasBudget {
    /// More nodes than any report definition needs (a report with 20,000 metrics has ~100,000).
    static let maximumNodes = 1_000_000

    /// The expanded node count, or nil when libyaml stops at a syntax error (composing reports it,
    /// located) or the count passes `limit` (counting stops there).
    static func expandedNodes(of text: String, limit: Int = maximumNodes) -> Int? {
        var text = text
        return text.withUTF8 { bytes -> Int? in
            var parser = yaml_parser_t()
            guard yaml_parser_initialize(&parser) == 1 else { return nil }
            defer { yaml_parser_delete(&parser) }
            yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
            yaml_parser_set_input_string(&parser, bytes.baseAddress, bytes.count)
            var anchors: [String: Int] = [:]
            // Open collections: their anchor and the nodes counted in them so far.
            var open: [(anchor: String?, nodes: Int)] = []
            var total = 0
            func add(_ nodes: Int) {
                if open.isEmpty { total = min(total + nodes, limit + 1) } else {
                    open[open.count - 1].nodes = min(open[open.count - 1].nodes + nodes, limit + 1)
                }
            }
            func name(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
                pointer.map { String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)) }
            }
            while true {
                var event = yaml_event_t()
                guard yaml_parser_parse(&parser, &event) == 1 else { return nil }
                defer { yaml_event_delete(&event) }
                switch event.type {
                case YAML_STREAM_END_EVENT:
                    return total
                case YAML_SCALAR_EVENT:
                    if let anchor = name(event.data.scalar.anchor) { anchors[anchor] = 1 }
                    add(1)
                case YAML_ALIAS_EVENT:
                    add(name(event.data.alias.anchor).flatMap { anchors[$0] } ?? 1)
                case YAML_SEQUENCE_START_EVENT:
                    open.append((name(event.data.sequence_start.anchor), 1))
                case YAML_MAPPING_START_EVENT:
                    open.append((name(event.data.mapping_start.anchor), 1))
                case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                    guard let closed = open.popLast() else { return nil }
                    if let anchor = closed.anchor { anchors[anchor] = closed.nodes }
                    add(closed.nodes)
                default:
                    break
                }
                if total > limit { return total }
            }
        }
    }
}
