// The body of the batch splitter (`reportd_csv_records`), included once per instruction set by
// CSVBatch.c with MASKS64 naming the function that classifies 64 bytes into bit masks and
// BATCH_NAME / BATCH_TARGET the function and its target attribute (as CSVRecordBody.h is: clang
// will not inline an AVX2 function into one compiled without AVX2).
//
// No include guard: it is meant to be included more than once.

/// The bytes of one 64-byte window, as bit masks (bit i: the byte at `base + i`).
typedef struct {
    intptr_t base;
    /// The structural bytes not yet consumed: delimiters, LFs, CRs and quotes.
    uint64_t rest;
    uint64_t delimiters, lineFeeds, quotes;
} BATCH_WINDOW;

/// Moves the window on until an unconsumed structural byte is in it; false at the buffer's end.
BATCH_TARGET static inline bool BATCH_ENSURE(
    BATCH_WINDOW *w, const uint8_t *p, intptr_t n, uint8_t delimiter) {
    while (w->rest == 0) {
        w->base += 64;
        if (w->base >= n) return false;
        uint64_t d, l, c, q;
        MASKS64(p, w->base, n, delimiter, &d, &l, &c, &q);
        w->delimiters = d;
        w->lineFeeds = l;
        w->quotes = q;
        w->rest = d | l | c | q;
    }
    return true;
}

BATCH_TARGET static intptr_t BATCH_NAME(
    const uint8_t *p, intptr_t n, intptr_t *position, intptr_t stopAt, uint8_t delimiter, intptr_t fieldsPerRecord,
    intptr_t maxRecords, intptr_t recordBytes, intptr_t cellBytes, const uint8_t *nonEmpty, reportd_csv_span *spans) {
    intptr_t pos = *position;
    if (pos >= n || fieldsPerRecord < 1 || delimiter == 0 || delimiter == '"' || delimiter == '\n' ||
        delimiter == '\r')
        return 0;
    BATCH_WINDOW w;
    {
        uint64_t d, l, c, q;
        MASKS64(p, pos, n, delimiter, &d, &l, &c, &q);
        w = (BATCH_WINDOW){pos, d | l | c | q, d, l, q};
    }
    intptr_t records = 0;
    const intptr_t last = fieldsPerRecord - 1;
    const intptr_t recordOrCellBytes = recordBytes < cellBytes ? recordBytes : cellBytes;
    while (records < maxRecords && pos < stopAt && pos < n) {
        const intptr_t recordStart = pos;
        // A blank line (skipped by the plain reader, which counts its line) ends the batch.
        if (p[pos] == '\n' || p[pos] == '\r') break;
        reportd_csv_span *out = spans + records * fieldsPerRecord;
        intptr_t f = 0;
        for (;;) {
            const intptr_t fieldStart = pos;
            intptr_t start = pos, end, sep;
            if (!BATCH_ENSURE(&w, p, n, delimiter)) goto done;
            intptr_t i = __builtin_ctzll(w.rest);
            intptr_t t = w.base + i;
            w.rest &= w.rest - 1;
            bool escaped = false;
            if (t == fieldStart && ((w.quotes >> i) & 1)) {
                // A quoted field: its content runs to the quote that is not doubled; delimiters
                // inside are text. A line break inside (a record over several lines), or anything
                // but a delimiter or the line's end after the closing quote: the plain reader.
                start = t + 1;
                for (;;) {
                    if (!BATCH_ENSURE(&w, p, n, delimiter)) goto done;
                    i = __builtin_ctzll(w.rest);
                    t = w.base + i;
                    w.rest &= w.rest - 1;
                    if ((w.quotes >> i) & 1) {
                        // The byte after a quote is the next structural byte when it is one.
                        if (!BATCH_ENSURE(&w, p, n, delimiter)) goto done;
                        i = __builtin_ctzll(w.rest);
                        if (w.base + i == t + 1 && ((w.quotes >> i) & 1)) {
                            escaped = true;
                            w.rest &= w.rest - 1;
                            continue;
                        }
                        break;
                    }
                    if (!((w.delimiters >> i) & 1)) goto done;
                }
                // `i` is the byte after the closing quote's bit, still unconsumed.
                end = t;
                sep = w.base + i;
                if (sep != end + 1) goto done;
                w.rest &= w.rest - 1;
            } else {
                // A quote inside an unquoted field is text to the plain reader: rare enough to
                // leave to it.
                if ((w.quotes >> i) & 1) goto done;
                end = sep = t;
            }
            // An empty cell where the schema requires one: the row-by-row reader reports it.
            if (end == start && nonEmpty != NULL && nonEmpty[f]) goto done;
            out[f] = (reportd_csv_span){start, escaped ? ~end : end};
            if ((w.delimiters >> i) & 1) {
                if (f == last) goto done;  // more fields than the header
                f++;
                pos = sep + 1;
                continue;
            }
            // A line feed, or a CR that must come right before one.
            if (f != last) goto done;  // fewer fields than the header
            if (!((w.lineFeeds >> i) & 1)) {
                if (!BATCH_ENSURE(&w, p, n, delimiter)) goto done;
                i = __builtin_ctzll(w.rest);
                if (w.base + i != sep + 1 || !((w.lineFeeds >> i) & 1)) goto done;
                w.rest &= w.rest - 1;
                pos = sep + 2;
            } else {
                pos = sep + 1;
            }
            // A record longer than a cell may be (or than a record may be) is left to the plain
            // reader: then no field of a record read here is over the cell limit, with no test
            // per field.
            if (sep - recordStart > recordOrCellBytes) goto done;
            break;
        }
        records++;
        *position = pos;
        continue;
    done:
        break;
    }
    return records;
}
