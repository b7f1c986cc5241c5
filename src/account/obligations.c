/* account/obligations: who owes what, about which record, since when, due
 * when (in working days, with the policy value in force when the clock
 * started: REQ X-POL-01), done when. */
#include "account/internal.h"

#include "util/text.h"
#include "util/timeutil.h"

#include <stdio.h>
#include <string.h>

int obligation_open(struct accounts *ac, struct store_conn *c, const char *policy,
                    const char *subject, const char *debtor_org, const char *debtor_role,
                    int64_t start_ms, char id[37], char due[32], struct err *e)
{
    const struct model_policy *p = model_policy(ac->model, policy);
    if (!p) {
        err_internal(e, "the model has no policy '%s'", policy);
        return -1;
    }
    const struct model_policy_value *v =
        model_policy_in_force(p, calsvc_local_day(ac->cal, start_ms));
    if (!v) {
        err_internal(e, "policy '%s' has no value in force at the start", policy);
        return -1;
    }
    int64_t due_ms;
    if (calsvc_add_working_days(ac->cal, start_ms, v->value, &due_ms, e) < 0)
        return -1;
    char started[32];
    time_format_rfc3339(start_ms, started, 32);
    time_format_rfc3339(due_ms, due, 32);
    text_uuid7(id);
    if (store_execf(c,
                    "INSERT INTO obligations(id, policy, policy_value, subject, debtor_org, "
                    "debtor_role, started_at, due_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    e, "ttittttt", id, policy, (int64_t)v->value, subject, debtor_org,
                    debtor_role, started, due) < 0)
        return -1;
    json_t *after = json_pack("{s:s, s:i, s:s, s:s?, s:s?, s:s, s:s}", "policy", policy,
                              "policy_value", v->value, "subject", subject, "debtor_org",
                              debtor_org, "debtor_role", debtor_role, "started_at", started,
                              "due_at", due);
    struct actor sys = {.id = "system", .system = true};
    int rc = acct_audit(c, started, &sys, "obligation-open", "obligations", id, NULL, after, e);
    json_decref(after);
    return rc;
}

int obligation_close(struct store_conn *c, const char *subject, const char *policy,
                     const char *outcome, const char *now, struct err *e)
{
    return store_execf(c,
                       "UPDATE obligations SET done_at = $3, outcome = $4 "
                       "WHERE subject = $1 AND ($2 IS NULL OR policy = $2) AND done_at IS NULL",
                       e, "tttt", subject, policy, now, outcome);
}

bool obligation_overdue(const char *due, const char *done, const char *now)
{
    /* canonical RFC 3339 instants (UTC, ms) compare as text */
    return strcmp(done ? done : now, due) > 0;
}

/* How many working days late an overdue obligation is (was, when done):
 * those after its due day up to the day it was done, or today. -1 when
 * the calendar does not cover them. */
static int64_t days_late(struct accounts *ac, const char *due, const char *done,
                         const char *now)
{
    int64_t due_ms, end_ms, n;
    struct err e = ERR_INIT;
    if (time_parse_rfc3339(due, &due_ms) < 0 || time_parse_rfc3339(done ? done : now, &end_ms) < 0 ||
        calsvc_working_days_between(ac->cal, due_ms, end_ms, &n, &e) < 0)
        return -1;
    return n;
}

static json_t *obligation_row(struct accounts *ac, struct store_stmt *st, const char *now)
{
    const char *due = store_col_text(st, 7), *done = store_col_text(st, 8);
    bool overdue = obligation_overdue(due, done, now);
    json_t *o = json_pack("{s:s, s:s, s:I, s:s, s:s?, s:s?, s:s, s:s, s:s?, s:s?, s:s, s:b}",
                          "id", store_col_text(st, 0), "policy", store_col_text(st, 1),
                          "policy_value", (json_int_t)store_col_int64(st, 2), "subject",
                          store_col_text(st, 3), "debtor_org", store_col_text(st, 4),
                          "debtor_role", store_col_text(st, 5), "started_at",
                          store_col_text(st, 6), "due_at", due, "done_at", done, "outcome",
                          store_col_text(st, 9), "state", done ? "done" : "open", "overdue",
                          overdue);
    int64_t late = overdue ? days_late(ac, due, done, now) : -1;
    if (late >= 0)
        json_object_set_new(o, "days_late", json_integer(late));
    return o;
}

/* Appends the rows of st (obligation columns in obligation_row's order). */
static int collect_rows(struct accounts *ac, struct store_stmt *st, const char *now,
                        json_t *items, struct err *e)
{
    int rc;
    while ((rc = store_step(st, e)) == STORE_ROW)
        json_array_append_new(items, obligation_row(ac, st, now));
    store_reset(st);
    return rc == STORE_ERROR ? -1 : 0;
}

int obligations_about(struct accounts *ac, const char *subject, json_t **items, struct err *e)
{
    *items = NULL;
    char now[32];
    acct_now(now);
    struct store_stmt *st = store_prepare(
        store_conn(ac->store),
        "SELECT id, policy, policy_value, subject, debtor_org, debtor_role, started_at, due_at, "
        "done_at, outcome FROM obligations WHERE subject = $1 ORDER BY started_at, id",
        true, e);
    if (!st)
        return -1;
    store_bind_text(st, 1, subject);
    json_t *a = json_array();
    if (collect_rows(ac, st, now, a, e) < 0) {
        json_decref(a);
        return -1;
    }
    *items = a;
    return 0;
}

void obligation_subject(const char *collection, const char *id, char *out, size_t n)
{
    snprintf(out, n, "%s/%s", collection, id);
}

int obligation_list(struct accounts *ac, const struct actor *by, const char *org,
                    const char *role, const char *state, json_t **out, struct err *e)
{
    bool any = false;
    if (authz_system(ac->rights, by, RA_OBLIGATIONS, &any, e) < 0)
        return -1;
    if (!any) {
        if (org && strcmp(org, by->org) != 0) {
            err_set(e, 403, "forbidden", "org", "you may read your own organization's deadlines only");
            return -1;
        }
        org = by->org;
    }
    if (!state)
        state = "open";
    if (strcmp(state, "open") && strcmp(state, "done") && strcmp(state, "overdue") &&
        strcmp(state, "all")) {
        err_bad_request(e, "state", "'state' is open, done, overdue or all");
        return -1;
    }
    char now[32];
    acct_now(now);
    struct store_stmt *st = store_prepare(
        store_conn(ac->store),
        "SELECT id, policy, policy_value, subject, debtor_org, debtor_role, started_at, due_at, "
        "done_at, outcome FROM obligations "
        "WHERE ($1 IS NULL OR debtor_org = $1) AND ($2 IS NULL OR debtor_role = $2) "
        "AND ($3 = 'all' OR ($3 = 'open' AND done_at IS NULL) "
        "  OR ($3 = 'done' AND done_at IS NOT NULL) "
        "  OR ($3 = 'overdue' AND ((done_at IS NULL AND due_at < $4) OR done_at > due_at))) "
        "ORDER BY due_at, id LIMIT 1000",
        true, e);
    if (!st)
        return -1;
    if (org)
        store_bind_text(st, 1, org);
    else
        store_bind_null(st, 1);
    if (role)
        store_bind_text(st, 2, role);
    else
        store_bind_null(st, 2);
    store_bind_text(st, 3, state);
    store_bind_text(st, 4, now);
    json_t *items = json_array();
    if (collect_rows(ac, st, now, items, e) < 0) {
        json_decref(items);
        return -1;
    }
    *out = json_pack("{s:o}", "items", items);
    return 0;
}
