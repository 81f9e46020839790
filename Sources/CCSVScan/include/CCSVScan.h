#ifndef REPORTD_CCSVSCAN_H
#define REPORTD_CCSVSCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/// The vector level this process uses: 0 the baseline (SSE2 on x86-64, words elsewhere), 1 AVX2;
/// what the CPU has unless REPORTD_SIMD=baseline caps it at 0.
int reportd_simd_level(void);
/// The vector level the CPU has (as above, ignoring REPORTD_SIMD).
int reportd_simd_cpu_level(void);

// Each `_level` function runs the given level (-1: the process's), lowered to what the CPU has; the
// tests call them to compare every level with the plain code.

/// The number of bytes equal to `byte` in `p[0..<n]`.
size_t reportd_count_byte(const uint8_t *p, size_t n, uint8_t byte);
size_t reportd_count_byte_level(int level, const uint8_t *p, size_t n, uint8_t byte);

/// Whether `p[0..<n]` is valid UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing above
/// U+10FFFF), and has no 0x00 byte unless `allowingNUL`: 1 or 0, or -1 when the level has no vector
/// check (the caller then runs its own).
int reportd_utf8_valid(const uint8_t *p, size_t n, bool allowingNUL);
int reportd_utf8_valid_level(int level, const uint8_t *p, size_t n, bool allowingNUL);

/// The per-segment hash of `Fingerprint`, a 64-bit checksum of `p[0..<n]` (Fingerprint.c): the same
/// value at every level.
uint64_t reportd_fingerprint_hash(const uint8_t *p, size_t n);
uint64_t reportd_fingerprint_hash_level(int level, const uint8_t *p, size_t n);

/// The same hash taken in pieces (a segment as it is read): `start`, then `blocks` for pieces that
/// are whole 1,024-byte blocks (`n` a multiple of REPORTD_FINGERPRINT_BLOCK: any rest is ignored),
/// then `finish` with the rest (any length); `total` is the length of all of it.
enum { REPORTD_FINGERPRINT_BLOCK = 1024 };
typedef struct {
    uint64_t acc[8];
} reportd_fingerprint_state;
void reportd_fingerprint_start(reportd_fingerprint_state *state);
void reportd_fingerprint_blocks_level(int level, reportd_fingerprint_state *state, const uint8_t *p, size_t n);
uint64_t reportd_fingerprint_finish_level(
    int level, reportd_fingerprint_state *state, const uint8_t *p, size_t n, size_t total);

/// A field of a CSV record as a byte range of the input (`CSVRecordReader.Field`): a quoted field
/// has its quotes outside the range, and `escapedQuotes` when a `""` inside must be collapsed;
/// `line` and `lineStart` are the physical line of the field's first byte and where it starts.
typedef struct {
    intptr_t start;
    intptr_t end;
    bool quoted;
    bool escapedQuotes;
    intptr_t line;
    intptr_t lineStart;
} reportd_csv_field;

/// Where a record read starts (`position`, `line`, `lineStart` in) and where the next one starts
/// (out), where the record ends before its line break, and the fields written.
typedef struct {
    intptr_t position;
    intptr_t line;
    intptr_t lineStart;
    intptr_t recordEnd;
    intptr_t count;
} reportd_csv_cursor;

enum {
    /// The record was read: `fields` and the cursor hold it.
    REPORTD_CSV_READ = 0,
    /// Something unusual (a syntax error, a limit, a quote that does not close in the buffer):
    /// the plain reader must read this record. Nothing in the cursor changed.
    REPORTD_CSV_PLAIN = 1,
    /// More fields than `capacity`: grow the array and call again. Nothing in the cursor changed.
    REPORTD_CSV_FULL = 2,
};

/// Reads the well-formed record at `cursor->position` of `p[0..<n]` (see CSVRecordReader).
int reportd_csv_record(
    const uint8_t *p, intptr_t n, uint8_t delimiter, intptr_t columns, intptr_t recordBytes, intptr_t cellBytes,
    reportd_csv_field *fields, intptr_t capacity, reportd_csv_cursor *cursor);
int reportd_csv_record_level(
    int level, const uint8_t *p, intptr_t n, uint8_t delimiter, intptr_t columns, intptr_t recordBytes,
    intptr_t cellBytes, reportd_csv_field *fields, intptr_t capacity, reportd_csv_cursor *cursor);

/// A field of a record read by the batch splitter: `p[start..<end]`, quotes outside; `end` is
/// stored as `~end` (negative) when the field holds doubled quotes to collapse.
typedef struct {
    intptr_t start;
    intptr_t end;
} reportd_csv_span;

/// Splits up to `maxRecords` plain records of `p[0..<n]` from `*position`, a record's start, each
/// starting before `stopAt`: field `f` of record `r` goes to `spans[r * fieldsPerRecord + f]`,
/// and `*position` moves past the last record's line break. Returns the records read; it stops
/// before any record that is not one line of exactly `fieldsPerRecord` fields within the limits
/// (quoted ones without a line break; a record longer than `cellBytes` is left too, so that no
/// field needs a test of its own), that has an empty field `f` where `nonEmpty[f]` (when
/// `nonEmpty` is not NULL) is not 0, or that has no line feed in the buffer (see CSVBatch.c).
intptr_t reportd_csv_records_level(
    int level, const uint8_t *p, intptr_t n, intptr_t *position, intptr_t stopAt, uint8_t delimiter,
    intptr_t fieldsPerRecord, intptr_t maxRecords, intptr_t recordBytes, intptr_t cellBytes, const uint8_t *nonEmpty,
    reportd_csv_span *spans);

/// Maps the first `size` bytes of the regular file `fd` read-only into `*base`, registered with a
/// SIGBUS guard (see MappedFile.c): a page that cannot be read (the file shrank, an I/O error)
/// reads as zeros and marks the mapping damaged instead of killing the process. Returns the
/// mapping's handle, or -1 with errno set (then read the file instead).
int reportd_map_file(int fd, size_t size, const uint8_t **base);
/// 1 when a page of the mapping could not be read since it was mapped: what was read is not the
/// file's.
int reportd_mapping_damaged(int handle);
/// Drops the pages of `[offset, offset + length)` from the process (not from the page cache),
/// from the page that holds its first byte to the one that holds its last (that one excluded):
/// they count in its memory no longer and are mapped again if read again.
void reportd_mapping_release(int handle, size_t offset, size_t length);
/// Unmaps and unregisters a mapping.
void reportd_unmap_file(int handle);

#endif
