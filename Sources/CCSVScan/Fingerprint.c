// The per-segment hash of `Fingerprint` (Sources/SourceFiles/Fingerprint.swift), the 64-bit
// checksum by which the dataset cache notices that a file changed (issue 20).
//
// Why it is here: the CSV stream hashes every byte of the file on the thread that reads it, and
// the Swift hash it replaces (four 64-bit lanes of xxHash64's structure, two 64-bit multiplies per
// 8 bytes, about 14 GB/s on one core) was 3.2 % of a 10M-row run's CPU (perf, 133 of 4,083
// samples). This one has the structure of XXH3's long-input loop, written here from its
// description: eight 64-bit accumulators take a 64-byte stripe at a time, each word adding its
// neighbour and the 32 × 32-bit product of its two halves after a xor with a key; AVX2 does the
// eight lanes with two 256-bit registers and `vpmuludq`. Measured with bench/scans.sh (one thread,
// CPU time, 1 MiB in the cache hashed 181 times; the machine busy with a build): the Swift hash
// 14.2–14.5 GB/s, level 0 here 29–31 GB/s, AVX2 52–55 GB/s; over a 181 MB file from memory 14.1,
// 23–26 and 22–26 GB/s (both levels wait for memory there). In a whole run of the five reports
// over the 10M-row file (perf record -F 999): 133–153 samples of the Swift hash (3.2 %); 89–112
// of the AVX2 one hashing each 16 MiB block after its read (out of the L2 cache); 41–64 (about
// 1 %) now that the stream hashes each 256 KiB just after reading it
// (`reportd_fingerprint_blocks_level`; bench/README.md, "The fingerprint hash").
//
// The value is the same function at both levels (AVX2, and the word-at-a-time code of every
// machine, which clang vectorises with SSE2 on x86-64; a hand-written SSE2 version measured the
// same, so it was left out): a fingerprint never depends on the CPU. The tests compare every level
// with a plain Swift rendering of the same algorithm.
//
// The algorithm, for `n` bytes at `p`:
//   - acc[0..<8] start as K[0..<8] (the constant words below);
//   - each 64-byte stripe d[0..<8] (little-endian words) adds, for each i,
//       d[i ^ 1] + lo32(d[i] ^ key[i]) * hi32(d[i] ^ key[i])
//     to acc[i], where the key of the s-th stripe of a 1,024-byte block is K[8 + s ..< 16 + s]; the
//     neighbour's word keeps every bit of the data even when a product is zero;
//   - after each whole block of 16 stripes, each acc[i] becomes
//       (acc[i] ^ (acc[i] >> 47) ^ K[31 + i]) * 0x9E3779B1
//     (an invertible scramble, so no difference between two inputs is lost);
//   - the stripes after the last whole block use keys s = 0, 1, … as in a block; a last partial
//     stripe is padded with zeros and uses the key K[39..<47];
//   - the result: h = n * P1 + Σ_j fold((acc[2j] ^ K[47 + 2j]) * (acc[2j + 1] ^ K[48 + 2j])) over
//     j = 0..<4, where fold is the xor of the 128-bit product's halves, then the avalanche of
//     `Fingerprint.mix` (which makes the padding's zeros differ from data zeros, since n is in h).
// The constant words are K[k] = mix(P1 * (k + 1)) with `Fingerprint`'s primes and mix.
// It is a checksum against accidental change (a flipped bit, a changed, moved or truncated range),
// not a hash that resists someone choosing the bytes.
#include "CCSVScan.h"

#include <string.h>

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#define FP_X86 1
#include <immintrin.h>
#else
#define FP_X86 0
#endif

#define P1 0x9E3779B185EBCA87ull
#define P2 0xC2B2AE3D27D4EB4Full
#define P3 0x165667B19E3779F9ull
#define SCRAMBLE_PRIME 0x9E3779B1u
#define STRIPE 64
#define BLOCK_STRIPES 16
#define BLOCK (STRIPE * BLOCK_STRIPES)
// Where each use of the constant words starts in K.
#define K_INIT 0
#define K_STRIPE 8
#define K_SCRAMBLE 31
#define K_TAIL 39
#define K_MERGE 47

// K[k] = mix(P1 * (k + 1)), k = 0..<55.
static const uint64_t K[55] = {
    0xb8cb396de59eab6aull, 0xd30bf90992cc8523ull, 0xc6cf54087afdc073ull, 0xa6dfa2056261625bull,
    0x39e83c3b0db22e7aull, 0xc0a8aa2c4dfbc3b6ull, 0x0a55622144a988a8ull, 0x3f7b13d3b606936full,
    0x1f63b7582ee161dbull, 0xf0a15dc537620ddeull, 0x58b7f9c04e5ff5e8ull, 0x764d927c29ec8839ull,
    0xd5de1a3c1c4af891ull, 0x0666940a9b9f4118ull, 0x90e36ef418a0ed0eull, 0xf0b425069a8502dbull,
    0x9ff9e5b4c7f64baaull, 0x9a3974bd3c7cdac5ull, 0x047ea313f3a5626dull, 0x0d6b276f34aff538ull,
    0x88c5555a72bc464bull, 0x7cff55e511389311ull, 0x576eae726a79bd74ull, 0xde56f4c06114c04aull,
    0xd90d97ba920ced25ull, 0xfcd67b4367950e77ull, 0xc3e9b720c703d593ull, 0x39dfabace4ac6351ull,
    0x47d8e124c4cd8a9bull, 0x466175d2e8dff43full, 0xc62fa57f33f05131ull, 0xe57d7d0af943e08cull,
    0xc92b88de87e99010ull, 0x2f47a2018f99369cull, 0xcc8760979768af38ull, 0x32de0ac9072bcf15ull,
    0xe3e5695810fd1d6bull, 0x667d295a2dfbb202ull, 0xc218aaa34b3e0b51ull, 0x1ad64ede695fea70ull,
    0x19adc4358911f320ull, 0xe7163f522aa66dadull, 0xdb409a1abf538657ull, 0xe58d68867eadfebcull,
    0xa92a188f903c0b94ull, 0xc143300c2a8bdee6ull, 0x814e13f8a6ed6bf0ull, 0x89d1ee710ca53801ull,
    0xdf6aec3e99f16921ull, 0xa3d6ff3c35d40a02ull, 0x73fc58785952ec29ull, 0xe14f80c449501a61ull,
    0x09ace6a95355ea42ull, 0xda726b01a3de7d82ull, 0x4c17b6b7889d019aull,
};

// MARK: Shared ends

static inline uint64_t load_le64(const uint8_t *p) {
    uint64_t w;
    memcpy(&w, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    w = __builtin_bswap64(w);
#endif
    return w;
}

static inline uint64_t fold(uint64_t a, uint64_t b) {
    const unsigned __int128 product = (unsigned __int128)a * b;
    return (uint64_t)product ^ (uint64_t)(product >> 64);
}

/// `Fingerprint.mix`: the avalanche at the end.
static inline uint64_t avalanche(uint64_t h) {
    h ^= h >> 33;
    h *= P2;
    h ^= h >> 29;
    h *= P3;
    return h ^ (h >> 32);
}

static inline uint64_t merge(const uint64_t acc[8], size_t n) {
    uint64_t h = (uint64_t)n * P1;
    for (int j = 0; j < 4; j++) h += fold(acc[2 * j] ^ K[K_MERGE + 2 * j], acc[2 * j + 1] ^ K[K_MERGE + 2 * j + 1]);
    return avalanche(h);
}

// MARK: Words (level 0, every machine: clang turns the loop into SSE2 code on x86-64)

static inline void stripe_words(uint64_t acc[8], const uint8_t *p, const uint64_t *key) {
    uint64_t d[8];
    for (int i = 0; i < 8; i++) d[i] = load_le64(p + 8 * i);
    for (int i = 0; i < 8; i++) {
        const uint64_t k = d[i] ^ key[i];
        acc[i] += d[i ^ 1] + (k & 0xFFFFFFFFu) * (k >> 32);
    }
}

/// Takes the whole blocks of `p[0..<n]` into `acc`, then, when `last`, the stripes after them and
/// the padded partial stripe.
static void take_words(uint64_t state[8], const uint8_t *p, size_t n, bool last) {
    // A local copy: `p` could alias the state, which would keep the compiler from holding it in
    // registers.
    uint64_t acc[8];
    memcpy(acc, state, sizeof acc);
    size_t i = 0;
    while (n - i >= BLOCK) {
        for (int s = 0; s < BLOCK_STRIPES; s++) stripe_words(acc, p + i + STRIPE * s, K + K_STRIPE + s);
        for (int l = 0; l < 8; l++) {
            const uint64_t a = acc[l];
            acc[l] = (a ^ (a >> 47) ^ K[K_SCRAMBLE + l]) * SCRAMBLE_PRIME;
        }
        i += BLOCK;
    }
    if (last) {
        for (int s = 0; n - i >= STRIPE; s++, i += STRIPE) stripe_words(acc, p + i, K + K_STRIPE + s);
        if (i < n) {
            uint8_t tail[STRIPE] = {0};
            memcpy(tail, p + i, n - i);
            stripe_words(acc, tail, K + K_TAIL);
        }
    }
    memcpy(state, acc, sizeof acc);
}

#if FP_X86

// MARK: AVX2

__attribute__((target("avx2"))) static inline void stripe_avx2(
    __m256i *acc0, __m256i *acc1, const uint8_t *p, const uint64_t *key) {
    const __m256i d0 = _mm256_loadu_si256((const __m256i *)p);
    const __m256i d1 = _mm256_loadu_si256((const __m256i *)(p + 32));
    const __m256i k0 = _mm256_xor_si256(d0, _mm256_loadu_si256((const __m256i *)key));
    const __m256i k1 = _mm256_xor_si256(d1, _mm256_loadu_si256((const __m256i *)(key + 4)));
    const __m256i product0 = _mm256_mul_epu32(k0, _mm256_srli_epi64(k0, 32));
    const __m256i product1 = _mm256_mul_epu32(k1, _mm256_srli_epi64(k1, 32));
    // Each 64-bit word's neighbour (i ^ 1): the halves of each 128-bit lane swapped.
    const __m256i neighbour0 = _mm256_shuffle_epi32(d0, _MM_SHUFFLE(1, 0, 3, 2));
    const __m256i neighbour1 = _mm256_shuffle_epi32(d1, _MM_SHUFFLE(1, 0, 3, 2));
    *acc0 = _mm256_add_epi64(*acc0, _mm256_add_epi64(neighbour0, product0));
    *acc1 = _mm256_add_epi64(*acc1, _mm256_add_epi64(neighbour1, product1));
}

__attribute__((target("avx2"))) static inline __m256i scramble_avx2(__m256i acc, const uint64_t *key) {
    const __m256i prime = _mm256_set1_epi64x(SCRAMBLE_PRIME);
    __m256i a = _mm256_xor_si256(acc, _mm256_srli_epi64(acc, 47));
    a = _mm256_xor_si256(a, _mm256_loadu_si256((const __m256i *)key));
    const __m256i low = _mm256_mul_epu32(a, prime);
    const __m256i high = _mm256_mul_epu32(_mm256_srli_epi64(a, 32), prime);
    return _mm256_add_epi64(low, _mm256_slli_epi64(high, 32));
}

__attribute__((target("avx2"))) static void take_avx2(uint64_t acc[8], const uint8_t *p, size_t n, bool last) {
    __m256i acc0 = _mm256_loadu_si256((const __m256i *)acc);
    __m256i acc1 = _mm256_loadu_si256((const __m256i *)(acc + 4));
    size_t i = 0;
    while (n - i >= BLOCK) {
        for (int s = 0; s < BLOCK_STRIPES; s++) stripe_avx2(&acc0, &acc1, p + i + STRIPE * s, K + K_STRIPE + s);
        acc0 = scramble_avx2(acc0, K + K_SCRAMBLE);
        acc1 = scramble_avx2(acc1, K + K_SCRAMBLE + 4);
        i += BLOCK;
    }
    if (last) {
        for (int s = 0; n - i >= STRIPE; s++, i += STRIPE) stripe_avx2(&acc0, &acc1, p + i, K + K_STRIPE + s);
        if (i < n) {
            uint8_t tail[STRIPE] = {0};
            memcpy(tail, p + i, n - i);
            stripe_avx2(&acc0, &acc1, tail, K + K_TAIL);
        }
    }
    _mm256_storeu_si256((__m256i *)acc, acc0);
    _mm256_storeu_si256((__m256i *)(acc + 4), acc1);
}

#endif

// MARK: Dispatch

static void take(int level, uint64_t acc[8], const uint8_t *p, size_t n, bool last) {
#if FP_X86
    if (level < 0) level = reportd_simd_level();
    if (level >= 1 && reportd_simd_cpu_level() >= 1) {
        take_avx2(acc, p, n, last);
        return;
    }
#else
    (void)level;
#endif
    take_words(acc, p, n, last);
}

void reportd_fingerprint_start(reportd_fingerprint_state *state) {
    for (int i = 0; i < 8; i++) state->acc[i] = K[K_INIT + i];
}

void reportd_fingerprint_blocks_level(int level, reportd_fingerprint_state *state, const uint8_t *p, size_t n) {
    take(level, state->acc, p, n, false);
}

uint64_t reportd_fingerprint_finish_level(
    int level, reportd_fingerprint_state *state, const uint8_t *p, size_t n, size_t total) {
    take(level, state->acc, p, n, true);
    return merge(state->acc, total);
}

uint64_t reportd_fingerprint_hash_level(int level, const uint8_t *p, size_t n) {
    reportd_fingerprint_state state;
    reportd_fingerprint_start(&state);
    return reportd_fingerprint_finish_level(level, &state, p, n, n);
}

uint64_t reportd_fingerprint_hash(const uint8_t *p, size_t n) { return reportd_fingerprint_hash_level(-1, p, n); }
