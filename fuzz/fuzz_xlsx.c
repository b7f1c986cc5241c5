/* libFuzzer target: the XLSX reader of the rows import (docs/sheet.c) under
 * the inspector's zip caps: whatever the bytes, it reads them or refuses
 * them with a 4xx (sheet-check.h). */
#include "sheet-check.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct arena *a = arena_new();
    struct sheet s;
    struct err e = ERR_INIT;
    check_sheet(sheet_read(a, (const char *)data, size, &s, &e), &s, &e);
    arena_free(a);
    return 0;
}
