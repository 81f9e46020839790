// The batch splitter of the CSV reader (issue 20): many plain records at a time, their fields
// found from bit masks of 64 bytes instead of one vector scan per field.
//
// Why: `reportd_csv_record` looks for each field's end with a vector load at the field's start,
// and the next field's start is that end: every field waits for a load, a compare and a
// `tzcnt` of the one before (profiled: a fifth of a 10M-row run's CPU, its samples on the test
// after the compare and on the reload of the byte found). Here each 64-byte window is classified
// once into masks of delimiters, line feeds, CRs and quotes at fixed offsets, which the CPU can
// do ahead of the fields, and each field's end is the next set bit: a `tzcnt` and a clear.
//
// It reads only records the plain reader would read the same way: one line each, exactly the
// header's fields, quoted fields without a line break inside (a field with doubled quotes has its
// `end` stored as `~end`, for the caller to collapse them), no quote inside an unquoted field, CR
// only before LF, within the limits, no empty field where `nonEmpty` says the schema requires a
// value. It stops before anything else (and at
// a blank line, the end of the buffer, `stopAt` or `maxRecords`), and the caller reads that
// record with `reportd_csv_record` or the plain reader; tests compare the outcomes on
// adversarial input.
#include "CCSVScan.h"

#include <string.h>

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#define BATCH_X86 1
#include <immintrin.h>
#else
#define BATCH_X86 0
#endif

/// The masks of the 64 bytes from `base` (bytes at or past `n` count as none), one byte at a time
/// in a word: the baseline where SSE2 is not there, and the reference of the vector versions.
static inline void masks64_bytes(
    const uint8_t *p, intptr_t base, intptr_t n, uint8_t delimiter, uint64_t *d, uint64_t *l, uint64_t *c,
    uint64_t *q) {
    uint64_t md = 0, ml = 0, mc = 0, mq = 0;
    const intptr_t count = n - base < 64 ? n - base : 64;
    for (intptr_t i = 0; i < count; i++) {
        const uint8_t b = p[base + i];
        md |= (uint64_t)(b == delimiter) << i;
        ml |= (uint64_t)(b == '\n') << i;
        mc |= (uint64_t)(b == '\r') << i;
        mq |= (uint64_t)(b == '"') << i;
    }
    *d = md;
    *l = ml;
    *c = mc;
    *q = mq;
}

#if defined(__SSE2__)
static inline void masks64_sse2(
    const uint8_t *p, intptr_t base, intptr_t n, uint8_t delimiter, uint64_t *d, uint64_t *l, uint64_t *c,
    uint64_t *q) {
    if (n - base < 64) {
        masks64_bytes(p, base, n, delimiter, d, l, c, q);
        return;
    }
    const __m128i vd = _mm_set1_epi8((char)delimiter), vl = _mm_set1_epi8('\n'), vc = _mm_set1_epi8('\r'),
                  vq = _mm_set1_epi8('"');
    uint64_t md = 0, ml = 0, mc = 0, mq = 0;
    for (int k = 0; k < 4; k++) {
        const __m128i v = _mm_loadu_si128((const __m128i *)(p + base + 16 * k));
        md |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, vd)) << (16 * k);
        ml |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, vl)) << (16 * k);
        mc |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, vc)) << (16 * k);
        mq |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, vq)) << (16 * k);
    }
    *d = md;
    *l = ml;
    *c = mc;
    *q = mq;
}
#define MASKS64 masks64_sse2
#else
#define MASKS64 masks64_bytes
#endif

#define BATCH_NAME csv_records_baseline
#define BATCH_TARGET
#define BATCH_WINDOW batch_window_baseline
#define BATCH_ENSURE batch_ensure_baseline
#include "CSVBatchBody.h"
#undef MASKS64
#undef BATCH_NAME
#undef BATCH_TARGET
#undef BATCH_WINDOW
#undef BATCH_ENSURE

#if BATCH_X86
__attribute__((target("avx2"))) static inline void masks64_avx2(
    const uint8_t *p, intptr_t base, intptr_t n, uint8_t delimiter, uint64_t *d, uint64_t *l, uint64_t *c,
    uint64_t *q) {
    if (n - base < 64) {
        masks64_bytes(p, base, n, delimiter, d, l, c, q);
        return;
    }
    const __m256i vd = _mm256_set1_epi8((char)delimiter), vl = _mm256_set1_epi8('\n'),
                  vc = _mm256_set1_epi8('\r'), vq = _mm256_set1_epi8('"');
    const __m256i lo = _mm256_loadu_si256((const __m256i *)(p + base));
    const __m256i hi = _mm256_loadu_si256((const __m256i *)(p + base + 32));
#define BATCH_MASK(v) \
    ((uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(lo, v)) | \
     (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(hi, v)) << 32)
    *d = BATCH_MASK(vd);
    *l = BATCH_MASK(vl);
    *c = BATCH_MASK(vc);
    *q = BATCH_MASK(vq);
#undef BATCH_MASK
}

#define MASKS64 masks64_avx2
#define BATCH_NAME csv_records_avx2
#define BATCH_TARGET __attribute__((target("avx2")))
#define BATCH_WINDOW batch_window_avx2
#define BATCH_ENSURE batch_ensure_avx2
#include "CSVBatchBody.h"
#undef MASKS64
#undef BATCH_NAME
#undef BATCH_TARGET
#undef BATCH_WINDOW
#undef BATCH_ENSURE
#endif

intptr_t reportd_csv_records_level(
    int level, const uint8_t *p, intptr_t n, intptr_t *position, intptr_t stopAt, uint8_t delimiter,
    intptr_t fieldsPerRecord, intptr_t maxRecords, intptr_t recordBytes, intptr_t cellBytes, const uint8_t *nonEmpty,
    reportd_csv_span *spans) {
    const int wanted = level < 0 ? reportd_simd_level() : level;
    const int cpu = reportd_simd_cpu_level();
    const int use = wanted < cpu ? wanted : cpu;
#if BATCH_X86
    if (use >= 1)
        return csv_records_avx2(
            p, n, position, stopAt, delimiter, fieldsPerRecord, maxRecords, recordBytes, cellBytes, nonEmpty, spans);
#else
    (void)use;
#endif
    return csv_records_baseline(
        p, n, position, stopAt, delimiter, fieldsPerRecord, maxRecords, recordBytes, cellBytes, nonEmpty, spans);
}
