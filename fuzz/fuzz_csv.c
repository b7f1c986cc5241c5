/* libFuzzer target: the CSV reader of the rows import (docs/sheet.c):
 * whatever the bytes, it reads them or refuses them with a 4xx, and what
 * it reads is rows of NUL-terminated UTF-8 cells within the caps. */
#include "docs/sheet.h"
#include "util/text.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct arena *a = arena_new();
    struct sheet s;
    struct err e = ERR_INIT;
    if (sheet_read_csv(a, (const char *)data, size, &s, &e) == 0) {
        if (s.n_rows > SHEET_MAX_ROWS)
            abort();
        for (size_t i = 0; i < s.n_rows; i++) {
            if (s.row[i].n > SHEET_MAX_COLS || s.row[i].line < 1)
                abort();
            for (size_t j = 0; j < s.row[i].n; j++)
                if (!utf8_valid(s.row[i].cell[j], strlen(s.row[i].cell[j])))
                    abort();
        }
    } else if (e.status != 400 && e.status != 415) {
        abort();
    }
    arena_free(a);
    return 0;
}
