// Byte scans of the CSV reader that want vector instructions (issue 20).
//
// Written in C because clang turns these loops into vector code (16 bytes a step with SSE2, which
// every x86-64 has) and Swift's SIMD types did not: a quote count written with SIMD32<UInt8> ran
// about 300 times slower than the C loop in a release build (measured here, Swift 6.3.1), and the
// word-at-a-time Swift version 2.5 times slower. Without SSE2 the same functions run a portable
// word-at-a-time scan, with the same results.
#include "CCSVScan.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

size_t reportd_count_byte(const uint8_t *p, size_t n, uint8_t byte) {
    size_t count = 0;
    size_t i = 0;
    // Blocks of 4096 summed in 32 bits: clang vectorises the inner loop (compare, then subtract the
    // all-ones lanes), and no lane can overflow.
    while (n - i >= 4096) {
        uint32_t block = 0;
        for (size_t k = 0; k < 4096; k++) block += p[i + k] == byte;
        count += block;
        i += 4096;
    }
    for (; i < n; i++) count += p[i] == byte;
    return count;
}

#if !defined(__SSE2__)
// SWAR: the high bit of each byte of `zero_bytes(w ^ pattern)` marks a byte of w equal to the
// pattern's; the lowest one is always exact, which is all a scan needs.
static inline uint64_t zero_bytes(uint64_t x) {
    return (x - 0x0101010101010101ULL) & ~x & 0x8080808080808080ULL;
}

static inline uint64_t load_word(const uint8_t *p) {
    uint64_t w;
    __builtin_memcpy(&w, p, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    w = __builtin_bswap64(w);
#endif
    return w;
}
#endif

/// The first index >= pos of a byte equal to a, b or c, or n.
static inline intptr_t find3(const uint8_t *p, intptr_t pos, intptr_t n, uint8_t a, uint8_t b, uint8_t c) {
#if defined(__SSE2__)
    const __m128i va = _mm_set1_epi8((char)a), vb = _mm_set1_epi8((char)b), vc = _mm_set1_epi8((char)c);
    while (pos + 16 <= n) {
        __m128i v = _mm_loadu_si128((const __m128i *)(p + pos));
        __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, va), _mm_cmpeq_epi8(v, vb)), _mm_cmpeq_epi8(v, vc));
        unsigned mask = (unsigned)_mm_movemask_epi8(hit);
        if (mask != 0) return pos + __builtin_ctz(mask);
        pos += 16;
    }
#else
    const uint64_t wa = 0x0101010101010101ULL * a, wb = 0x0101010101010101ULL * b, wc = 0x0101010101010101ULL * c;
    while (pos + 8 <= n) {
        uint64_t w = load_word(p + pos);
        uint64_t m = zero_bytes(w ^ wa) | zero_bytes(w ^ wb) | zero_bytes(w ^ wc);
        if (m != 0) return pos + (__builtin_ctzll(m) >> 3);
        pos += 8;
    }
#endif
    while (pos < n && p[pos] != a && p[pos] != b && p[pos] != c) pos++;
    return pos;
}

// Fast path of CSVRecordReader.next: the same record, fields, lines and positions as the Swift
// reader gives for a well-formed record, found with the vector scans above. Anything the plain
// reader would report (a quote that does not close, a character after a closing quote, a lone CR,
// a limit passed) returns REPORTD_CSV_PLAIN without touching the cursor, and the plain reader
// reads the record again from its start, so every error and its position are the plain reader's.
int reportd_csv_record(
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
                pos = find3(p, pos, n, '"', '\n', '"');
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
            f->start = start;
            f->end = pos;
            f->quoted = true;
            f->escapedQuotes = escaped;
            f->line = openLine;
            f->lineStart = openLineStart;
            count++;
            pos++;  // the closing quote
            if (pos < n) {
                const uint8_t c = p[pos];
                if (c != delimiter && c != '\n' && !(c == '\r' && (pos + 1 == n || p[pos + 1] == '\n')))
                    return REPORTD_CSV_PLAIN;
            }
        } else {
            const intptr_t start = pos;
            pos = find3(p, pos, n, delimiter, '\n', '\r');
            // A CR ends a field only before an LF or as the last byte.
            if (pos < n && p[pos] == '\r' && pos + 1 < n && p[pos + 1] != '\n') return REPORTD_CSV_PLAIN;
            if (pos - recordStart > recordBytes || pos - start > cellBytes) return REPORTD_CSV_PLAIN;
            f->start = start;
            f->end = pos;
            f->quoted = false;
            f->escapedQuotes = false;
            f->line = line;
            f->lineStart = lineStart;
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
