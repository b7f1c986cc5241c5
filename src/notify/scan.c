/* notify/scan: reminders of deadlines two working days away and daily
 * digests of missed ones (the rules are in notify.h); once a day from
 * 20:00 local, the figures of the model's rules (registry_rules_record),
 * for their trend. */
#include "notify/internal.h"

#include "util/buf.h"
#include "util/text.h"
#include "util/timeutil.h"
#include "web/i18n.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REMINDER_WORKING_DAYS 2
#define DIGEST_FROM_MINUTE (9 * 60) /* 09:00 local */
#define FIGURES_FROM_MINUTE (20 * 60) /* 20:00 local */
#define REMINDERS_MAX 1000          /* per scan; the next scan takes the rest */
#define OVERDUE_MAX 10000
#define DIGEST_ITEMS_MAX 200 /* listed per digest; the rest are counted */
#define EDITOR_ROLE "owner-editor"
#define INTEGRATOR_ROLE "integrator-verifier"
#define TITLE_MAX 300

/* An obligation as the scan reads it. */
struct ob {
    char id[40], policy[64], subject[200], org[128], role[64], started[32], due[32];
    bool has_org, has_role;
};

static void local_date_of(struct calsvc *cal, const char *instant, char out[16])
{
    int64_t ms = 0;
    time_parse_rfc3339(instant, &ms);
    calsvc_local_date(cal, ms, out);
}

/* Reads the obligation columns id, policy, subject, debtor_org,
 * debtor_role, started_at, due_at of the current row. */
static void ob_row(struct store_stmt *st, struct ob *o)
{
    const char *org = store_col_text(st, 3), *role = store_col_text(st, 4);
    snprintf(o->id, sizeof o->id, "%s", store_col_text(st, 0));
    snprintf(o->policy, sizeof o->policy, "%s", store_col_text(st, 1));
    snprintf(o->subject, sizeof o->subject, "%s", store_col_text(st, 2));
    snprintf(o->org, sizeof o->org, "%s", org ? org : "");
    snprintf(o->role, sizeof o->role, "%s", role ? role : "");
    snprintf(o->started, sizeof o->started, "%s", store_col_text(st, 5));
    snprintf(o->due, sizeof o->due, "%s", store_col_text(st, 6));
    o->has_org = org != NULL;
    o->has_role = role != NULL;
}

/* Runs the obligations query st (bound by the caller) into a new array of
 * at most max rows. */
static int read_obs(struct store_stmt *st, struct ob **out, size_t *n, size_t max, struct err *e)
{
    *out = NULL;
    *n = 0;
    size_t cap = 0;
    int rc = STORE_DONE;
    while (*n < max && (rc = store_step(st, e)) == STORE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            *out = xrealloc(*out, cap * sizeof **out);
        }
        ob_row(st, &(*out)[(*n)++]);
    }
    store_reset(st);
    if (rc == STORE_ERROR) {
        free(*out);
        *out = NULL;
        return -1;
    }
    return 0;
}

/* ---- naming what an obligation is about ------------------------------------------- */

/* «name» and the accounting code of a record, its name as a reader of
 * lang sees it; "" when there is none. */
static void record_title(struct notify *n, struct store_conn *c, const char *id, enum lang l,
                         char *out, size_t len)
{
    out[0] = '\0';
    json_t *rec = registry_load_json(c, id);
    const char *name = registry_name_in(rec, i18n_code(l));
    const char *kind = json_string_value(json_object_get(rec, "kind"));
    const struct model_kind *k = kind ? model_kind(n->model, kind) : NULL;
    const char *code =
        k && k->workflow ? json_string_value(json_object_get(rec, k->workflow->code_field)) : NULL;
    char one[TITLE_MAX];
    if (name)
        snprintf(out, len, "«%s»%s%s", text_one_line(name, one, sizeof one), code ? " " : "",
                 code ? code : "");
    json_decref(rec);
}

/* The applicant's organisation and address. */
static void application_title(struct store_conn *c, const char *id, enum lang l, char *out,
                              size_t len)
{
    out[0] = '\0';
    struct err e = ERR_INIT;
    struct store_stmt *st =
        store_prepare(c, "SELECT data FROM applications WHERE id = $1", true, &e);
    if (!st)
        return;
    store_bind_text(st, 1, id);
    json_t *form =
        store_step(st, &e) == STORE_ROW ? json_loads(store_col_text(st, 0), 0, NULL) : NULL;
    store_reset(st);
    const char *org = json_string_value(json_object_get(form, "organization_name"));
    const char *mail = json_string_value(json_object_get(form, "email"));
    char one[TITLE_MAX];
    if (org)
        snprintf(out, len, "%s: «%s» %s", i18n_tr(l, TR("Application")),
                 text_one_line(org, one, sizeof one), mail ? mail : "");
    json_decref(form);
}

/* People's words for an obligation's subject ("collection/id"): the
 * record's name and code, or the application's organisation; the subject
 * itself only when there are none. */
static void subject_title(struct notify *n, struct store_conn *c, const char *subject, enum lang l,
                          char *out, size_t len)
{
    char title[TITLE_MAX + 64] = "";
    const char *slash = strchr(subject, '/');
    if (slash && strncmp(subject, "account-applications/", 21) == 0)
        application_title(c, slash + 1, l, title, sizeof title);
    else if (slash)
        record_title(n, c, slash + 1, l, title, sizeof title);
    snprintf(out, len, "%s", title[0] ? title : subject);
}

/* A label of the model in language l (any other when l's is missing). */
static const char *label_in(struct i18n label, enum lang l)
{
    const char *s = l == LANG_KK ? label.kk : l == LANG_RU ? label.ru : label.en;
    return s && *s ? s : label.en && *label.en ? label.en : label.ru ? label.ru : "";
}

static void policy_label(struct notify *n, const char *policy, enum lang l, struct buf *b)
{
    const struct model_policy *p = model_policy(n->model, policy);
    buf_puts(b, p ? label_in(p->label, l) : policy);
}

/* ---- once each ---------------------------------------------------------------------- */

static int already_sent(struct store_conn *c, const char *kind, const char *ref, const char *day,
                        struct err *e)
{
    struct store_stmt *st = store_prepare(
        c, "SELECT 1 FROM notify_sent WHERE kind = $1 AND ref = $2 AND day = $3", true, e);
    if (!st)
        return -1;
    store_bind_text(st, 1, kind);
    store_bind_text(st, 2, ref);
    store_bind_text(st, 3, day);
    int rc = store_step(st, e);
    store_reset(st);
    return rc == STORE_ERROR ? -1 : rc == STORE_ROW;
}

static int mark_sent(struct store_conn *c, const char *kind, const char *ref, const char *day,
                     int messages, struct err *e)
{
    char now[32];
    time_format_rfc3339(time_now_ms(), now, sizeof now);
    return store_execf(c,
                       "INSERT INTO notify_sent(kind, ref, day, sent_at, messages) "
                       "VALUES ($1, $2, $3, $4, $5)",
                       e, "tttti", kind, ref, day, now, (int64_t)messages);
}

typedef int (*write_fn)(struct notify *n, struct store_conn *c, void *ctx, struct err *e);

/* fn in one write transaction of its own. */
static int in_write(struct notify *n, write_fn fn, void *ctx, struct err *e)
{
    struct store_conn *c = registry_write_enter(n->reg, e);
    if (!c)
        return -1;
    int rc = fn(n, c, ctx, e);
    return registry_write_leave(n->reg, c, rc, e);
}

/* ---- reminders ---------------------------------------------------------------------- */

struct reminder {
    const struct ob *ob;
    int made; /* messages; -1: it had been sent already */
};

static int remind_fn(struct notify *n, struct store_conn *c, void *vctx, struct err *e)
{
    struct reminder *r = vctx;
    const struct ob *o = r->ob;
    int sent = already_sent(c, "reminder", o->id, "", e);
    if (sent != 0) {
        r->made = -1;
        return sent < 0 ? -1 : 0;
    }
    char due[16], subject[LANG_N][TITLE_MAX * 2 + 100];
    struct buf b[LANG_N];
    local_date_of(n->cal, o->due, due);
    for (int l = 0; l < LANG_N; l++) {
        char title[TITLE_MAX * 2];
        subject_title(n, c, o->subject, l, title, sizeof title);
        snprintf(subject[l], sizeof subject[l], i18n_tr(l, TR("Deadline approaching: %s")), title);
        buf_init(&b[l], 0);
        buf_printf(&b[l], "%s\n", i18n_tr(l, TR("The deadline is two working days away or less")));
        policy_label(n, o->policy, l, &b[l]);
        buf_printf(&b[l], "\n%s\n", title);
        buf_printf(&b[l], i18n_tr(l, TR("Due: %s (by the end of the working day, Asia/Almaty)")),
                   due);
        buf_putc(&b[l], '\n');
    }
    struct acct_texts t = {{subject[0], subject[1], subject[2]}, {b[0].p, b[1].p, b[2].p}};
    int rc =
        o->has_role
            ? accounts_notify(n->ac, c, NULL, o->role, "reminder", &t, o->id, &r->made, e)
            : accounts_notify(n->ac, c, o->org, EDITOR_ROLE, "reminder", &t, o->id, &r->made, e);
    for (int l = 0; l < LANG_N; l++)
        buf_free(&b[l]);
    if (rc == 0)
        rc = mark_sent(c, "reminder", o->id, "", r->made, e);
    return rc;
}

static int reminders(struct notify *n, int64_t now_ms, struct notify_scan_stats *st, struct err *e)
{
    int64_t bound_ms;
    if (calsvc_add_working_days(n->cal, now_ms, REMINDER_WORKING_DAYS, &bound_ms, e) < 0)
        return -1;
    char now[32], bound[32];
    time_format_rfc3339(now_ms, now, sizeof now);
    time_format_rfc3339(bound_ms, bound, sizeof bound);
    struct store_stmt *st_q = store_prepare(
        store_conn(registry_store(n->reg)),
        "SELECT o.id, o.policy, o.subject, o.debtor_org, o.debtor_role, o.started_at, o.due_at "
        "FROM obligations o WHERE o.done_at IS NULL AND o.due_at > $1 AND o.due_at <= $2 "
        "AND NOT EXISTS (SELECT 1 FROM notify_sent s WHERE s.kind = 'reminder' "
        "AND s.ref = o.id AND s.day = '') ORDER BY o.due_at, o.id",
        true, e);
    if (!st_q)
        return -1;
    store_bind_text(st_q, 1, now);
    store_bind_text(st_q, 2, bound);
    struct ob *obs;
    size_t k;
    if (read_obs(st_q, &obs, &k, REMINDERS_MAX, e) < 0)
        return -1;
    int64_t today = calsvc_local_day(n->cal, now_ms);
    int rc = 0;
    for (size_t i = 0; i < k; i++) {
        int64_t started = 0;
        time_parse_rfc3339(obs[i].started, &started);
        if (calsvc_local_day(n->cal, started) >= today)
            continue; /* opened today: the message that opened it told */
        struct reminder r = {&obs[i], 0};
        struct err ie = ERR_INIT;
        if (in_write(n, remind_fn, &r, &ie) < 0) {
            /* the others still go; the first failure is reported */
            if (rc == 0)
                *e = ie;
            rc = -1;
        } else if (r.made >= 0) {
            st->reminders++;
            st->messages += r.made;
        }
    }
    free(obs);
    return rc;
}

/* ---- digests ------------------------------------------------------------------------ */

struct digest {
    const char *org; /* NULL: the integrator's, of everything */
    const char *day;
    const struct ob *obs;
    size_t n;
    int made;
};

static int digest_fn(struct notify *n, struct store_conn *c, void *vctx, struct err *e)
{
    struct digest *d = vctx;
    const char *ref = d->org ? d->org : "*";
    int sent = already_sent(c, "digest", ref, d->day, e);
    if (sent != 0) {
        d->made = -1;
        return sent < 0 ? -1 : 0;
    }
    char subject[LANG_N][200];
    struct buf b[LANG_N];
    for (int l = 0; l < LANG_N; l++) {
        snprintf(subject[l], sizeof subject[l], i18n_tr(l, TR("Missed deadlines: %s (%zu)")),
                 d->day, d->n);
        buf_init(&b[l], 0);
        buf_printf(&b[l], i18n_tr(l, TR("Missed deadlines — %s")), d->day);
        buf_printf(&b[l], "\n%s: %zu\n\n", i18n_tr(l, TR("In all")), d->n);
        for (size_t i = 0; i < d->n && i < DIGEST_ITEMS_MAX; i++) {
            const struct ob *o = &d->obs[i];
            char title[TITLE_MAX * 2], due[16];
            subject_title(n, c, o->subject, l, title, sizeof title);
            local_date_of(n->cal, o->due, due);
            buf_printf(&b[l], "- %s\n  ", title);
            policy_label(n, o->policy, l, &b[l]);
            buf_printf(&b[l], "; %s %s", i18n_tr(l, TR("due")), due);
            if (!d->org) {
                /* who owes it: the organisation's name, or the role's label */
                char org[TITLE_MAX + 64] = "";
                if (o->has_org)
                    record_title(n, c, o->org, l, org, sizeof org);
                buf_printf(&b[l], "; %s",
                           o->has_role
                               ? rights_role_label_in(accounts_rights(n->ac), o->role, i18n_code(l))
                           : org[0] ? org
                                    : o->org);
            }
            buf_putc(&b[l], '\n');
        }
        if (d->n > DIGEST_ITEMS_MAX) {
            buf_printf(&b[l], i18n_tr(l, TR("… and %zu more")), d->n - DIGEST_ITEMS_MAX);
            buf_putc(&b[l], '\n');
        }
    }
    struct acct_texts t = {{subject[0], subject[1], subject[2]}, {b[0].p, b[1].p, b[2].p}};
    int rc = accounts_notify(n->ac, c, d->org, d->org ? EDITOR_ROLE : INTEGRATOR_ROLE, "digest", &t,
                             NULL, &d->made, e);
    for (int l = 0; l < LANG_N; l++)
        buf_free(&b[l]);
    if (rc == 0)
        rc = mark_sent(c, "digest", ref, d->day, d->made, e);
    return rc;
}

static int send_digest(struct notify *n, struct digest *d, struct notify_scan_stats *st, int *rc,
                       struct err *e)
{
    struct err ie = ERR_INIT;
    if (in_write(n, digest_fn, d, &ie) < 0) {
        if (*rc == 0)
            *e = ie;
        *rc = -1;
    } else if (d->made >= 0) {
        st->digests++;
        st->messages += d->made;
    }
    return *rc;
}

static int digests(struct notify *n, int64_t now_ms, struct notify_scan_stats *st, struct err *e)
{
    if (calsvc_local_minute(n->cal, now_ms) < DIGEST_FROM_MINUTE)
        return 0;
    char now[32], day[16];
    time_format_rfc3339(now_ms, now, sizeof now);
    calsvc_local_date(n->cal, now_ms, day);
    /* organisations' own obligations first, grouped, then those of roles */
    struct store_stmt *st_q = store_prepare(
        store_conn(registry_store(n->reg)),
        "SELECT o.id, o.policy, o.subject, o.debtor_org, o.debtor_role, o.started_at, o.due_at "
        "FROM obligations o WHERE o.done_at IS NULL AND o.due_at < $1 "
        "ORDER BY o.debtor_role IS NOT NULL, o.debtor_org, o.due_at, o.id",
        true, e);
    if (!st_q)
        return -1;
    store_bind_text(st_q, 1, now);
    struct ob *obs;
    size_t k;
    if (read_obs(st_q, &obs, &k, OVERDUE_MAX, e) < 0)
        return -1;
    int rc = 0;
    for (size_t i = 0; i < k;) {
        size_t j = i;
        while (j < k && obs[j].has_org && !obs[j].has_role && strcmp(obs[j].org, obs[i].org) == 0)
            j++;
        if (j == i)
            break; /* the rest are owed by roles */
        struct digest d = {obs[i].org, day, &obs[i], j - i, 0};
        send_digest(n, &d, st, &rc, e);
        i = j;
    }
    if (k > 0) {
        struct digest all = {NULL, day, obs, k, 0};
        send_digest(n, &all, st, &rc, e);
    }
    free(obs);
    return rc;
}

int notify_scan(struct notify *n, int64_t now_ms, struct notify_scan_stats *st, struct err *e)
{
    *st = (struct notify_scan_stats){0};
    struct err de = ERR_INIT;
    int rc = reminders(n, now_ms, st, e);
    int drc = digests(n, now_ms, st, &de);
    if (rc == 0 && drc < 0)
        *e = de;
    /* the day's figures of the model's rules, once a day from 20:00 local
     * (their trend; judging every record is a job for the evening) */
    char day[11];
    calsvc_local_date(n->cal, now_ms, day);
    struct err fe = ERR_INIT;
    int frc = calsvc_local_minute(n->cal, now_ms) < FIGURES_FROM_MINUTE
                  ? 0
                  : registry_rules_record(n->reg, calsvc_local_day_cb, n->cal, day,
                                          &st->rule_figures, &fe);
    if (rc == 0 && drc == 0 && frc < 0)
        *e = fe;
    return rc < 0 || drc < 0 || frc < 0 ? -1 : 0;
}
