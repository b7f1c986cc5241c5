/* docs/sheet: a spreadsheet file read as rows of text cells, for the
 * import of rows into records (registry/rows.c; issue 16's register of
 * trusted software, issue 18's round trips).
 *
 * Two formats, decided by content (never by name): XLSX (a zip package,
 * read with libzip under the inspector's zip-bomb caps, docx.c: entry
 * count, names and declared sizes before anything is unpacked, bytes
 * produced while unpacking; its XML through the inspector's reader
 * without network, DTDs or entities) and CSV (RFC 4180: "," ";" or tab,
 * whichever the first line holds most of outside quotes; UTF-8 with or
 * without a BOM; quoted fields may hold the separator, "" and line
 * breaks; CRLF or LF). Anything else, or a CSV that is not UTF-8 text,
 * is refused (415). Cells are UTF-8 strings without NUL; an XLSX number
 * is its text as stored ("45678", "12.5"), a date a serial number (the
 * importer reads it as a date where the field is one); an XLSX boolean
 * "TRUE"/"FALSE". Blank rows are dropped. */
#ifndef AP_DOCS_SHEET_H
#define AP_DOCS_SHEET_H

#include "util/arena.h"
#include "util/err.h"

#include <stdbool.h>
#include <stddef.h>

#define SHEET_MAX_ROWS 100000
#define SHEET_MAX_COLS 256
#define SHEET_MAX_CELL 32768 /* bytes of one cell */

struct sheet_row {
    long line;   /* CSV: the line the row starts on; XLSX: the row's number */
    size_t n;    /* cells (trailing empty ones kept as read) */
    char **cell; /* each a NUL-terminated UTF-8 string, "" when empty */
};

struct sheet {
    const char *format; /* "csv" or "xlsx" */
    struct sheet_row *row;
    size_t n_rows;
};

/* Reads data[0..n) into *out, its memory from ar (the caller frees the
 * arena). 415 "unsupported-media-type" for neither format; 400
 * "bad-file" for a damaged file (an open quote at the end, a damaged or
 * oversized package, more than SHEET_MAX_ROWS rows, SHEET_MAX_COLS
 * columns or SHEET_MAX_CELL bytes in a cell), the detail saying where. */
int sheet_read(struct arena *ar, const char *data, size_t n, struct sheet *out, struct err *e);

/* The CSV reader alone (data need not be NUL-terminated). */
int sheet_read_csv(struct arena *ar, const char *data, size_t n, struct sheet *out, struct err *e);

/* Would a spreadsheet take the cell for a formula (it starts with =, @, a
 * tab or CR, or + or - before something other than a number or a space)?
 * A leading apostrophe before such a start (the guard the portal's
 * downloads write) is dropped from *cell, which is then no formula. */
bool sheet_formula(char **cell);

#endif
