/* fuzz_calendar: libFuzzer target for the working-day calendar. The input
 * is a calendar document, optionally followed by a NUL byte and a JSON
 * year (an entries array, or {transfers?, note?, entries}). When the
 * document loads: derives the year, computes a deadline and a count, lists
 * the incomplete years of a span, replaces the year with the given one (or
 * with the year's own {transfers, note?, entries} when there is none) and
 * checks
 *  - that a refused calendar_set_year changes nothing, and that putting a
 *    year's own spec back succeeds and changes nothing;
 *  - that a year's working_days agree with calendar_is_working_date;
 *  - that calendar_document loads again and derives the same year. */
#include "calendar/calendar.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *dump(json_t *j)
{
    char *s = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    return s;
}

static void same(char *a, char *b)
{
    if (!a || !b || strcmp(a, b) != 0)
        __builtin_trap();
    free(a);
    free(b);
}

static void check_counts(const struct calendar *c, int year)
{
    json_t *y = calendar_year_json(c, year);
    json_int_t n = 0;
    for (int m = 1; m <= 12; m++)
        for (int d = 1; d <= 31; d++)
            n += calendar_is_working_date(c, year, m, d);
    if (!y || json_integer_value(json_object_get(y, "working_days")) != n)
        __builtin_trap();
    json_decref(y);
}

static void check_roundtrip(const struct calendar *c, int year)
{
    char *doc = dump(calendar_document(c));
    struct calendar *again = NULL;
    struct err e = ERR_INIT;
    if (!doc || calendar_load(doc, strlen(doc), &again, &e) != 0)
        __builtin_trap(); /* what we save must load */
    same(dump(calendar_year_json(c, year)), dump(calendar_year_json(again, year)));
    calendar_free(again);
    free(doc);
}

/* Sets the year to `spec`; a refusal must change nothing. */
static void set_year(struct calendar *c, int year, const json_t *spec, bool must_work)
{
    struct err e = ERR_INIT;
    char *before = dump(calendar_year_json(c, year));
    char *spec_before = dump(calendar_year_spec(c, year));
    int rc = calendar_set_year(c, year, spec, &e);
    if (rc != 0 && (must_work || e.status != 422 || !e.field[0]))
        __builtin_trap();
    if (rc != 0 || must_work) {
        same(before, dump(calendar_year_json(c, year)));
        same(spec_before, dump(calendar_year_spec(c, year)));
    } else {
        free(before);
        free(spec_before);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 16)
        return 0;
    const uint8_t *nul = memchr(data, 0, size);
    size_t doc_len = nul ? (size_t)(nul - data) : size;
    struct calendar *c = NULL;
    struct err e = ERR_INIT;
    if (calendar_load((const char *)data, doc_len, &c, &e) != 0) {
        if (c || !e.status)
            __builtin_trap();
        return 0;
    }
    uint32_t h = 2166136261u; /* FNV-1a of the input picks the year, instant and n */
    for (size_t i = 0; i < size; i++)
        h = (h ^ data[i]) * 16777619u;
    int year = CALENDAR_YEAR_MIN + (int)(h % (CALENDAR_YEAR_MAX - CALENDAR_YEAR_MIN + 1));
    int64_t t = ((int64_t)(year - 1970) * 365 + (int64_t)(h >> 8) % 400) * 86400000 +
                (int64_t)(h % 86400000);
    int64_t due, count;
    int n = (int)(h % 1003) - 1;
    if (calendar_add_working_days(c, t, n, &due, &e) == 0 && due < t - 2 * 86400000LL)
        __builtin_trap(); /* offsets are within 26 hours of each other */
    (void)calendar_working_days_between(c, t, t + (int64_t)(h % 1000) * 86400000, &count, &e);
    json_t *inc = calendar_incomplete_years(c, t, t - (int64_t)(h % 1000) * 86400000);
    if (!json_is_array(inc) || json_array_size(inc) > 4)
        __builtin_trap(); /* a span of under 1000 days touches at most 4 years */
    json_decref(inc);
    int y, m, d;
    calendar_local_date(c, t, &y, &m, &d);
    check_counts(c, year);
    if (nul) {
        json_t *entries = json_loadb((const char *)nul + 1, size - doc_len - 1, 0, NULL);
        set_year(c, year, entries, false);
        json_decref(entries);
    } else {
        json_t *own = calendar_year_spec(c, year);
        set_year(c, year, own, true);
        json_decref(own);
    }
    check_counts(c, year);
    check_roundtrip(c, year);
    calendar_free(c);
    return 0;
}
