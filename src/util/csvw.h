/* csvw: RFC 4180 rows for the downloads (lists, reports, Archi's CSV). */
#ifndef AP_UTIL_CSVW_H
#define AP_UTIL_CSVW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Writes the cells as one row ended by CRLF, separated by sep: a cell is
 * quoted when it holds the separator, a quote or a line break (every cell
 * with quote_all); a cell a spreadsheet would take for a formula (= + - @
 * tab CR at its start) gets a leading apostrophe inside quotes. NULL is an
 * empty cell. */
void csv_write_row(FILE *f, const char *const *cells, size_t n, char sep, bool quote_all);

#endif
