// Byte scans of the CSV reader that want vector instructions (issue 20).
//
// Written in C because clang turns these loops into vector code and Swift's SIMD types did not: a
// quote count written with SIMD32<UInt8> ran about 300 times slower than the C loop in a release
// build (measured here, Swift 6.3.1), and the word-at-a-time Swift version 2.5 times slower.
//
// Two levels, chosen once per process from what the CPU says it has (`__builtin_cpu_supports`,
// which also checks that the OS saves the wide registers):
//   0  the baseline: SSE2 on x86-64 (every x86-64 has it), a word-at-a-time scan elsewhere;
//   1  AVX2: 32-byte scans and the vector UTF-8 check.
// An AVX-512BW quote count (64-byte compares into a mask, popcount) was measured equal to the AVX2
// one (bench/scans.sh: 2.2 ms against 2.2 ms over 181 MB in cache, 6.2 against 6.2 from memory:
// both go as fast as the data arrives), so it was left out.
// The build targets the baseline; the wider functions carry `target(...)` attributes and are only
// called when the CPU has them. REPORTD_SIMD=baseline in the environment caps the level at 0 (to
// measure the fast paths against the baseline with one binary). Every level gives the same
// results; the tests run each level the machine has against the plain code.
#include "CCSVScan.h"

#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#define REPORTD_X86 1
#include <immintrin.h>
#else
#define REPORTD_X86 0
#endif

// MARK: Dispatch

static int cpu_level(void) {
#if REPORTD_X86
    static int cached = -1;
    int level = __atomic_load_n(&cached, __ATOMIC_RELAXED);
    if (level >= 0) return level;
    __builtin_cpu_init();
    level = 0;
    if (__builtin_cpu_supports("avx2")) level = 1;
    // Two threads may both get here; they store the same value.
    __atomic_store_n(&cached, level, __ATOMIC_RELAXED);
    return level;
#else
    return 0;
#endif
}

int reportd_simd_cpu_level(void) { return cpu_level(); }

int reportd_simd_level(void) {
    static int cached = -1;
    int level = __atomic_load_n(&cached, __ATOMIC_RELAXED);
    if (level >= 0) return level;
    level = cpu_level();
    const char *cap = getenv("REPORTD_SIMD");
    if (cap != NULL && strcmp(cap, "baseline") == 0) level = 0;
    __atomic_store_n(&cached, level, __ATOMIC_RELAXED);
    return level;
}

/// `level` (-1: the process's) lowered to what this CPU can run.
static inline int usable(int level) {
    if (level < 0) return reportd_simd_level();
    const int cpu = cpu_level();
    return level < cpu ? level : cpu;
}

// MARK: Counting a byte

static size_t count_byte_baseline(const uint8_t *p, size_t n, uint8_t byte) {
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

#if REPORTD_X86
// Why: the reading thread counts the quotes of every block (to find the block's last record)
// before the block can be handed to the typing threads, so this count is on the critical path of
// the whole read. The baseline loop above, as clang compiles it, widens each 16-byte compare into
// 32-bit lanes; here 128 bytes a step are compared and the all-ones lanes subtracted from byte
// counters (summed with `psadbw` every 63 steps).
__attribute__((target("avx2"))) static size_t count_byte_avx2(const uint8_t *p, size_t n, uint8_t byte) {
    const __m256i b = _mm256_set1_epi8((char)byte), zero = _mm256_setzero_si256();
    size_t count = 0, i = 0;
    while (n - i >= 128) {
        __m256i acc = zero;
        // At most 63 steps of at most 4 a lane before the counters are summed: no lane passes 255.
        size_t steps = (n - i) / 128;
        if (steps > 63) steps = 63;
        for (size_t s = 0; s < steps; s++, i += 128) {
            const __m256i e0 = _mm256_cmpeq_epi8(_mm256_loadu_si256((const __m256i *)(p + i)), b);
            const __m256i e1 = _mm256_cmpeq_epi8(_mm256_loadu_si256((const __m256i *)(p + i + 32)), b);
            const __m256i e2 = _mm256_cmpeq_epi8(_mm256_loadu_si256((const __m256i *)(p + i + 64)), b);
            const __m256i e3 = _mm256_cmpeq_epi8(_mm256_loadu_si256((const __m256i *)(p + i + 96)), b);
            // Each equal byte is -1: subtracting adds one, at most 4 per lane a step.
            acc = _mm256_sub_epi8(acc, _mm256_add_epi8(_mm256_add_epi8(e0, e1), _mm256_add_epi8(e2, e3)));
        }
        const __m256i sums = _mm256_sad_epu8(acc, zero);
        count += (size_t)_mm256_extract_epi64(sums, 0) + (size_t)_mm256_extract_epi64(sums, 1) +
                 (size_t)_mm256_extract_epi64(sums, 2) + (size_t)_mm256_extract_epi64(sums, 3);
    }
    while (n - i >= 32) {
        const __m256i e = _mm256_cmpeq_epi8(_mm256_loadu_si256((const __m256i *)(p + i)), b);
        count += (size_t)__builtin_popcount((unsigned)_mm256_movemask_epi8(e));
        i += 32;
    }
    for (; i < n; i++) count += p[i] == byte;
    return count;
}

#endif

size_t reportd_count_byte_level(int level, const uint8_t *p, size_t n, uint8_t byte) {
#if REPORTD_X86
    if (usable(level) >= 1) return count_byte_avx2(p, n, byte);
#else
    (void)level;
#endif
    return count_byte_baseline(p, n, byte);
}

size_t reportd_count_byte(const uint8_t *p, size_t n, uint8_t byte) {
    return reportd_count_byte_level(-1, p, n, byte);
}

// MARK: UTF-8

#if REPORTD_X86
// Why: the reader checks every chunk of the file for UTF-8 before typing it, and Vietnamese text
// has a multi-byte letter every two to four bytes, so the check cannot skip much as ASCII; the
// byte-at-a-time DFA (UTF8Check.isValid, the fallback) was 9 % of a 10M-row run's CPU. This is the
// lookup-table method of Keiser and Lemire ("Validating UTF-8 in less than one instruction per
// byte", 2021), written here from the paper's idea: every error of RFC 3629 shows in a pair of
// adjacent bytes, or in a continuation byte that the byte two or three before does (or does not)
// call for.
//
// For each byte and the one before it, three 16-entry tables, indexed by the previous byte's
// high nibble, its low nibble and this byte's high nibble, give a set of error classes; the
// pair has a class when all three tables have its bit. Each class is a product of three nibble
// sets, so one bit each (two classes share a bit only when their product holds nothing valid):
#define SHORT 0x01  // a lead byte (C0–FF) not followed by a continuation (00–7F, C0–FF)
#define LONG 0x02   // an ASCII byte followed by a continuation (80–BF)
#define OVER2 0x04  // C0 or C1 then a continuation: a 2-byte overlong
#define OVER3 0x08  // E0 then 80–9F: a 3-byte overlong
#define SURR 0x10   // ED then A0–BF: a UTF-16 surrogate
#define F_8 0x20    // F0 then 80–8F (a 4-byte overlong), or F5–FF then 80–8F (above U+10FFFF)
#define F_9B 0x40   // F4–FF then 90–BF: above U+10FFFF
#define CONT2 0x80  // a continuation followed by a continuation
// CONT2 is not an error by itself: the third byte of E0–EF sequences and the third and fourth of
// F0–F4 sequences are such pairs. A byte must be a continuation of that kind exactly when the byte
// two before is E0 or above or the byte three before is F0 or above; the check is that CONT2 is
// set exactly there and no other class anywhere.

// The previous byte's high nibble: 0–7 ASCII, 8–B continuation, C–F leads.
static const uint8_t high1_classes[16] = {
    LONG, LONG, LONG, LONG, LONG, LONG, LONG, LONG, CONT2, CONT2, CONT2, CONT2,
    SHORT | OVER2, SHORT, SHORT | OVER3 | SURR, SHORT | F_8 | F_9B,
};
// The previous byte's low nibble (the classes that do not care have every nibble).
#define ANY1 (SHORT | LONG | CONT2)
static const uint8_t low1_classes[16] = {
    ANY1 | OVER2 | OVER3 | F_8, ANY1 | OVER2, ANY1, ANY1, ANY1 | F_9B, ANY1 | F_8 | F_9B, ANY1 | F_8 | F_9B,
    ANY1 | F_8 | F_9B, ANY1 | F_8 | F_9B, ANY1 | F_8 | F_9B, ANY1 | F_8 | F_9B, ANY1 | F_8 | F_9B,
    ANY1 | F_8 | F_9B, ANY1 | F_8 | F_9B | SURR, ANY1 | F_8 | F_9B, ANY1 | F_8 | F_9B,
};
// This byte's high nibble.
#define CONT (LONG | OVER2 | CONT2)
static const uint8_t high2_classes[16] = {
    SHORT, SHORT, SHORT, SHORT, SHORT, SHORT, SHORT, SHORT,
    CONT | OVER3 | F_8, CONT | OVER3 | F_9B, CONT | SURR | F_9B, CONT | SURR | F_9B, SHORT, SHORT, SHORT, SHORT,
};

/// A 16-entry table in both 16-byte lanes, for `pshufb`.
__attribute__((target("avx2"))) static inline __m256i table(const uint8_t t[16]) {
    return _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)t));
}

/// The 32 bytes that end `k` bytes before the end of `cur`: the last k of `prev`, then cur's.
/// (`alignr` shifts within each 16-byte lane, so its other operand is prev's high lane and cur's
/// low lane.)
#define BEFORE(cur, prev, k) _mm256_alignr_epi8((cur), _mm256_permute2x128_si256((prev), (cur), 0x21), 16 - (k))

/// The error classes of the 32 bytes `cur` after the 32 bytes `prev`: zero when no error shows
/// in them, except a sequence still open at the end of `cur` (see `open_at_end`).
__attribute__((target("avx2"))) static inline __m256i utf8_errors(__m256i cur, __m256i prev) {
    const __m256i nibble = _mm256_set1_epi8(0x0F);
    const __m256i prev1 = BEFORE(cur, prev, 1);
    const __m256i high1 = _mm256_and_si256(_mm256_srli_epi16(prev1, 4), nibble);
    const __m256i low1 = _mm256_and_si256(prev1, nibble);
    const __m256i high2 = _mm256_and_si256(_mm256_srli_epi16(cur, 4), nibble);
    const __m256i classes = _mm256_and_si256(
        _mm256_and_si256(_mm256_shuffle_epi8(table(high1_classes), high1), _mm256_shuffle_epi8(table(low1_classes), low1)),
        _mm256_shuffle_epi8(table(high2_classes), high2));
    // Two before at E0 or above, three before at F0 or above: this byte must be a continuation
    // after a continuation. (The saturating subtractions leave at most 0x3F, so a signed compare
    // with zero is exact.)
    const __m256i third = _mm256_subs_epu8(BEFORE(cur, prev, 2), _mm256_set1_epi8((char)0xDF));
    const __m256i fourth = _mm256_subs_epu8(BEFORE(cur, prev, 3), _mm256_set1_epi8((char)0xEF));
    const __m256i expected = _mm256_and_si256(
        _mm256_cmpgt_epi8(_mm256_or_si256(third, fourth), _mm256_setzero_si256()), _mm256_set1_epi8((char)CONT2));
    return _mm256_xor_si256(classes, expected);
}

/// Non-zero when the last three bytes of `block` start a sequence that needs bytes after them:
/// the last byte C0 or above, the one before E0 or above, the one before that F0 or above.
__attribute__((target("avx2"))) static inline __m256i open_at_end(__m256i block) {
    const __m256i most = _mm256_setr_epi8(
        -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
        -1, -1, (char)0xEF, (char)0xDF, (char)0xBF);
    return _mm256_subs_epu8(block, most);
}

__attribute__((target("avx2"))) static bool utf8_valid_avx2(const uint8_t *p, size_t n, bool allowingNUL) {
    const __m256i zero = _mm256_setzero_si256();
    __m256i prev = zero, open = zero, errors = zero, nuls = zero;
    size_t i = 0;
    for (;; i += 32) {
        __m256i cur;
        const bool last = n - i < 32;
        if (last) {
            // The tail, padded with spaces (ASCII, not NUL): a sequence cut by the buffer's end is
            // then a lead followed by a space. With no tail this block is all spaces and only
            // checks what the last one left open.
            uint8_t tail[32];
            memset(tail, ' ', sizeof tail);
            if (n > i) memcpy(tail, p + i, n - i);
            cur = _mm256_loadu_si256((const __m256i *)tail);
        } else {
            cur = _mm256_loadu_si256((const __m256i *)(p + i));
        }
        if (!allowingNUL) nuls = _mm256_or_si256(nuls, _mm256_cmpeq_epi8(cur, zero));
        if (_mm256_movemask_epi8(cur) == 0) {
            // An ASCII block (the fast path of mostly-English files): its only possible error is a
            // sequence the previous block left open.
            errors = _mm256_or_si256(errors, open);
            open = zero;
        } else {
            errors = _mm256_or_si256(errors, utf8_errors(cur, prev));
            open = open_at_end(cur);
        }
        prev = cur;
        if (last) break;
        // The errors are kept, not tested, a block: a valid buffer (the usual case) is read to the
        // end anyway; a test every 64 blocks ends an invalid one early.
        if ((i & (2047)) == 2016 && !_mm256_testz_si256(_mm256_or_si256(errors, nuls), _mm256_or_si256(errors, nuls)))
            return false;
    }
    errors = _mm256_or_si256(_mm256_or_si256(errors, open), nuls);
    return _mm256_testz_si256(errors, errors);
}
#endif

int reportd_utf8_valid_level(int level, const uint8_t *p, size_t n, bool allowingNUL) {
#if REPORTD_X86
    if (usable(level) >= 1) return utf8_valid_avx2(p, n, allowingNUL) ? 1 : 0;
#else
    (void)level;
    (void)p;
    (void)n;
    (void)allowingNUL;
#endif
    return -1;
}

int reportd_utf8_valid(const uint8_t *p, size_t n, bool allowingNUL) {
    return reportd_utf8_valid_level(-1, p, n, allowingNUL);
}

// MARK: Record splitting

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

/// The first index >= pos of a byte equal to a, b or c, or n: 16 bytes a step with SSE2.
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

#define FIND3 find3
#define RECORD_NAME csv_record_baseline
#define RECORD_TARGET
#include "CSVRecordBody.h"
#undef FIND3
#undef RECORD_NAME
#undef RECORD_TARGET

#if REPORTD_X86
/// The same scan 32 bytes a step (then 16, then bytewise) with AVX2.
__attribute__((target("avx2"))) static inline intptr_t find3_avx2(
    const uint8_t *p, intptr_t pos, intptr_t n, uint8_t a, uint8_t b, uint8_t c) {
    if (pos + 16 <= n) {
        const __m128i v = _mm_loadu_si128((const __m128i *)(p + pos));
        const __m128i hit = _mm_or_si128(
            _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8((char)a)), _mm_cmpeq_epi8(v, _mm_set1_epi8((char)b))),
            _mm_cmpeq_epi8(v, _mm_set1_epi8((char)c)));
        const unsigned mask = (unsigned)_mm_movemask_epi8(hit);
        if (mask != 0) return pos + __builtin_ctz(mask);
        pos += 16;
    }
    const __m256i va = _mm256_set1_epi8((char)a), vb = _mm256_set1_epi8((char)b), vc = _mm256_set1_epi8((char)c);
    while (pos + 32 <= n) {
        const __m256i v = _mm256_loadu_si256((const __m256i *)(p + pos));
        const __m256i hit = _mm256_or_si256(
            _mm256_or_si256(_mm256_cmpeq_epi8(v, va), _mm256_cmpeq_epi8(v, vb)), _mm256_cmpeq_epi8(v, vc));
        const unsigned mask = (unsigned)_mm256_movemask_epi8(hit);
        if (mask != 0) return pos + __builtin_ctz(mask);
        pos += 32;
    }
    return find3(p, pos, n, a, b, c);
}

#define FIND3 find3_avx2
#define RECORD_NAME csv_record_avx2
#define RECORD_TARGET __attribute__((target("avx2")))
#include "CSVRecordBody.h"
#undef FIND3
#undef RECORD_NAME
#undef RECORD_TARGET
#endif

int reportd_csv_record_level(
    int level, const uint8_t *p, intptr_t n, uint8_t delimiter, intptr_t columns, intptr_t recordBytes,
    intptr_t cellBytes, reportd_csv_field *fields, intptr_t capacity, reportd_csv_cursor *cursor) {
#if REPORTD_X86
    if (usable(level) >= 1)
        return csv_record_avx2(p, n, delimiter, columns, recordBytes, cellBytes, fields, capacity, cursor);
#else
    (void)level;
#endif
    return csv_record_baseline(p, n, delimiter, columns, recordBytes, cellBytes, fields, capacity, cursor);
}

// Fast path of CSVRecordReader.next: the same record, fields, lines and positions as the Swift
// reader gives for a well-formed record, found with the vector scans above. Anything the plain
// reader would report (a quote that does not close, a character after a closing quote, a lone CR,
// a limit passed) returns REPORTD_CSV_PLAIN without touching the cursor, and the plain reader
// reads the record again from its start, so every error and its position are the plain reader's.
int reportd_csv_record(
    const uint8_t *p, intptr_t n, uint8_t delimiter, intptr_t columns, intptr_t recordBytes, intptr_t cellBytes,
    reportd_csv_field *fields, intptr_t capacity, reportd_csv_cursor *cursor) {
    return reportd_csv_record_level(-1, p, n, delimiter, columns, recordBytes, cellBytes, fields, capacity, cursor);
}
