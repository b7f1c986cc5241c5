/* calendar: the checks of the calendar document, the derivation of each
 * year's non-ordinary days (rule holidays, days off moved from holidays on
 * weekend days, administrator entries) and the working-day bitmap that the
 * time queries read. */
#include "calendar/calendar.h"

#include "util/text.h"
#include "util/timeutil.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_YEARS (CALENDAR_YEAR_MAX - CALENDAR_YEAR_MIN + 1)
#define N_DAYS 36890 /* 2000-01-01 .. 2100-12-31 */
#define N_WORDS ((N_DAYS + 63) / 64)
#define DAY_MS 86400000LL
#define T_LIMIT 8640000000000000LL /* ECMAScript's instant range, in ms */
#define MAX_OFFSETS 256
#define MAX_RULES 100
#define MAX_ENTRIES 366
#define NAME_MAX_BYTES 300
#define NOTE_MAX_BYTES 2000
#define SOURCE_MAX_BYTES 1000
#define DESC_MAX_BYTES 4000
#define PATH_LEN 160
/* A derivation window: the year before, the year and the year after. */
#define WIN_DAYS (3 * 366)

enum day_type { DT_HOLIDAY, DT_DAY_OFF, DT_WORKING_DAY };
enum day_origin { DO_RULE, DO_MOVED, DO_ENTRY };

static const char *const TYPE_NAMES[] = {"holiday", "day_off", "working_day"};
static const char *const ORIGIN_NAMES[] = {"rule", "moved", "entry"};
/* Indexed by enum calendar_transfers. */
static const char *const TRANSFER_NAMES[] = {"unknown", "loaded", "none", NULL};
/* What each status tells a reader, in kk/ru/en. */
static const char *const TRANSFER_TEXT[][3] = {
    {"Осы жылғы демалыс күндерін ауыстыру жүктелмеген: мерзім демалыс күніне түсуі мүмкін.",
     "Переносы дней отдыха этого года не загружены: срок может прийтись на день отдыха.",
     "The moved days off of this year are not loaded: a deadline may fall on a day off."},
    {"Осы жылғы демалыс күндерін ауыстыру оларды ауыстырған актілер бойынша жүктелген.",
     "Переносы дней отдыха этого года загружены по актам, которые их перенесли.",
     "The moved days off of this year are loaded from the acts that moved them."},
    {"Тексерілді: осы жылы демалыс күндері ауыстырылмаған.",
     "Проверено: в этом году дни отдыха не переносились.",
     "Checked: no day off was moved this year."},
};

struct offset {
    int64_t from_ms;
    int minutes;
};

/* A holiday of the law: a month/day in the years [from_year, until_year]. */
struct rule {
    char *id;
    int month, day;
    bool moves;                /* on a weekend day, gives a day off on the next working day */
    int from_year, until_year; /* INT_MIN / INT_MAX when unbounded */
    json_t *name;
};

struct entry {
    int64_t day; /* days since 1970-01-01 */
    enum day_type type;
    const json_t *name; /* inside the year's doc; NULL when absent */
    const json_t *obj;  /* the entry itself, inside the year's doc */
};

/* A year's administrator entries, in date order, and whether its moved
 * days off are loaded. */
struct year {
    struct entry *v;
    size_t n;
    json_t *doc; /* the canonical entries array */
    enum calendar_transfers transfers;
    char *note; /* about the year's status; NULL when none */
};

struct calendar {
    char *time_zone;
    char *description;
    struct offset *offs;
    size_t n_offs;
    bool weekend[8]; /* by ISO weekday 1..7 */
    struct rule *rules;
    size_t n_rules;
    struct year years[N_YEARS];
    int64_t day0;           /* 1 January CALENDAR_YEAR_MIN */
    uint64_t bits[N_WORDS]; /* bit i: day0 + i is a working day */
    uint32_t cum[N_WORDS];  /* working days before word w */
};

/* ---- dates ----------------------------------------------------------- */

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int64_t jan1(int y)
{
    return time_days_from_civil(y, 1, 1);
}

/* ISO weekday 1 (Monday) .. 7 (Sunday); 1970-01-01 was a Thursday. */
static int iso_weekday(int64_t day)
{
    return (int)((day % 7 + 7 + 3) % 7) + 1;
}

static bool year_covered(int y)
{
    return y >= CALENDAR_YEAR_MIN && y <= CALENDAR_YEAR_MAX;
}

/* ---- errors and JSON checks ------------------------------------------- */

/* Fills e with "path: message"; returns -1. */
__attribute__((format(printf, 4, 5))) static int fail(struct err *e, int status, const char *path,
                                                      const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    const char *type = status == 400 ? "bad-request" : "validation-failed";
    if (*path)
        err_set(e, status, type, path, "%s: %s", path, msg);
    else
        err_set(e, status, type, "", "%s", msg);
    return -1;
}

/* Paths longer than PATH_LEN are cut: they only name a place in messages. */
static void path_key(char *out, const char *base, const char *key)
{
    int n = *base ? snprintf(out, PATH_LEN, "%s.%s", base, key)
                  : snprintf(out, PATH_LEN, "%s", key);
    if (n < 0 || n >= PATH_LEN)
        out[PATH_LEN - 1] = '\0';
}

static void path_idx(char *out, const char *base, size_t i)
{
    int n = snprintf(out, PATH_LEN, "%s[%zu]", base, i);
    if (n < 0 || n >= PATH_LEN)
        out[PATH_LEN - 1] = '\0';
}

static bool in_list(const char *s, const char *const *list)
{
    for (size_t i = 0; list[i]; i++)
        if (strcmp(s, list[i]) == 0)
            return true;
    return false;
}

/* Refuses keys of o not in `keys` (a typo would otherwise be ignored). */
static int only_keys(const json_t *o, const char *const *keys, const char *path, struct err *e)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)o, k, v) {
        if (!in_list(k, keys)) {
            char p[PATH_LEN];
            path_key(p, path, k);
            return fail(e, 422, p, "unknown key");
        }
    }
    return 0;
}

/* o[key], or NULL with e filled ("path.key: is required"). */
static const json_t *need(const json_t *o, const char *key, const char *path, struct err *e)
{
    const json_t *v = json_object_get(o, key);
    if (!v) {
        char p[PATH_LEN];
        path_key(p, path, key);
        fail(e, 422, p, "is required");
    }
    return v;
}

/* One line of 1..max bytes of UTF-8 (no NUL, no control character), or
 * NULL with e filled. */
static const char *get_text(const json_t *v, size_t max, const char *path, struct err *e)
{
    if (!json_is_string(v)) {
        fail(e, 422, path, "must be a string");
        return NULL;
    }
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (n == 0 || n > max || strlen(s) != n || !text_controls_ok(s, n, false)) {
        fail(e, 422, path, "must be one line of 1..%zu bytes of text", max);
        return NULL;
    }
    return s;
}

static int get_int(const json_t *v, long long lo, long long hi, const char *path, int *out,
                   struct err *e)
{
    if (!json_is_integer(v))
        return fail(e, 422, path, "must be an integer");
    json_int_t x = json_integer_value(v);
    if (x < lo || x > hi)
        return fail(e, 422, path, "must be %lld..%lld", lo, hi);
    *out = (int)x;
    return 0;
}

static const char *const LANGS[] = {"kk", "ru", "en", NULL};

/* A name {"kk","ru","en"}: all three when `full`, else any of them. Returns
 * a canonical copy (new reference) or NULL with e filled. */
static json_t *check_name(const json_t *v, bool full, const char *path, struct err *e)
{
    if (!json_is_object(v)) {
        fail(e, 422, path, "must be an object of kk/ru/en strings");
        return NULL;
    }
    if (only_keys(v, LANGS, path, e))
        return NULL;
    json_t *out = json_object();
    for (size_t i = 0; LANGS[i]; i++) {
        char p[PATH_LEN];
        path_key(p, path, LANGS[i]);
        const json_t *s = json_object_get(v, LANGS[i]);
        const char *t = NULL;
        if (!s && !full)
            continue;
        if (!s)
            fail(e, 422, p, "is required");
        else
            t = get_text(s, NAME_MAX_BYTES, p, e);
        if (!t) {
            json_decref(out);
            return NULL;
        }
        json_object_set_new(out, LANGS[i], json_string(t));
    }
    return out;
}

/* ---- the document ------------------------------------------------------ */

static int check_time_zone(struct calendar *c, const json_t *v, struct err *e)
{
    const char *s = get_text(v, 64, "time_zone", e);
    if (!s)
        return -1;
    if (strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/_+-") !=
        strlen(s))
        return fail(e, 422, "time_zone", "must be an IANA zone name like Asia/Almaty");
    c->time_zone = xstrdup(s);
    return 0;
}

static int check_offset(struct calendar *c, const json_t *v, size_t i, struct err *e)
{
    static const char *const keys[] = {"from", "minutes", NULL};
    char path[PATH_LEN], p[PATH_LEN];
    path_idx(path, "utc_offsets", i);
    if (!json_is_object(v))
        return fail(e, 422, path, "must be an object {from, minutes}");
    if (only_keys(v, keys, path, e))
        return -1;
    const json_t *from = need(v, "from", path, e), *min = need(v, "minutes", path, e);
    if (!from || !min)
        return -1;
    struct offset *o = &c->offs[i];
    path_key(p, path, "from");
    if (!json_is_string(from) || time_parse_rfc3339(json_string_value(from), &o->from_ms))
        return fail(e, 422, p, "must be an RFC 3339 instant");
    if (i > 0 && o->from_ms <= c->offs[i - 1].from_ms)
        return fail(e, 422, p, "must be later than utc_offsets[%zu].from", i - 1);
    path_key(p, path, "minutes");
    return get_int(min, -720, 840, p, &o->minutes, e);
}

static int check_offsets(struct calendar *c, const json_t *a, struct err *e)
{
    if (!json_is_array(a) || json_array_size(a) == 0 || json_array_size(a) > MAX_OFFSETS)
        return fail(e, 422, "utc_offsets", "must be an array of 1..%d offsets", MAX_OFFSETS);
    c->n_offs = json_array_size(a);
    c->offs = xcalloc(c->n_offs, sizeof *c->offs);
    for (size_t i = 0; i < c->n_offs; i++)
        if (check_offset(c, json_array_get(a, i), i, e))
            return -1;
    return 0;
}

static int check_weekend(struct calendar *c, const json_t *a, struct err *e)
{
    if (!json_is_array(a) || json_array_size(a) > 7)
        return fail(e, 422, "weekend", "must be an array of ISO weekdays 1..7");
    for (size_t i = 0; i < json_array_size(a); i++) {
        char p[PATH_LEN];
        int d = 0; /* set by get_int; -O3 cannot see it */
        path_idx(p, "weekend", i);
        if (get_int(json_array_get(a, i), 1, 7, p, &d, e))
            return -1;
        if (c->weekend[d])
            return fail(e, 422, p, "weekday %d is listed twice", d);
        c->weekend[d] = true;
    }
    if (json_array_size(a) == 7)
        return fail(e, 422, "weekend", "at least one day of the week must be a working day");
    return 0;
}

static int check_rule_years(struct rule *r, const json_t *v, const char *path, struct err *e)
{
    char p[PATH_LEN];
    const json_t *from = json_object_get(v, "from_year"), *until = json_object_get(v, "until_year");
    r->from_year = INT_MIN;
    r->until_year = INT_MAX;
    path_key(p, path, "from_year");
    if (from && get_int(from, 1900, 2200, p, &r->from_year, e))
        return -1;
    path_key(p, path, "until_year");
    if (until && get_int(until, 1900, 2200, p, &r->until_year, e))
        return -1;
    if (r->until_year < r->from_year)
        return fail(e, 422, p, "must not be before from_year");
    return 0;
}

static int check_rule(struct calendar *c, const json_t *v, size_t i, struct err *e)
{
    static const char *const keys[] = {"id",    "month",     "day",        "name",
                                       "moves", "from_year", "until_year", NULL};
    char path[PATH_LEN], p[PATH_LEN];
    path_idx(path, "holidays", i);
    if (!json_is_object(v))
        return fail(e, 422, path, "must be an object");
    if (only_keys(v, keys, path, e))
        return -1;
    const json_t *id = need(v, "id", path, e), *month = id ? need(v, "month", path, e) : NULL;
    const json_t *day = month ? need(v, "day", path, e) : NULL;
    const json_t *name = day ? need(v, "name", path, e) : NULL;
    const json_t *moves = name ? need(v, "moves", path, e) : NULL;
    if (!moves)
        return -1;
    struct rule *r = &c->rules[i];
    path_key(p, path, "id");
    if (!json_is_string(id) || !text_id_valid(json_string_value(id)))
        return fail(e, 422, p, "must be 1..64 characters of [A-Za-z0-9._-]");
    for (size_t j = 0; j < i; j++)
        if (strcmp(c->rules[j].id, json_string_value(id)) == 0)
            return fail(e, 422, p, "is also the id of holidays[%zu]", j);
    r->id = xstrdup(json_string_value(id));
    path_key(p, path, "month");
    if (get_int(month, 1, 12, p, &r->month, e))
        return -1;
    path_key(p, path, "day");
    if (get_int(day, 1, time_days_in_month(2000, r->month), p, &r->day, e))
        return -1;
    path_key(p, path, "name");
    if (!(r->name = check_name(name, true, p, e)))
        return -1;
    path_key(p, path, "moves");
    if (!json_is_boolean(moves))
        return fail(e, 422, p, "must be true or false");
    r->moves = json_is_true(moves);
    if (check_rule_years(r, v, path, e))
        return -1;
    path_key(p, path, "day");
    for (size_t j = 0; j < i; j++) {
        const struct rule *o = &c->rules[j];
        if (o->month == r->month && o->day == r->day && o->from_year <= r->until_year &&
            r->from_year <= o->until_year)
            return fail(e, 422, p, "same date as holidays[%zu] in the same years", j);
    }
    return 0;
}

static int check_rules(struct calendar *c, const json_t *a, struct err *e)
{
    if (!json_is_array(a) || json_array_size(a) > MAX_RULES)
        return fail(e, 422, "holidays", "must be an array of at most %d holidays", MAX_RULES);
    c->rules = xcalloc(json_array_size(a) + 1, sizeof *c->rules);
    for (size_t i = 0; i < json_array_size(a); i++) {
        c->n_rules = i + 1; /* so that calendar_free releases what the check filled */
        if (check_rule(c, json_array_get(a, i), i, e))
            return -1;
    }
    return 0;
}

/* One entry while a year's array is checked. */
struct pending {
    int64_t day;
    size_t idx;
    enum day_type type;
    json_t *obj; /* canonical copy */
};

static int check_entry(const json_t *v, int year, const char *base, size_t i, struct pending *out,
                       struct err *e)
{
    static const char *const keys[] = {"date", "type", "name", "note", "source", NULL};
    char path[PATH_LEN], p[PATH_LEN], date[40];
    int y, m, d;
    path_idx(path, base, i);
    if (!json_is_object(v))
        return fail(e, 422, path, "must be an object {date, type, name?, note?, source?}");
    if (only_keys(v, keys, path, e))
        return -1;
    const json_t *dv = need(v, "date", path, e), *tv = dv ? need(v, "type", path, e) : NULL;
    if (!tv)
        return -1;
    path_key(p, path, "date");
    if (!json_is_string(dv) || json_string_length(dv) != 10 ||
        time_parse_date(json_string_value(dv), &y, &m, &d))
        return fail(e, 422, p, "must be a date YYYY-MM-DD");
    if (y != year)
        return fail(e, 422, p, "must be a date in %d", year);
    path_key(p, path, "type");
    const char *t = json_is_string(tv) ? json_string_value(tv) : "";
    int type = 0;
    while (type < 3 && strcmp(t, TYPE_NAMES[type]) != 0)
        type++;
    if (type == 3)
        return fail(e, 422, p, "must be holiday, day_off or working_day");
    out->day = time_days_from_civil(y, m, d);
    out->idx = i;
    out->type = (enum day_type)type;
    out->obj = json_pack("{s:s, s:s}", "date", time_format_date(out->day, date, sizeof date), "type", t);
    const json_t *name = json_object_get(v, "name"), *note = json_object_get(v, "note");
    path_key(p, path, "name");
    json_t *n = name ? check_name(name, false, p, e) : NULL;
    if (name && !n)
        return -1;
    if (n)
        json_object_set_new(out->obj, "name", n);
    path_key(p, path, "note");
    const char *s = note ? get_text(note, NOTE_MAX_BYTES, p, e) : NULL;
    if (note && !s)
        return -1;
    if (s)
        json_object_set_new(out->obj, "note", json_string(s));
    const json_t *source = json_object_get(v, "source");
    path_key(p, path, "source");
    s = source ? get_text(source, SOURCE_MAX_BYTES, p, e) : NULL;
    if (source && !s)
        return -1;
    if (s)
        json_object_set_new(out->obj, "source", json_string(s));
    return 0;
}

static int cmp_pending(const void *a, const void *b)
{
    const struct pending *x = a, *y = b;
    if (x->day != y->day)
        return x->day < y->day ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static void year_clear(struct year *y)
{
    json_decref(y->doc);
    free(y->v);
    free(y->note);
    memset(y, 0, sizeof *y);
}

/* Checks a year's entries array (paths start with `base`) into *out, sorted
 * by date. On error *out is left empty. */
static int check_entries(const json_t *a, int year, const char *base, struct year *out,
                         struct err *e)
{
    memset(out, 0, sizeof *out);
    if (!json_is_array(a))
        return fail(e, 422, base, "must be an array of entries");
    size_t n = json_array_size(a);
    if (n > MAX_ENTRIES)
        return fail(e, 422, base, "must have at most %d entries", MAX_ENTRIES);
    struct pending *p = xcalloc(n + 1, sizeof *p);
    int rc = -1;
    for (size_t i = 0; i < n; i++)
        if (check_entry(json_array_get(a, i), year, base, i, &p[i], e))
            goto done;
    qsort(p, n, sizeof *p, cmp_pending);
    for (size_t i = 1; i < n; i++) {
        if (p[i].day == p[i - 1].day) {
            char path[PATH_LEN], at[PATH_LEN];
            path_idx(at, base, p[i].idx);
            path_key(path, at, "date");
            fail(e, 422, path, "the date is also in %s[%zu]", base, p[i - 1].idx);
            goto done;
        }
    }
    out->doc = json_array();
    out->v = xcalloc(n + 1, sizeof *out->v);
    out->n = n;
    for (size_t i = 0; i < n; i++) {
        json_array_append(out->doc, p[i].obj);
        out->v[i] =
            (struct entry){p[i].day, p[i].type, json_object_get(p[i].obj, "name"), p[i].obj};
    }
    rc = 0;
done:
    for (size_t i = 0; i < n; i++)
        json_decref(p[i].obj);
    free(p);
    return rc;
}

/* A year as the document and a PUT give it: the entries array alone (the
 * format before statuses: transfers "unknown"), or
 * {"transfers"?: "loaded"|"none"|"unknown", "note"?: text, "entries": [..]}.
 * Paths start with `base` ("" for a PUT's body). On error *out is empty. */
static int check_year_spec(const json_t *v, int year, const char *base, struct year *out,
                           struct err *e)
{
    static const char *const keys[] = {"transfers", "note", "entries", NULL};
    char p[PATH_LEN];
    memset(out, 0, sizeof *out);
    if (json_is_array(v))
        return check_entries(v, year, *base ? base : "entries", out, e);
    if (!json_is_object(v))
        return fail(e, 422, *base ? base : "entries",
                    "must be {transfers?, note?, entries} or an array of entries");
    const json_t *entries = need(v, "entries", base, e);
    if (!entries || only_keys(v, keys, base, e))
        return -1;
    const json_t *tr = json_object_get(v, "transfers"), *note = json_object_get(v, "note");
    int t = 0;
    if (tr) {
        const char *ts = json_is_string(tr) ? json_string_value(tr) : "";
        while (TRANSFER_NAMES[t] && strcmp(ts, TRANSFER_NAMES[t]) != 0)
            t++;
        if (!TRANSFER_NAMES[t]) {
            path_key(p, base, "transfers");
            return fail(e, 422, p, "must be loaded, none or unknown");
        }
    }
    const char *ns = NULL;
    if (note) {
        path_key(p, base, "note");
        if (!(ns = get_text(note, NOTE_MAX_BYTES, p, e)))
            return -1;
    }
    path_key(p, base, "entries");
    if (check_entries(entries, year, p, out, e))
        return -1;
    out->transfers = (enum calendar_transfers)t;
    out->note = ns ? xstrdup(ns) : NULL;
    return 0;
}

static int check_years(struct calendar *c, const json_t *o, struct err *e)
{
    if (!json_is_object(o))
        return fail(e, 422, "years", "must be an object keyed by year \"YYYY\"");
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)o, k, v) {
        char path[PATH_LEN];
        path_key(path, "years", k);
        int y = 0;
        bool ok = strlen(k) == 4;
        for (size_t i = 0; ok && i < 4; i++) {
            ok = k[i] >= '0' && k[i] <= '9';
            y = y * 10 + (k[i] - '0');
        }
        if (!ok || !year_covered(y))
            return fail(e, 422, path, "must be a year %d..%d", CALENDAR_YEAR_MIN,
                        CALENDAR_YEAR_MAX);
        if (check_year_spec(v, y, path, &c->years[y - CALENDAR_YEAR_MIN], e))
            return -1;
    }
    return 0;
}

static int check_doc(struct calendar *c, const json_t *root, struct err *e)
{
    static const char *const keys[] = {"description", "time_zone", "utc_offsets", "weekend",
                                       "holidays",    "years",     NULL};
    if (!json_is_object(root))
        return fail(e, 422, "", "the calendar must be a JSON object");
    if (only_keys(root, keys, "", e))
        return -1;
    const json_t *desc = json_object_get(root, "description");
    if (desc) {
        const char *s = get_text(desc, DESC_MAX_BYTES, "description", e);
        if (!s)
            return -1;
        c->description = xstrdup(s);
    }
    const json_t *tz = need(root, "time_zone", "", e);
    if (!tz || check_time_zone(c, tz, e))
        return -1;
    const json_t *offs = need(root, "utc_offsets", "", e);
    if (!offs || check_offsets(c, offs, e))
        return -1;
    const json_t *wk = need(root, "weekend", "", e);
    if (!wk || check_weekend(c, wk, e))
        return -1;
    const json_t *hol = need(root, "holidays", "", e);
    if (!hol || check_rules(c, hol, e))
        return -1;
    const json_t *years = json_object_get(root, "years");
    return years ? check_years(c, years, e) : 0;
}

/* ---- deriving a year ------------------------------------------------- */

enum { F_WEEKEND = 1, F_RULE = 2, F_OFF = 4 /* an entry not working */, F_MOVED = 8 };

/* The days around a year with what the rules and entries say of them. */
struct window {
    int64_t start; /* day number of 1 January of the year before */
    int len;
    uint8_t flag[WIN_DAYS];
    const struct rule *rule[WIN_DAYS];
    const struct entry *entry[WIN_DAYS];
    int16_t moved_from[WIN_DAYS]; /* F_MOVED: index of the holiday moved here */
};

/* A non-ordinary day of a year. */
struct dayrec {
    int64_t day;
    int64_t moved_from; /* DO_MOVED */
    enum day_type type;
    enum day_origin origin;
    const json_t *name;  /* borrowed; NULL when none */
    const json_t *entry; /* DO_ENTRY: the entry (borrowed) */
};

struct derived {
    struct dayrec v[366];
    size_t n;
};

static void window_fill(const struct calendar *c, int year, struct window *w)
{
    memset(w, 0, sizeof *w);
    w->start = jan1(year - 1);
    w->len = (int)(jan1(year + 2) - w->start);
    for (int i = 0; i < w->len; i++)
        if (c->weekend[iso_weekday(w->start + i)])
            w->flag[i] |= F_WEEKEND;
    for (int y = year - 1; y <= year + 1; y++) {
        for (size_t r = 0; r < c->n_rules; r++) {
            const struct rule *h = &c->rules[r];
            if (y < h->from_year || y > h->until_year || h->day > time_days_in_month(y, h->month))
                continue;
            int i = (int)(time_days_from_civil(y, h->month, h->day) - w->start);
            w->flag[i] |= F_RULE;
            w->rule[i] = h;
        }
        if (!year_covered(y))
            continue;
        const struct year *ye = &c->years[y - CALENDAR_YEAR_MIN];
        for (size_t k = 0; k < ye->n; k++) {
            int i = (int)(ye->v[k].day - w->start);
            w->entry[i] = &ye->v[k];
            if (ye->v[k].type != DT_WORKING_DAY)
                w->flag[i] |= F_OFF;
        }
    }
}

/* Labour Code: a holiday (moves) on a weekend day gives a day off on the
 * first later day that is not a weekend day, a holiday, a day off by an
 * entry or a day off already moved. Holidays of [0, to) in date order; the
 * year before's moves are counted so that its late-December holidays may
 * carry into January. (The moves of two years before are not.) */
static void window_move(struct window *w, int to)
{
    for (int i = 0; i < to; i++) {
        if ((w->flag[i] & (F_RULE | F_WEEKEND)) != (F_RULE | F_WEEKEND) || !w->rule[i]->moves)
            continue;
        for (int j = i + 1; j < w->len; j++) {
            if (!(w->flag[j] & (F_WEEKEND | F_RULE | F_OFF | F_MOVED))) {
                w->flag[j] |= F_MOVED;
                w->moved_from[j] = (int16_t)i;
                break;
            }
        }
    }
}

/* The year's non-ordinary days, in date order. w is scratch space. */
static void derive_year(const struct calendar *c, int year, struct window *w, struct derived *out)
{
    window_fill(c, year, w);
    int lo = (int)(jan1(year) - w->start), hi = (int)(jan1(year + 1) - w->start);
    window_move(w, hi);
    out->n = 0;
    for (int i = lo; i < hi; i++) {
        uint8_t f = w->flag[i];
        const json_t *rule_name = (f & F_RULE)    ? w->rule[i]->name
                                  : (f & F_MOVED) ? w->rule[w->moved_from[i]]->name
                                                  : NULL;
        struct dayrec r = {.day = w->start + i, .name = rule_name};
        if (w->entry[i]) {
            r.type = w->entry[i]->type;
            r.origin = DO_ENTRY;
            r.entry = w->entry[i]->obj;
            if (w->entry[i]->name)
                r.name = w->entry[i]->name;
        } else if (f & F_RULE) {
            r.type = DT_HOLIDAY;
            r.origin = DO_RULE;
        } else if (f & F_MOVED) {
            r.type = DT_DAY_OFF;
            r.origin = DO_MOVED;
            r.moved_from = w->start + w->moved_from[i];
        } else {
            continue;
        }
        out->v[out->n++] = r;
    }
}

/* ---- the working-day bitmap ----------------------------------------- */

static bool bit_working(const struct calendar *c, int64_t i)
{
    return (c->bits[i >> 6] >> (i & 63)) & 1;
}

/* Working days among the covered days [0, i]. */
static int64_t prefix(const struct calendar *c, int64_t i)
{
    uint64_t mask = (2ULL << (i & 63)) - 1; /* bits 0..i&63; all when i&63 == 63 */
    return c->cum[i >> 6] + __builtin_popcountll(c->bits[i >> 6] & mask);
}

static void rebuild_year(struct calendar *c, int year)
{
    struct window w;
    struct derived dv;
    derive_year(c, year, &w, &dv);
    int64_t first = jan1(year), n = jan1(year + 1) - first;
    size_t k = 0;
    for (int64_t i = 0; i < n; i++) {
        bool work = !c->weekend[iso_weekday(first + i)];
        if (k < dv.n && dv.v[k].day == first + i)
            work = dv.v[k++].type == DT_WORKING_DAY;
        int64_t b = first + i - c->day0;
        if (work)
            c->bits[b >> 6] |= 1ULL << (b & 63);
        else
            c->bits[b >> 6] &= ~(1ULL << (b & 63));
    }
}

static void recount(struct calendar *c)
{
    uint32_t sum = 0;
    for (size_t w = 0; w < N_WORDS; w++) {
        c->cum[w] = sum;
        sum += (uint32_t)__builtin_popcountll(c->bits[w]);
    }
}

/* ---- load, free, document -------------------------------------------- */

int calendar_load(const char *json_text, size_t len, struct calendar **out, struct err *e)
{
    *out = NULL;
    if (len > CALENDAR_DOC_MAX)
        return fail(e, 400, "", "the calendar is larger than %u bytes", CALENDAR_DOC_MAX);
    if (!json_text)
        len = 0, json_text = "";
    json_error_t jerr;
    json_t *root = json_loadb(json_text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return fail(e, 400, "", "line %d, column %d: %s", jerr.line, jerr.column, jerr.text);
    struct calendar *c = xcalloc(1, sizeof *c);
    c->day0 = jan1(CALENDAR_YEAR_MIN);
    if (jan1(CALENDAR_YEAR_MAX + 1) - c->day0 != N_DAYS)
        fatal("calendar: N_DAYS does not match the covered years");
    int rc = check_doc(c, root, e);
    json_decref(root);
    if (rc) {
        calendar_free(c);
        return -1;
    }
    for (int y = CALENDAR_YEAR_MIN; y <= CALENDAR_YEAR_MAX; y++)
        rebuild_year(c, y);
    recount(c);
    *out = c;
    return 0;
}

void calendar_free(struct calendar *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n_rules; i++) {
        free(c->rules[i].id);
        json_decref(c->rules[i].name);
    }
    for (size_t y = 0; y < N_YEARS; y++)
        year_clear(&c->years[y]);
    free(c->rules);
    free(c->offs);
    free(c->time_zone);
    free(c->description);
    free(c);
}

static json_t *rule_json(const struct rule *r)
{
    json_t *o = json_pack("{s:s, s:i, s:i, s:O, s:b}", "id", r->id, "month", r->month, "day",
                          r->day, "name", r->name, "moves", r->moves);
    if (r->from_year != INT_MIN)
        json_object_set_new(o, "from_year", json_integer(r->from_year));
    if (r->until_year != INT_MAX)
        json_object_set_new(o, "until_year", json_integer(r->until_year));
    return o;
}

json_t *calendar_document(const struct calendar *c)
{
    json_t *doc = json_object(), *offs = json_array(), *wk = json_array(), *hol = json_array();
    json_t *years = json_object();
    if (c->description)
        json_object_set_new(doc, "description", json_string(c->description));
    json_object_set_new(doc, "time_zone", json_string(c->time_zone));
    for (size_t i = 0; i < c->n_offs; i++) {
        char from[40];
        time_format_rfc3339(c->offs[i].from_ms, from, sizeof from);
        json_array_append_new(offs,
                              json_pack("{s:s, s:i}", "from", from, "minutes", c->offs[i].minutes));
    }
    for (int d = 1; d <= 7; d++)
        if (c->weekend[d])
            json_array_append_new(wk, json_integer(d));
    for (size_t i = 0; i < c->n_rules; i++)
        json_array_append_new(hol, rule_json(&c->rules[i]));
    for (int y = CALENDAR_YEAR_MIN; y <= CALENDAR_YEAR_MAX; y++) {
        const struct year *ye = &c->years[y - CALENDAR_YEAR_MIN];
        char key[16];
        snprintf(key, sizeof key, "%d", y);
        json_t *spec = calendar_year_spec(c, y);
        if (ye->n || ye->transfers != CAL_TRANSFERS_UNKNOWN || ye->note)
            json_object_set(years, key, spec);
        json_decref(spec);
    }
    json_object_set_new(doc, "utc_offsets", offs);
    json_object_set_new(doc, "weekend", wk);
    json_object_set_new(doc, "holidays", hol);
    json_object_set_new(doc, "years", years);
    return doc;
}

/* ---- years ------------------------------------------------------------- */

int calendar_set_year(struct calendar *c, int year, const json_t *spec, struct err *e)
{
    if (!year_covered(year))
        return fail(e, 400, "year", "must be %d..%d", CALENDAR_YEAR_MIN, CALENDAR_YEAR_MAX);
    struct year ny;
    if (check_year_spec(spec, year, "", &ny, e))
        return -1;
    year_clear(&c->years[year - CALENDAR_YEAR_MIN]);
    c->years[year - CALENDAR_YEAR_MIN] = ny;
    /* The entries decide this year's days and where this year's December
     * holidays move to in the next; earlier years do not look ahead. */
    rebuild_year(c, year);
    if (year_covered(year + 1))
        rebuild_year(c, year + 1);
    recount(c);
    return 0;
}

json_t *calendar_year_entries(const struct calendar *c, int year)
{
    if (!year_covered(year))
        return NULL;
    const struct year *ye = &c->years[year - CALENDAR_YEAR_MIN];
    return ye->doc ? json_deep_copy(ye->doc) : json_array();
}

json_t *calendar_year_spec(const struct calendar *c, int year)
{
    if (!year_covered(year))
        return NULL;
    const struct year *ye = &c->years[year - CALENDAR_YEAR_MIN];
    json_t *o = json_pack("{s:s}", "transfers", TRANSFER_NAMES[ye->transfers]);
    if (ye->note)
        json_object_set_new(o, "note", json_string(ye->note));
    json_object_set_new(o, "entries", calendar_year_entries(c, year));
    return o;
}

enum calendar_transfers calendar_year_transfers(const struct calendar *c, int year)
{
    return year_covered(year) ? c->years[year - CALENDAR_YEAR_MIN].transfers
                              : CAL_TRANSFERS_UNKNOWN;
}

static json_t *dayrec_json(const struct dayrec *r)
{
    char date[40], from[40];
    json_t *o =
        json_pack("{s:s, s:s, s:o, s:s}", "date", time_format_date(r->day, date, sizeof date), "type",
                  TYPE_NAMES[r->type], "name", r->name ? json_deep_copy(r->name) : json_object(),
                  "origin", ORIGIN_NAMES[r->origin]);
    if (r->origin == DO_MOVED)
        json_object_set_new(o, "moved_from",
                            json_string(time_format_date(r->moved_from, from, sizeof from)));
    static const char *const copied[] = {"note", "source"};
    for (size_t i = 0; r->entry && i < 2; i++) {
        json_t *v = json_object_get(r->entry, copied[i]);
        if (v)
            json_object_set(o, copied[i], v);
    }
    return o;
}

json_t *calendar_year_json(const struct calendar *c, int year)
{
    if (!year_covered(year))
        return NULL;
    struct window w;
    struct derived dv;
    derive_year(c, year, &w, &dv);
    json_t *days = json_array();
    for (size_t i = 0; i < dv.n; i++)
        json_array_append_new(days, dayrec_json(&dv.v[i]));
    int64_t first = jan1(year) - c->day0, n = jan1(year + 1) - jan1(year);
    int64_t work = prefix(c, first + n - 1) - (first ? prefix(c, first - 1) : 0);
    const struct year *ye = &c->years[year - CALENDAR_YEAR_MIN];
    const char *const *text = TRANSFER_TEXT[ye->transfers];
    json_t *o = json_pack("{s:i, s:s, s:{s:s, s:s, s:s}, s:o, s:I, s:I}", "year", year,
                          "transfers", TRANSFER_NAMES[ye->transfers], "transfers_text", "kk",
                          text[0], "ru", text[1], "en", text[2], "days", days, "working_days",
                          (json_int_t)work, "non_working_days", (json_int_t)(n - work));
    if (ye->note)
        json_object_set_new(o, "transfers_note", json_string(ye->note));
    return o;
}

json_t *calendar_incomplete_years(const struct calendar *c, int64_t a_ms, int64_t b_ms)
{
    int ya, yb, m, d;
    calendar_local_date(c, a_ms < b_ms ? a_ms : b_ms, &ya, &m, &d);
    calendar_local_date(c, a_ms < b_ms ? b_ms : a_ms, &yb, &m, &d);
    json_t *out = json_array();
    ya = ya < CALENDAR_YEAR_MIN ? CALENDAR_YEAR_MIN : ya;
    yb = yb > CALENDAR_YEAR_MAX ? CALENDAR_YEAR_MAX : yb;
    for (int y = ya; y <= yb; y++)
        if (calendar_year_transfers(c, y) == CAL_TRANSFERS_UNKNOWN)
            json_array_append_new(out, json_integer(y));
    return out;
}

bool calendar_is_working_date(const struct calendar *c, int y, int m, int d)
{
    if (!year_covered(y) || m < 1 || m > 12 || d < 1 || d > time_days_in_month(y, m))
        return false;
    return bit_working(c, time_days_from_civil(y, m, d) - c->day0);
}

/* ---- instants -------------------------------------------------------- */

int calendar_utc_offset(const struct calendar *c, int64_t t_ms)
{
    size_t lo = 0, hi = c->n_offs; /* count the changes at or before t */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->offs[mid].from_ms <= t_ms)
            lo = mid + 1;
        else
            hi = mid;
    }
    return c->offs[lo ? lo - 1 : 0].minutes;
}

static int64_t local_day(const struct calendar *c, int64_t t)
{
    t = t > T_LIMIT ? T_LIMIT : t < -T_LIMIT ? -T_LIMIT : t;
    return floor_div(t + calendar_utc_offset(c, t) * 60000LL, DAY_MS);
}

void calendar_local_date(const struct calendar *c, int64_t t_ms, int *y, int *m, int *d)
{
    time_civil_from_days(local_day(c, t_ms), y, m, d);
}

/* The last instant whose local date is `day`: for each offset period, the
 * latest instant in it that still shows that date; the latest of those (when
 * clocks go back, the day's last hour is lived twice). */
int64_t calendar_day_end(const struct calendar *c, int64_t day)
{
    int64_t local_end = (day + 1) * DAY_MS - 1, best = INT64_MIN;
    for (size_t i = 0; i < c->n_offs; i++) {
        int64_t off = c->offs[i].minutes * 60000LL;
        int64_t lo = i == 0 ? INT64_MIN : c->offs[i].from_ms;
        int64_t hi = i + 1 < c->n_offs ? c->offs[i + 1].from_ms - 1 : INT64_MAX;
        int64_t u = local_end - off < hi ? local_end - off : hi;
        if (u >= lo && u + off >= day * DAY_MS && u > best)
            best = u;
    }
    if (best == INT64_MIN) /* the whole day was skipped by a change */
        best = local_end - calendar_utc_offset(c, local_end) * 60000LL;
    return best;
}

static int out_of_range(struct err *e, const char *field)
{
    return fail(e, 400, field, "the date is outside the calendar's years %d..%d", CALENDAR_YEAR_MIN,
                CALENDAR_YEAR_MAX);
}

int calendar_add_working_days(const struct calendar *c, int64_t t_ms, int n, int64_t *due,
                              struct err *e)
{
    if (n < 0 || n > CALENDAR_ADD_MAX)
        return fail(e, 400, "n", "must be 0..%d working days", CALENDAR_ADD_MAX);
    int64_t i = local_day(c, t_ms) - c->day0;
    if (i < 0 || i >= N_DAYS)
        return out_of_range(e, "at");
    if (n == 0) {
        while (i < N_DAYS && !bit_working(c, i))
            i++;
    } else {
        for (int k = 0; k < n && i < N_DAYS;) {
            if (++i < N_DAYS && bit_working(c, i))
                k++;
        }
    }
    if (i >= N_DAYS)
        return out_of_range(e, "n");
    *due = calendar_day_end(c, c->day0 + i);
    return 0;
}

int calendar_working_days_between(const struct calendar *c, int64_t a_ms, int64_t b_ms,
                                  int64_t *out, struct err *e)
{
    int64_t a = local_day(c, a_ms) - c->day0, b = local_day(c, b_ms) - c->day0;
    if (a < 0 || a >= N_DAYS)
        return out_of_range(e, "from");
    if (b < 0 || b >= N_DAYS)
        return out_of_range(e, "to");
    *out = prefix(c, b) - prefix(c, a);
    return 0;
}
