/* csvw: RFC 4180 rows, guarded against formula injection. */
#include "util/csvw.h"

#include <string.h>

static void cell(FILE *f, const char *s, char sep, bool quote_all, bool last)
{
    if (!s)
        s = "";
    char specials[] = {sep, '"', '\r', '\n', '\0'};
    bool formula = strchr("=+-@\t\r", s[0]) && s[0];
    bool quote = quote_all || formula || strpbrk(s, specials) != NULL;
    if (quote)
        fputc('"', f);
    if (formula)
        fputc('\'', f);
    for (const char *p = s; *p; p++) {
        if (*p == '"')
            fputc('"', f);
        fputc(*p, f);
    }
    if (quote)
        fputc('"', f);
    if (last)
        fputs("\r\n", f);
    else
        fputc(sep, f);
}

void csv_write_row(FILE *f, const char *const *cells, size_t n, char sep, bool quote_all)
{
    for (size_t i = 0; i < n; i++)
        cell(f, cells[i], sep, quote_all, i + 1 == n);
}
