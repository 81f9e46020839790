#ifndef REPORTD_CCSVSCAN_H
#define REPORTD_CCSVSCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/// The number of bytes equal to `byte` in `p[0..<n]`.
size_t reportd_count_byte(const uint8_t *p, size_t n, uint8_t byte);

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

#endif
