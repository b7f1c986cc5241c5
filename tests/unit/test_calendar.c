/* Unit tests of the working-day calendar: the shipped Kazakhstan calendar
 * (known holidays, moved days, Kurban Ait, the 2024 time-zone change),
 * deadlines and counts in working days, per-year entries and the checks of
 * bad documents. */
#include "calendar/calendar.h"

#include "util/timeutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static char *read_all(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *buf = malloc(1 << 20);
    assert_non_null(buf);
    *n = fread(buf, 1, 1 << 20, f);
    fclose(f);
    return buf;
}

static struct calendar *shipped(void)
{
    size_t n;
    char *text = read_all(CALENDAR_PATH, &n);
    struct calendar *c = NULL;
    struct err e = ERR_INIT;
    int rc = calendar_load(text, n, &c, &e);
    if (rc)
        fail_msg("%s", e.detail);
    free(text);
    return c;
}

static int64_t at(const char *rfc3339)
{
    int64_t ms;
    assert_int_equal(time_parse_rfc3339(rfc3339, &ms), 0);
    return ms;
}

/* The day of `date` in a calendar_year_json answer, or NULL. */
static const json_t *find_day(const json_t *year, const char *date)
{
    size_t i;
    json_t *d;
    json_array_foreach(json_object_get(year, "days"), i, d) {
        if (strcmp(json_string_value(json_object_get(d, "date")), date) == 0)
            return d;
    }
    return NULL;
}

static void assert_day(const json_t *year, const char *date, const char *type, const char *origin,
                       const char *moved_from)
{
    const json_t *d = find_day(year, date);
    if (!d)
        fail_msg("%s is not listed", date);
    assert_string_equal(json_string_value(json_object_get(d, "type")), type);
    assert_string_equal(json_string_value(json_object_get(d, "origin")), origin);
    const json_t *mf = json_object_get(d, "moved_from");
    if (moved_from)
        assert_string_equal(json_string_value(mf), moved_from);
    else
        assert_null(mf);
    assert_true(json_is_object(json_object_get(d, "name")));
}

static char *dump(json_t *j)
{
    char *s = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    return s;
}

/* REQ: X-CAL-01 */
static void test_fixed_holidays(void **state)
{
    (void)state;
    struct calendar *c = shipped();
    assert_false(calendar_is_working_date(c, 2026, 12, 16)); /* Independence Day */
    assert_true(calendar_is_working_date(c, 2026, 12, 17));  /* one day since 2022 */
    assert_false(calendar_is_working_date(c, 2021, 12, 17)); /* two days until 2021 */
    for (int d = 21; d <= 23; d++) {                         /* Nauryz */
        assert_false(calendar_is_working_date(c, 2025, 3, d));
        assert_false(calendar_is_working_date(c, 2026, 3, d));
    }
    /* 2025: Fri 21, Sat 22, Sun 23 -> Mon 24 and Tue 25 off */
    assert_false(calendar_is_working_date(c, 2025, 3, 24));
    assert_false(calendar_is_working_date(c, 2025, 3, 25));
    assert_true(calendar_is_working_date(c, 2025, 3, 26));
    assert_true(calendar_is_working_date(c, 2021, 10, 25)); /* Republic Day: from 2022 */
    assert_false(calendar_is_working_date(c, 2022, 10, 25));
    assert_false(calendar_is_working_date(c, 2026, 5, 27)); /* Kurban Ait (an entry) */
    assert_true(calendar_is_working_date(c, 2026, 5, 28));
    assert_true(calendar_is_working_date(c, 2026, 5, 26));
    assert_false(calendar_is_working_date(c, 2026, 5, 30)); /* Saturday */
    json_t *y = calendar_year_json(c, 2026);
    assert_day(y, "2026-12-16", "holiday", "rule", NULL);
    assert_day(y, "2026-05-27", "holiday", "entry", NULL);
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(find_day(y, "2026-05-27"), "name"), "en")),
                        "Kurban Ait");
    json_decref(y);
    /* not covered or not a date */
    assert_false(calendar_is_working_date(c, 1999, 6, 1));
    assert_false(calendar_is_working_date(c, 2101, 6, 1));
    assert_false(calendar_is_working_date(c, 2026, 2, 29));
    assert_false(calendar_is_working_date(c, 2026, 13, 1));
    assert_null(calendar_year_json(c, 1999));
    assert_null(calendar_year_entries(c, 2101));
    calendar_free(c);
}

/* REQ: X-CAL-01 */
static void test_moved_days(void **state)
{
    (void)state;
    struct calendar *c = shipped();
    /* 2026: Nauryz Sat 21, Sun 22, Mon 23 -> Tue 24 and Wed 25 off */
    assert_false(calendar_is_working_date(c, 2026, 3, 24));
    assert_false(calendar_is_working_date(c, 2026, 3, 25));
    assert_true(calendar_is_working_date(c, 2026, 3, 26));
    assert_false(calendar_is_working_date(c, 2026, 8, 31)); /* Constitution Day Sun 30 Aug */
    assert_false(calendar_is_working_date(c, 2026, 3, 9));  /* 8 March on a Sunday */
    json_t *y = calendar_year_json(c, 2026);
    assert_day(y, "2026-03-21", "holiday", "rule", NULL);
    assert_day(y, "2026-03-23", "holiday", "rule", NULL);
    assert_day(y, "2026-03-24", "day_off", "moved", "2026-03-21");
    assert_day(y, "2026-03-25", "day_off", "moved", "2026-03-22");
    assert_day(y, "2026-08-31", "day_off", "moved", "2026-08-30");
    assert_null(find_day(y, "2026-03-26"));
    /* the days are in date order */
    const char *prev = "";
    size_t i;
    json_t *d;
    json_array_foreach(json_object_get(y, "days"), i, d) {
        const char *date = json_string_value(json_object_get(d, "date"));
        assert_true(strcmp(prev, date) < 0);
        prev = date;
    }
    json_decref(y);
    /* 2022: 1 Jan (Sat) and 2 Jan (Sun) -> Mon 3 and Tue 4 */
    assert_false(calendar_is_working_date(c, 2022, 1, 3));
    assert_false(calendar_is_working_date(c, 2022, 1, 4));
    assert_true(calendar_is_working_date(c, 2022, 1, 5));
    y = calendar_year_json(c, 2022);
    assert_day(y, "2022-01-03", "day_off", "moved", "2022-01-01");
    assert_day(y, "2022-01-04", "day_off", "moved", "2022-01-02");
    json_decref(y);
    /* 2024: Orthodox Christmas on Sunday 7 Jan is religious and does not move */
    assert_false(calendar_is_working_date(c, 2024, 1, 7));
    assert_true(calendar_is_working_date(c, 2024, 1, 8));
    /* 2024: Kurban Ait on Sunday 16 June does not move either */
    assert_true(calendar_is_working_date(c, 2024, 6, 17));
    calendar_free(c);
}

/* REQ: X-CAL-01 */
static void test_utc_offsets(void **state)
{
    (void)state;
    struct calendar *c = shipped();
    int y, m, d;
    /* +06:00 until 2024-02-29T18:00Z, then +05:00 (clocks back from 00:00 to 23:00) */
    assert_int_equal(calendar_utc_offset(c, at("2024-02-29T17:30:00Z")), 360);
    calendar_local_date(c, at("2024-02-29T17:30:00Z"), &y, &m, &d); /* 23:30 local */
    assert_int_equal(y * 10000 + m * 100 + d, 20240229);
    assert_int_equal(calendar_utc_offset(c, at("2024-02-29T18:00:00Z")), 300);
    calendar_local_date(c, at("2024-02-29T18:30:00Z"), &y, &m, &d); /* 23:30 again */
    assert_int_equal(y * 10000 + m * 100 + d, 20240229);
    calendar_local_date(c, at("2024-02-29T19:00:00Z"), &y, &m, &d); /* 00:00 */
    assert_int_equal(y * 10000 + m * 100 + d, 20240301);
    calendar_local_date(c, at("2024-02-29T17:59:59.999Z"), &y, &m, &d);
    assert_int_equal(y * 10000 + m * 100 + d, 20240229);
    calendar_local_date(c, at("2026-03-20T19:00:00Z"), &y, &m, &d);
    assert_int_equal(y * 10000 + m * 100 + d, 20260321);
    /* summer time until 2004 (IANA Asia/Almaty) */
    assert_int_equal(calendar_utc_offset(c, at("2003-07-01T00:00:00Z")), 420);
    assert_int_equal(calendar_utc_offset(c, at("2003-12-01T00:00:00Z")), 360);
    assert_int_equal(calendar_utc_offset(c, at("1980-01-01T00:00:00Z")), 300); /* first */
    calendar_free(c);
}

/* REQ: X-CAL-01 */
static void test_add_working_days(void **state)
{
    (void)state;
    struct calendar *c = shipped();
    struct err e = ERR_INIT;
    int64_t due;
    char out[32];
    int64_t fri = at("2026-03-20T10:00:00+05:00");
    assert_int_equal(calendar_add_working_days(c, fri, 1, &due, &e), 0);
    assert_string_equal(time_format_rfc3339(due, out, sizeof out), "2026-03-26T18:59:59.999Z");
    assert_int_equal(calendar_add_working_days(c, fri, 0, &due, &e), 0);
    assert_string_equal(time_format_rfc3339(due, out, sizeof out), "2026-03-20T18:59:59.999Z");
    assert_int_equal(calendar_add_working_days(c, at("2026-03-21T10:00:00+05:00"), 0, &due, &e), 0);
    assert_string_equal(time_format_rfc3339(due, out, sizeof out), "2026-03-26T18:59:59.999Z");
    assert_int_equal(calendar_add_working_days(c, fri, 5, &due, &e), 0); /* 26 27 30 31 1 */
    assert_string_equal(time_format_rfc3339(due, out, sizeof out), "2026-04-01T18:59:59.999Z");
    /* late Friday evening local is still Friday: 23:30 local = 18:30Z */
    assert_int_equal(calendar_add_working_days(c, at("2026-03-20T18:30:00Z"), 1, &due, &e), 0);
    assert_string_equal(time_format_rfc3339(due, out, sizeof out), "2026-03-26T18:59:59.999Z");
    /* the day 29 Feb 2024 ended an hour later (the repeated hour) */
    assert_int_equal(calendar_add_working_days(c, at("2024-02-29T05:00:00Z"), 0, &due, &e), 0);
    assert_string_equal(time_format_rfc3339(due, out, sizeof out), "2024-02-29T18:59:59.999Z");
    assert_int_equal(calendar_add_working_days(c, at("2024-02-28T05:00:00Z"), 0, &due, &e), 0);
    assert_string_equal(time_format_rfc3339(due, out, sizeof out), "2024-02-28T17:59:59.999Z");
    /* summer time */
    assert_int_equal(calendar_add_working_days(c, at("2003-07-01T05:00:00Z"), 0, &due, &e), 0);
    assert_string_equal(time_format_rfc3339(due, out, sizeof out), "2003-07-01T16:59:59.999Z");
    /* refusals */
    assert_int_equal(calendar_add_working_days(c, fri, -1, &due, &e), -1);
    assert_int_equal(e.status, 400);
    assert_string_equal(e.field, "n");
    assert_int_equal(calendar_add_working_days(c, fri, 1001, &due, &e), -1);
    assert_int_equal(calendar_add_working_days(c, fri, 1000, &due, &e), 0);
    assert_int_equal(calendar_add_working_days(c, at("1999-06-01T00:00:00Z"), 1, &due, &e), -1);
    assert_int_equal(e.status, 400);
    assert_int_equal(calendar_add_working_days(c, at("2100-12-30T12:00:00Z"), 5, &due, &e), -1);
    assert_int_equal(e.status, 400);
    calendar_free(c);
}

/* REQ: X-CAL-01 */
static void test_working_days_between(void **state)
{
    (void)state;
    struct calendar *c = shipped();
    struct err e = ERR_INIT;
    int64_t n;
    int64_t fri = at("2026-03-20T10:00:00+05:00"), next_fri = at("2026-03-27T09:00:00+05:00");
    assert_int_equal(calendar_working_days_between(c, fri, next_fri, &n, &e), 0);
    assert_int_equal(n, 2); /* Thu 26, Fri 27 */
    assert_int_equal(calendar_working_days_between(c, next_fri, fri, &n, &e), 0);
    assert_int_equal(n, -2);
    assert_int_equal(calendar_working_days_between(c, fri, fri + 3600000, &n, &e), 0);
    assert_int_equal(n, 0);
    /* a whole year agrees with the derived year and with day-by-day checks */
    assert_int_equal(calendar_working_days_between(c, at("2025-12-31T12:00:00Z"),
                                                   at("2026-12-31T12:00:00Z"), &n, &e),
                     0);
    json_t *y = calendar_year_json(c, 2026);
    assert_int_equal(n, json_integer_value(json_object_get(y, "working_days")));
    assert_int_equal(365 - n, json_integer_value(json_object_get(y, "non_working_days")));
    json_decref(y);
    int64_t count = 0;
    for (int m = 1; m <= 12; m++)
        for (int d = 1; d <= 31; d++)
            count += calendar_is_working_date(c, 2026, m, d);
    assert_int_equal(count, n);
    assert_int_equal(calendar_working_days_between(c, at("1999-12-31T12:00:00Z"), fri, &n, &e), -1);
    assert_int_equal(e.status, 400);
    calendar_free(c);
}

/* REQ: X-CAL-01 */
static void test_set_year(void **state)
{
    (void)state;
    struct calendar *c = shipped();
    struct err e = ERR_INIT;
    char *before = dump(calendar_year_json(c, 2026));
    char *entries_before = dump(calendar_year_entries(c, 2026));
    static const struct {
        const char *json, *field;
    } bad[] = {
        {"[{\"date\":\"2025-05-27\",\"type\":\"holiday\"}]", "entries[0].date"},
        {"[{\"date\":\"2026-05-27\",\"type\":\"holiday\"},{\"date\":\"2026-01-05\",\"type\":"
         "\"day_off\"},{\"date\":\"2026-05-27\",\"type\":\"day_off\"}]",
         "entries[2].date"},
        {"[{\"date\":\"2026-05-27\",\"type\":\"vacation\"}]", "entries[0].type"},
        {"[{\"date\":\"2026-05-27\"}]", "entries[0].type"},
        {"[{\"date\":\"2026-02-30\",\"type\":\"holiday\"}]", "entries[0].date"},
        {"[{\"date\":\"2026-05-27\",\"type\":\"holiday\",\"name\":\"Kurban\"}]", "entries[0].name"},
        {"[{\"date\":\"2026-05-27\",\"type\":\"holiday\",\"name\":{\"de\":\"x\"}}]",
         "entries[0].name.de"},
        {"[{\"date\":\"2026-05-27\",\"type\":\"holiday\",\"name\":{\"kk\":7}}]",
         "entries[0].name.kk"},
        {"[{\"date\":\"2026-05-27\",\"type\":\"holiday\",\"why\":1}]", "entries[0].why"},
        {"[7]", "entries[0]"},
        {"{\"date\":\"2026-05-27\",\"type\":\"holiday\"}", "entries"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_t *j = json_loads(bad[i].json, 0, NULL);
        assert_non_null(j);
        err_clear(&e);
        assert_int_equal(calendar_set_year(c, 2026, j, &e), -1);
        assert_int_equal(e.status, 422);
        assert_string_equal(e.type, "validation-failed");
        assert_string_equal(e.field, bad[i].field);
        assert_int_equal(strncmp(e.detail, bad[i].field, strlen(bad[i].field)), 0);
        json_decref(j);
    }
    assert_int_equal(calendar_set_year(c, 2026, NULL, &e), -1);
    json_t *none = json_array();
    assert_int_equal(calendar_set_year(c, 1999, none, &e), -1);
    assert_int_equal(e.status, 400);
    assert_string_equal(e.field, "year");
    char *after = dump(calendar_year_json(c, 2026));
    char *entries_after = dump(calendar_year_entries(c, 2026));
    assert_string_equal(before, after); /* nothing changed */
    assert_string_equal(entries_before, entries_after);
    free(after);
    free(entries_after);

    /* Saturday 28 March made a working day, Friday 27 a day off (a transfer) */
    assert_false(calendar_is_working_date(c, 2026, 3, 28));
    json_t *j =
        json_loads("[{\"date\":\"2026-05-27\",\"type\":\"holiday\",\"name\":{\"kk\":\"Құрбан "
                   "айт\",\"ru\":\"Курбан айт\",\"en\":\"Kurban Ait\"}},"
                   "{\"date\":\"2026-03-28\",\"type\":\"working_day\",\"note\":\"decree\"},"
                   "{\"date\":\"2026-03-27\",\"type\":\"day_off\"}]",
                   0, NULL);
    assert_int_equal(calendar_set_year(c, 2026, j, &e), 0);
    json_decref(j);
    assert_true(calendar_is_working_date(c, 2026, 3, 28));
    assert_false(calendar_is_working_date(c, 2026, 3, 27));
    assert_false(calendar_is_working_date(c, 2026, 5, 27));
    json_t *y = calendar_year_json(c, 2026);
    assert_day(y, "2026-03-28", "working_day", "entry", NULL);
    assert_day(y, "2026-03-27", "day_off", "entry", NULL);
    assert_day(y, "2026-03-24", "day_off", "moved", "2026-03-21");
    json_decref(y);
    json_t *ent = calendar_year_entries(c, 2026);
    assert_int_equal(json_array_size(ent), 3);
    assert_string_equal(json_string_value(json_object_get(json_array_get(ent, 0), "date")),
                        "2026-03-27"); /* in date order */
    json_decref(ent);
    int64_t due;
    assert_int_equal(calendar_add_working_days(c, at("2026-03-20T10:00:00+05:00"), 2, &due, &e), 0);
    char out[32];
    assert_string_equal(time_format_rfc3339(due, out, sizeof out), "2026-03-28T18:59:59.999Z");

    /* an entry overrides a rule holiday: a working 16 December keeps its name */
    j = json_loads("[{\"date\":\"2026-12-16\",\"type\":\"working_day\"}]", 0, NULL);
    assert_int_equal(calendar_set_year(c, 2026, j, &e), 0);
    json_decref(j);
    assert_true(calendar_is_working_date(c, 2026, 12, 16));
    assert_true(calendar_is_working_date(c, 2026, 5, 27)); /* Kurban Ait entry replaced */
    y = calendar_year_json(c, 2026);
    assert_day(y, "2026-12-16", "working_day", "entry", NULL);
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(find_day(y, "2026-12-16"), "name"), "en")),
                        "Independence Day");
    json_decref(y);

    /* an empty year */
    assert_int_equal(calendar_set_year(c, 2030, none, &e), 0);
    json_decref(none);
    ent = calendar_year_entries(c, 2030);
    assert_int_equal(json_array_size(ent), 0);
    json_decref(ent);
    free(before);
    free(entries_before);
    calendar_free(c);
}

/* A document: the shipped one with one change (mutate) applied. */
static int load_changed(void (*mutate)(json_t *), struct err *e)
{
    size_t n;
    char *text = read_all(CALENDAR_PATH, &n);
    json_t *doc = json_loadb(text, n, 0, NULL);
    free(text);
    assert_non_null(doc);
    mutate(doc);
    char *s = json_dumps(doc, 0);
    json_decref(doc);
    struct calendar *c = NULL;
    err_clear(e);
    int rc = calendar_load(s, strlen(s), &c, e);
    free(s);
    calendar_free(c);
    return rc;
}

static json_t *holiday(json_t *doc, size_t i)
{
    return json_array_get(json_object_get(doc, "holidays"), i);
}

static void no_weekend(json_t *doc)
{
    json_object_del(doc, "weekend");
}

static void month_13(json_t *doc)
{
    json_object_set_new(holiday(doc, 3), "month", json_integer(13));
}

static void offsets_order(json_t *doc)
{
    json_t *o = json_array_get(json_object_get(doc, "utc_offsets"), 1);
    json_object_set_new(o, "from", json_string("1991-01-01T00:00:00Z"));
}

static void no_holiday_name(json_t *doc)
{
    json_object_del(json_object_get(holiday(doc, 2), "name"), "ru");
}

static void year_1999(json_t *doc)
{
    json_object_set_new(json_object_get(doc, "years"), "1999", json_array());
}

static void entry_wrong_year(json_t *doc)
{
    json_t *y = json_object_get(json_object_get(doc, "years"), "2025");
    json_object_set_new(json_array_get(json_object_get(y, "entries"), 0), "date",
                        json_string("2026-06-06"));
}

/* A year in the format before statuses: the entries array alone. */
static void old_format_wrong_year(json_t *doc)
{
    json_object_set_new(json_object_get(doc, "years"), "2025",
                        json_pack("[{s:s, s:s}]", "date", "2026-06-06", "type", "holiday"));
}

static void transfers_maybe(json_t *doc)
{
    json_t *y = json_object_get(json_object_get(doc, "years"), "2024");
    json_object_set_new(y, "transfers", json_string("maybe"));
}

static void year_without_entries(json_t *doc)
{
    json_object_set_new(json_object_get(doc, "years"), "2024",
                        json_pack("{s:s}", "transfers", "loaded"));
}

static void source_not_text(json_t *doc)
{
    json_t *y = json_object_get(json_object_get(doc, "years"), "2024");
    json_object_set_new(json_array_get(json_object_get(y, "entries"), 0), "source",
                        json_integer(85));
}

static void duplicate_id(json_t *doc)
{
    json_object_set_new(holiday(doc, 5), "id", json_string("new-year-1"));
}

static void unknown_key(json_t *doc)
{
    json_object_set_new(doc, "weekends", json_array());
}

static void whole_week(json_t *doc)
{
    json_object_set_new(doc, "weekend", json_pack("[i,i,i,i,i,i,i]", 1, 2, 3, 4, 5, 6, 7));
}

static void bad_minutes(json_t *doc)
{
    json_object_set_new(json_array_get(json_object_get(doc, "utc_offsets"), 0), "minutes",
                        json_real(300.5));
}

static void same_date(json_t *doc)
{
    json_object_set_new(holiday(doc, 1), "day", json_integer(1)); /* 1 January twice */
}

static void years_reversed(json_t *doc)
{
    json_object_set_new(holiday(doc, 0), "from_year", json_integer(2030));
    json_object_set_new(holiday(doc, 0), "until_year", json_integer(2020));
}

static void day_31_april(json_t *doc)
{
    json_object_set_new(holiday(doc, 3), "month", json_integer(4));
    json_object_set_new(holiday(doc, 3), "day", json_integer(31));
}

/* REQ: X-CAL-01 */
static void test_bad_documents(void **state)
{
    (void)state;
    static const struct {
        void (*mutate)(json_t *);
        const char *field, *detail;
    } cases[] = {
        {no_weekend, "weekend", "weekend: is required"},
        {month_13, "holidays[3].month", "holidays[3].month: must be 1..12"},
        {offsets_order, "utc_offsets[1].from",
         "utc_offsets[1].from: must be later than utc_offsets[0].from"},
        {no_holiday_name, "holidays[2].name.ru", "holidays[2].name.ru: is required"},
        {year_1999, "years.1999", "years.1999: must be a year 2000..2100"},
        {entry_wrong_year, "years.2025.entries[0].date",
         "years.2025.entries[0].date: must be a date in 2025"},
        {old_format_wrong_year, "years.2025[0].date", "years.2025[0].date: must be a date in 2025"},
        {transfers_maybe, "years.2024.transfers",
         "years.2024.transfers: must be loaded, none or unknown"},
        {year_without_entries, "years.2024.entries", "years.2024.entries: is required"},
        {source_not_text, "years.2024.entries[0].source",
         "years.2024.entries[0].source: must be a string"},
        {duplicate_id, "holidays[5].id", "holidays[5].id: is also the id of holidays[0]"},
        {unknown_key, "weekends", "weekends: unknown key"},
        {whole_week, "weekend", "weekend: at least one day of the week must be a working day"},
        {bad_minutes, "utc_offsets[0].minutes", "utc_offsets[0].minutes: must be an integer"},
        {same_date, "holidays[1].day",
         "holidays[1].day: same date as holidays[0] in the same years"},
        {years_reversed, "holidays[0].until_year", "holidays[0].until_year: must not be before"},
        {day_31_april, "holidays[3].day", "holidays[3].day: must be 1..30"},
    };
    struct err e = ERR_INIT;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(load_changed(cases[i].mutate, &e), -1);
        assert_int_equal(e.status, 422);
        assert_string_equal(e.type, "validation-failed");
        assert_string_equal(e.field, cases[i].field);
        assert_int_equal(strncmp(e.detail, cases[i].detail, strlen(cases[i].detail)), 0);
    }
    struct calendar *c = NULL;
    assert_int_equal(calendar_load("{\"time_zone\": ", 14, &c, &e), -1);
    assert_int_equal(e.status, 400);
    assert_string_equal(e.type, "bad-request");
    assert_null(c);
    assert_int_equal(calendar_load("[]", 2, &c, &e), -1);
    assert_int_equal(e.status, 422);
    assert_int_equal(calendar_load("{}", 2, &c, &e), -1);
    assert_string_equal(e.field, "time_zone");
    assert_int_equal(calendar_load(NULL, 0, &c, &e), -1);
}

/* A calendar of its own: moves across the new year and a six-day week. */
static void test_small_calendar(void **state)
{
    (void)state;
    const char *doc = "{\"time_zone\":\"Asia/Almaty\","
                      "\"utc_offsets\":[{\"from\":\"2000-01-01T00:00:00Z\",\"minutes\":300}],"
                      "\"weekend\":[7],"
                      "\"holidays\":[{\"id\":\"eve\",\"month\":12,\"day\":31,\"moves\":true,"
                      "\"name\":{\"kk\":\"a\",\"ru\":\"b\",\"en\":\"c\"}}]}";
    struct calendar *c = NULL;
    struct err e = ERR_INIT;
    assert_int_equal(calendar_load(doc, strlen(doc), &c, &e), 0);
    /* 31 Dec 2023 is a Sunday: the day off is Monday 1 January 2024 */
    assert_false(calendar_is_working_date(c, 2023, 12, 31));
    assert_false(calendar_is_working_date(c, 2024, 1, 1));
    assert_true(calendar_is_working_date(c, 2024, 1, 6)); /* Saturday works here */
    json_t *y = calendar_year_json(c, 2024);
    assert_day(y, "2024-01-01", "day_off", "moved", "2023-12-31");
    json_decref(y);
    /* the derived 2023 lists the holiday but not the moved day of 2024 */
    y = calendar_year_json(c, 2023);
    assert_int_equal(json_array_size(json_object_get(y, "days")), 1);
    json_decref(y);
    calendar_free(c);
}

/* REQ: X-CAL-01 */
static void test_document_roundtrip(void **state)
{
    (void)state;
    struct calendar *c = shipped();
    char *s = dump(calendar_document(c));
    struct calendar *c2 = NULL;
    struct err e = ERR_INIT;
    if (calendar_load(s, strlen(s), &c2, &e))
        fail_msg("%s", e.detail);
    for (int y = 2020; y <= 2030; y++) {
        char *a = dump(calendar_year_json(c, y)), *b = dump(calendar_year_json(c2, y));
        assert_string_equal(a, b);
        free(a);
        free(b);
    }
    free(s);
    calendar_free(c2);
    calendar_free(c);
}


/* The Day of the First President, 1 December, was a day off from 2012 to
 * 2021 (removed by the Law of 29.09.2022). REQ: X-CAL-01 */
static void test_first_president_day(void **state)
{
    (void)state;
    struct calendar *c = shipped();
    assert_false(calendar_is_working_date(c, 2020, 12, 1)); /* a Tuesday */
    assert_false(calendar_is_working_date(c, 2021, 12, 1)); /* a Wednesday */
    assert_true(calendar_is_working_date(c, 2022, 12, 1));  /* a Thursday */
    assert_true(calendar_is_working_date(c, 2023, 12, 1));  /* a Friday */
    json_t *y = calendar_year_json(c, 2019); /* a Sunday: Monday 2 December off */
    assert_day(y, "2019-12-01", "holiday", "rule", NULL);
    assert_day(y, "2019-12-02", "day_off", "moved", "2019-12-01");
    json_decref(y);
    y = calendar_year_json(c, 2022);
    assert_null(find_day(y, "2022-12-01"));
    json_decref(y);
    calendar_free(c);
}

/* The day off moved from Saturday 4 May to Wednesday 8 May 2024 by the
 * Minister's order, and the other transfers of the acts found.
 * REQ: X-CAL-01 */
static void test_transfers(void **state)
{
    (void)state;
    struct calendar *c = shipped();
    assert_true(calendar_is_working_date(c, 2024, 5, 4));  /* a Saturday */
    assert_false(calendar_is_working_date(c, 2024, 5, 8)); /* a Wednesday */
    /* from Friday 3 May, 2 working days: Saturday 4 and Monday 6 May */
    int64_t due;
    struct err e = ERR_INIT;
    assert_int_equal(calendar_add_working_days(c, at("2024-05-03T10:00:00+05:00"), 2, &due, &e), 0);
    assert_int_equal(due, at("2024-05-06T18:59:59.999Z"));
    int64_t n;
    assert_int_equal(calendar_working_days_between(c, at("2024-05-05T10:00:00+05:00"),
                                                   at("2024-05-09T10:00:00+05:00"), &n, &e),
                     0);
    assert_int_equal(n, 1); /* only Monday 6 May: 7 and 9 are holidays, 8 the moved day */
    /* 2020: Victory Day on Saturday 9 May gave Monday 11 May, which the
     * decree moved to Friday 8 May; Sunday 5 January worked for Friday 3 */
    assert_true(calendar_is_working_date(c, 2020, 5, 11));
    assert_false(calendar_is_working_date(c, 2020, 5, 8));
    assert_true(calendar_is_working_date(c, 2020, 1, 5));
    assert_false(calendar_is_working_date(c, 2020, 1, 3));
    assert_true(calendar_is_working_date(c, 2022, 10, 22));
    assert_false(calendar_is_working_date(c, 2022, 10, 24));
    assert_false(calendar_is_working_date(c, 2023, 7, 7));
    assert_false(calendar_is_working_date(c, 2025, 1, 3));
    assert_true(calendar_is_working_date(c, 2025, 1, 5));
    json_t *y = calendar_year_json(c, 2024);
    assert_string_equal(json_string_value(json_object_get(y, "transfers")), "loaded");
    assert_day(y, "2024-05-08", "day_off", "entry", NULL);
    assert_day(y, "2024-05-04", "working_day", "entry", NULL);
    const char *src = json_string_value(json_object_get(find_day(y, "2024-05-08"), "source"));
    assert_non_null(src);
    assert_non_null(strstr(src, "17.04.2024"));
    json_decref(y);
    /* every moved day of a loaded year names its act */
    for (int year = 2019; year <= 2027; year++) {
        y = calendar_year_json(c, year);
        const char *tr = json_string_value(json_object_get(y, "transfers"));
        size_t i, moved = 0;
        json_t *d;
        json_array_foreach(json_object_get(y, "days"), i, d) {
            const char *type = json_string_value(json_object_get(d, "type"));
            if (strcmp(json_string_value(json_object_get(d, "origin")), "entry") != 0 ||
                strcmp(type, "holiday") == 0)
                continue;
            moved++;
            if (!json_string_value(json_object_get(d, "source")))
                fail_msg("%d: %s has no source", year,
                         json_string_value(json_object_get(d, "date")));
        }
        if (year >= 2020 && year <= 2025) {
            assert_string_equal(tr, "loaded");
            assert_true(moved >= 2);
        } else {
            assert_string_equal(tr, "unknown");
            assert_int_equal(moved, 0);
        }
        json_decref(y);
    }
    calendar_free(c);
}

/* A year's status: unknown says so (in three languages), a span touching
 * it is incomplete; a year given as a bare entries array (the format
 * stored before statuses) loads as unknown. REQ: X-CAL-01 */
static void test_year_status(void **state)
{
    (void)state;
    struct calendar *c = shipped();
    json_t *y = calendar_year_json(c, 2027);
    assert_string_equal(json_string_value(json_object_get(y, "transfers")), "unknown");
    const json_t *text = json_object_get(y, "transfers_text");
    static const char *const langs[] = {"kk", "ru", "en"};
    for (size_t i = 0; i < 3; i++)
        assert_non_null(json_string_value(json_object_get(text, langs[i])));
    assert_non_null(json_string_value(json_object_get(y, "transfers_note")));
    json_decref(y);
    char *s = dump(calendar_incomplete_years(c, at("2025-12-30T10:00:00+05:00"),
                                             at("2027-01-05T10:00:00+05:00")));
    assert_string_equal(s, "[2026,2027]");
    free(s);
    s = dump(calendar_incomplete_years(c, at("2024-05-31T10:00:00+05:00"),
                                       at("2024-05-01T10:00:00+05:00")));
    assert_string_equal(s, "[]");
    free(s);
    /* the old format: an array, read as unknown */
    struct err e = ERR_INIT;
    json_t *old = json_loads("[{\"date\":\"2024-05-08\",\"type\":\"day_off\"}]", 0, NULL);
    assert_int_equal(calendar_set_year(c, 2024, old, &e), 0);
    json_decref(old);
    assert_int_equal(calendar_year_transfers(c, 2024), CAL_TRANSFERS_UNKNOWN);
    assert_false(calendar_is_working_date(c, 2024, 5, 8));
    assert_false(calendar_is_working_date(c, 2024, 5, 4)); /* a Saturday again */
    /* the new one round-trips through the spec and the document */
    const char *spec = "{\"transfers\":\"loaded\",\"note\":\"checked\",\"entries\":[{\"date\":"
                       "\"2024-05-04\",\"type\":\"working_day\",\"source\":\"Order A\"},"
                       "{\"date\":\"2024-05-08\",\"type\":\"day_off\",\"note\":\"n\","
                       "\"source\":\"Order A\"}]}";
    json_t *j = json_loads(spec, 0, NULL);
    assert_int_equal(calendar_set_year(c, 2024, j, &e), 0);
    json_decref(j);
    s = dump(calendar_year_spec(c, 2024));
    assert_string_equal(s, spec);
    free(s);
    char *doc = dump(calendar_document(c));
    struct calendar *c2 = NULL;
    if (calendar_load(doc, strlen(doc), &c2, &e))
        fail_msg("%s", e.detail);
    s = dump(calendar_year_spec(c2, 2024));
    assert_string_equal(s, spec);
    free(s);
    y = calendar_year_json(c2, 2024);
    assert_string_equal(json_string_value(json_object_get(find_day(y, "2024-05-08"), "note")), "n");
    json_decref(y);
    calendar_free(c2);
    free(doc);
    /* a bad status changes nothing */
    j = json_loads("{\"transfers\":\"perhaps\",\"entries\":[]}", 0, NULL);
    assert_int_equal(calendar_set_year(c, 2024, j, &e), -1);
    assert_string_equal(e.field, "transfers");
    json_decref(j);
    assert_int_equal(calendar_year_transfers(c, 2024), CAL_TRANSFERS_LOADED);
    calendar_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixed_holidays),       cmocka_unit_test(test_moved_days),
        cmocka_unit_test(test_utc_offsets),          cmocka_unit_test(test_add_working_days),
        cmocka_unit_test(test_working_days_between), cmocka_unit_test(test_set_year),
        cmocka_unit_test(test_bad_documents),        cmocka_unit_test(test_small_calendar),
        cmocka_unit_test(test_document_roundtrip),   cmocka_unit_test(test_first_president_day),
        cmocka_unit_test(test_transfers),            cmocka_unit_test(test_year_status),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
