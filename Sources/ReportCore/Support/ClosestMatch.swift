/// The candidate nearest to `word` by edit distance, when it is near enough to be a likely typo.
public func closestMatch(to word: String, among candidates: some Sequence<String>) -> String? {
    let w = Array(word.lowercased())
    var best: (String, Int)?
    for candidate in candidates {
        let c = candidate.lowercased()
        // A word that extends a candidate ('integer' for 'int') or is cut from one is a likely slip.
        let d =
            (w.count >= 3 && c.count >= 3 && (word.lowercased().hasPrefix(c) || c.hasPrefix(word.lowercased())))
            ? 1 : editDistance(w, Array(c))
        if d <= max(2, w.count / 3), d < (best?.1 ?? Int.max) { best = (candidate, d) }
    }
    return best?.0
}

/// Levenshtein distance between two character arrays.
func editDistance(_ a: [Character], _ b: [Character]) -> Int {
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    var current = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        current[0] = i
        for j in 1...b.count {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        swap(&previous, &current)
    }
    return previous[b.count]
}
