// The body of the record splitter, included once per instruction set by CSVScan.c with FIND3
// naming the delimiter/line-break/quote scan and RECORD_NAME and RECORD_TARGET the function and
// its target attribute. A body shared this way keeps the SSE2 and AVX2 splitters the same code
// with only the scan width different (clang will not inline an AVX2 scan into a function compiled
// without AVX2, so a plain function parameterised by width would not do).
//
// No include guard: it is meant to be included more than once.

RECORD_TARGET
static int RECORD_NAME(
    const uint8_t *p, intptr_t n, uint8_t delimiter, intptr_t columns, intptr_t recordBytes, intptr_t cellBytes,
    reportd_csv_field *fields, intptr_t capacity, reportd_csv_cursor *cursor) {
    intptr_t pos = cursor->position, line = cursor->line, lineStart = cursor->lineStart;
    const intptr_t recordStart = pos;
    intptr_t count = 0;
    for (;;) {
        if (count + 1 > columns) return REPORTD_CSV_PLAIN;
        if (count == capacity) return REPORTD_CSV_FULL;
        reportd_csv_field *f = &fields[count];
        if (pos < n && p[pos] == '"') {
            const intptr_t openLine = line, openLineStart = lineStart;
            const intptr_t start = ++pos;
            bool escaped = false;
            for (;;) {
                pos = FIND3(p, pos, n, '"', '\n', '"');
                if (pos >= n) return REPORTD_CSV_PLAIN;
                if (p[pos] == '\n') {
                    line++;
                    lineStart = pos + 1;
                    pos++;
                    continue;
                }
                if (pos + 1 < n && p[pos + 1] == '"') {
                    escaped = true;
                    pos += 2;
                    continue;
                }
                break;
            }
            if (pos - recordStart > recordBytes || pos - start > cellBytes) return REPORTD_CSV_PLAIN;
            *f = (reportd_csv_field){start, pos, true, escaped, openLine, openLineStart};
            count++;
            pos++;  // the closing quote
            if (pos < n) {
                const uint8_t c = p[pos];
                if (c != delimiter && c != '\n' && !(c == '\r' && (pos + 1 == n || p[pos + 1] == '\n')))
                    return REPORTD_CSV_PLAIN;
            }
        } else {
            const intptr_t start = pos;
            pos = FIND3(p, pos, n, delimiter, '\n', '\r');
            // A CR ends a field only before an LF or as the last byte.
            if (pos < n && p[pos] == '\r' && pos + 1 < n && p[pos + 1] != '\n') return REPORTD_CSV_PLAIN;
            if (pos - recordStart > recordBytes || pos - start > cellBytes) return REPORTD_CSV_PLAIN;
            *f = (reportd_csv_field){start, pos, false, false, line, lineStart};
            count++;
        }
        if (pos >= n) {
            cursor->recordEnd = pos;
            break;
        }
        const uint8_t c = p[pos];
        if (c == delimiter) {
            pos++;
            continue;
        }
        cursor->recordEnd = pos;
        pos += c == '\r' ? 2 : 1;
        if (pos > n) pos = n;
        line++;
        lineStart = pos;
        break;
    }
    cursor->position = pos;
    cursor->line = line;
    cursor->lineStart = lineStart;
    cursor->count = count;
    return REPORTD_CSV_READ;
}
