/* calsvc: the shipped calendar plus the stored years, behind a lock. */
#include "calendar/calsvc.h"

#include "auth/authz.h"
#include "registry/registry.h"
#include "util/timeutil.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct calsvc {
    struct store *store;
    pthread_rwlock_t lock;
    struct calendar *cal;
};

static int apply_stored(struct calsvc *s, struct err *e)
{
    struct store_conn *c = store_conn(s->store);
    struct store_stmt *st =
        store_prepare(c, "SELECT year, entries FROM calendar_years ORDER BY year", true, e);
    if (!st)
        return -1;
    int rc;
    while ((rc = store_step(st, e)) == STORE_ROW) {
        int year = (int)store_col_int64(st, 0);
        /* the year's {transfers, note?, entries}, or a bare entries array
         * as stored before statuses (read as transfers "unknown") */
        json_t *spec = json_loads(store_col_text(st, 1), 0, NULL);
        int set = spec ? calendar_set_year(s->cal, year, spec, e) : -1;
        json_decref(spec);
        if (set < 0) {
            err_prefix(e, "stored calendar year %d: ", year);
            rc = STORE_ERROR;
            break;
        }
    }
    store_reset(st);
    return rc == STORE_ERROR ? -1 : 0;
}

int calsvc_open(struct store *s, const char *doc, size_t len, struct calsvc **out,
                struct err *e)
{
    *out = NULL;
    struct calsvc *cs = xcalloc(1, sizeof *cs);
    cs->store = s;
    pthread_rwlock_init(&cs->lock, NULL);
    if (calendar_load(doc, len, &cs->cal, e) < 0 || apply_stored(cs, e) < 0) {
        calsvc_free(cs);
        return -1;
    }
    *out = cs;
    return 0;
}

void calsvc_free(struct calsvc *c)
{
    if (!c)
        return;
    calendar_free(c->cal);
    pthread_rwlock_destroy(&c->lock);
    free(c);
}

int calsvc_add_working_days(struct calsvc *c, int64_t t_ms, int n, int64_t *due, struct err *e)
{
    pthread_rwlock_rdlock(&c->lock);
    int rc = calendar_add_working_days(c->cal, t_ms, n, due, e);
    pthread_rwlock_unlock(&c->lock);
    return rc;
}

int calsvc_working_days_between(struct calsvc *c, int64_t a_ms, int64_t b_ms, int64_t *out,
                                struct err *e)
{
    pthread_rwlock_rdlock(&c->lock);
    int rc = calendar_working_days_between(c->cal, a_ms, b_ms, out, e);
    pthread_rwlock_unlock(&c->lock);
    return rc;
}

int64_t calsvc_local_day_cb(void *c, int64_t t_ms)
{
    return calsvc_local_day(c, t_ms);
}

int64_t calsvc_local_day(struct calsvc *c, int64_t t_ms)
{
    int y, m, d;
    pthread_rwlock_rdlock(&c->lock);
    calendar_local_date(c->cal, t_ms, &y, &m, &d);
    pthread_rwlock_unlock(&c->lock);
    return time_days_from_civil(y, m, d);
}

void calsvc_local_date(struct calsvc *c, int64_t t_ms, char out[11])
{
    time_format_date(calsvc_local_day(c, t_ms), out, 11);
}

int64_t calsvc_day_end(struct calsvc *c, int64_t day)
{
    pthread_rwlock_rdlock(&c->lock);
    int64_t end = calendar_day_end(c->cal, day);
    pthread_rwlock_unlock(&c->lock);
    return end;
}

int calsvc_local_minute(struct calsvc *c, int64_t t_ms)
{
    pthread_rwlock_rdlock(&c->lock);
    int offset = calendar_utc_offset(c->cal, t_ms);
    pthread_rwlock_unlock(&c->lock);
    int64_t local_min = (t_ms >= 0 ? t_ms / 60000 : (t_ms - 59999) / 60000) + offset;
    return (int)(((local_min % 1440) + 1440) % 1440);
}

int calsvc_year(struct calsvc *c, int year, json_t **out, struct err *e)
{
    pthread_rwlock_rdlock(&c->lock);
    json_t *y = calendar_year_json(c->cal, year);
    json_t *entries = calendar_year_entries(c->cal, year);
    pthread_rwlock_unlock(&c->lock);
    if (!y) {
        json_decref(entries);
        err_not_found(e, "the calendar covers the years %d..%d", CALENDAR_YEAR_MIN,
                      CALENDAR_YEAR_MAX);
        return -1;
    }
    json_object_set_new(y, "entries", entries);
    *out = y;
    return 0;
}

int calsvc_check_year(struct calsvc *c, int year, const json_t *spec, struct err *e)
{
    pthread_rwlock_rdlock(&c->lock);
    json_t *doc = calendar_document(c->cal);
    pthread_rwlock_unlock(&c->lock);
    char *text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    struct calendar *scratch = NULL;
    int rc = text ? calendar_load(text, strlen(text), &scratch, e) : -1;
    if (!text)
        err_internal(e, "cannot copy the calendar");
    if (rc == 0)
        rc = calendar_set_year(scratch, year, spec, e);
    calendar_free(scratch);
    free(text);
    return rc;
}

int calsvc_set_year(struct calsvc *c, const struct rights *r, const struct actor *by, int year,
                    const json_t *spec, struct err *e)
{
    if (authz_check(r, by, RA_CALENDAR, NULL, NULL, e) < 0)
        return -1;
    /* one writer at a time holds the lock from the check to the apply, so
     * what is stored is what is applied */
    pthread_rwlock_wrlock(&c->lock);
    json_t *before = calendar_year_spec(c->cal, year);
    int rc = calendar_set_year(c->cal, year, spec, e);
    if (rc == 0) {
        /* checked and applied in memory; store its canonical form (the
         * column holds the year's {transfers, note?, entries}, or the bare
         * entries array of the years stored before statuses), or undo */
        json_t *after = calendar_year_spec(c->cal, year);
        char *after_s = json_dumps(after, JSON_COMPACT | JSON_PRESERVE_ORDER);
        char now[32], key[16];
        time_format_rfc3339(time_now_ms(), now, sizeof now);
        snprintf(key, sizeof key, "%d", year);
        struct store_conn *w = store_write_enter(c->store, e);
        rc = w ? 0 : -1;
        if (rc == 0)
            rc = store_execf(w,
                             "INSERT INTO calendar_years(year, entries, updated_at, updated_by) "
                             "VALUES ($1, $2, $3, $4) ON CONFLICT(year) DO UPDATE SET "
                             "entries = excluded.entries, updated_at = excluded.updated_at, "
                             "updated_by = excluded.updated_by",
                             e, "ittt", (int64_t)year, after_s, now, by->id);
        if (rc == 0) {
            json_t *ba = json_deep_copy(before), *aa = json_deep_copy(after);
            json_object_set_new(ba, "year", json_integer(year));
            json_object_set_new(aa, "year", json_integer(year));
            char *b = json_dumps(ba, JSON_COMPACT), *a = json_dumps(aa, JSON_COMPACT);
            rc = audit_append(w, now, by, "calendar-set", "calendar", key, 0, b, a, e);
            free(b);
            free(a);
            json_decref(ba);
            json_decref(aa);
        }
        if (w && store_write_leave(w, rc, NULL, NULL, e) < 0)
            rc = -1;
        if (rc < 0) {
            struct err ignore = ERR_INIT;
            calendar_set_year(c->cal, year, before, &ignore);
        }
        free(after_s);
        json_decref(after);
    }
    pthread_rwlock_unlock(&c->lock);
    json_decref(before);
    return rc;
}

json_t *calsvc_incomplete_years(struct calsvc *c, int64_t a_ms, int64_t b_ms)
{
    pthread_rwlock_rdlock(&c->lock);
    json_t *out = calendar_incomplete_years(c->cal, a_ms, b_ms);
    pthread_rwlock_unlock(&c->lock);
    return out;
}
