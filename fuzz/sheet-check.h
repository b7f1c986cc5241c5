/* What the fuzz targets of the rows import's readers (fuzz_csv, fuzz_xlsx)
 * ask of a read: rows of NUL-terminated UTF-8 cells within the caps, each
 * with its line, or a refusal with a 4xx (400 or 415). */
#ifndef AP_FUZZ_SHEET_CHECK_H
#define AP_FUZZ_SHEET_CHECK_H

#include "docs/sheet.h"
#include "util/text.h"

#include <stdlib.h>
#include <string.h>

static void check_sheet(int rc, const struct sheet *s, const struct err *e)
{
    if (rc != 0) {
        if (e->status != 400 && e->status != 415)
            abort();
        return;
    }
    if (s->n_rows > SHEET_MAX_ROWS)
        abort();
    for (size_t i = 0; i < s->n_rows; i++) {
        if (s->row[i].n > SHEET_MAX_COLS || s->row[i].line < 1)
            abort();
        for (size_t j = 0; j < s->row[i].n; j++)
            if (!utf8_valid(s->row[i].cell[j], strlen(s->row[i].cell[j])))
                abort();
    }
}

#endif
