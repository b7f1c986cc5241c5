/* workflow: registration steps, the review of changes, codes, timelines
 * and the verifier's queue. */
#include "workflow/workflow.h"

#include "auth/authz.h"
#include "calendar/calsvc.h"
#include "registry/dump.h"
#include "util/buf.h"
#include "util/jsonx.h"
#include "util/text.h"
#include "util/timeutil.h"
#include "web/i18n.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REMARKS_MAX 100
#define REMARK_TEXT_MAX 4000
#define CODE_TRIES 1000
#define QUEUE_MAX 1000
#define QUEUE_POLICIES 4

struct workflow {
    struct registry *reg;
    struct accounts *ac;
    struct calsvc *cal;
    const struct model *model;
    const struct rights *rights;
    struct dump_part part;
    /* the policies whose obligations a verifier's decision closes */
    const char *queue_policies[QUEUE_POLICIES];
    size_t n_queue_policies;
    workflow_gaps_fn gaps_fn; /* what a record lacks (workflow_set_gaps) */
    void *gaps_ctx;
};

static const struct model_kind *kind_of(const struct workflow *w, const json_t *rec)
{
    const char *kind = json_string_value(json_object_get(rec, "kind"));
    return kind ? model_kind(w->model, kind) : NULL;
}

static const char *owner_of(const json_t *rec)
{
    const char *o = json_string_value(json_object_get(rec, "owner"));
    return o ? o : "";
}

static const char *text_of(const json_t *rec, const char *field)
{
    return field ? json_string_value(json_object_get(rec, field)) : NULL;
}

static enum rights_action action_of(enum wf_trigger t)
{
    return t == WF_SUBMIT ? RA_SUBMIT : t == WF_UPDATE ? RA_UPDATE : RA_VERIFY;
}

/* ---- accounting codes --------------------------------------------------------- */

static int local_year(struct workflow *w, int64_t ms)
{
    int y, m, d;
    time_civil_from_days(calsvc_local_day(w->cal, ms), &y, &m, &d);
    return y;
}

static void format_code(const char *pattern, const char *prefix, int year, int64_t seq,
                        char *out, size_t n)
{
    struct buf b;
    buf_init(&b, 0);
    for (const char *p = pattern; *p; p++) {
        if (strncmp(p, "{prefix}", 8) == 0) {
            buf_puts(&b, prefix);
            p += 7;
        } else if (strncmp(p, "{year}", 6) == 0) {
            buf_printf(&b, "%04d", year);
            p += 5;
        } else if (strncmp(p, "{seq:", 5) == 0) {
            buf_printf(&b, "%0*" PRId64, p[5] - '0', seq);
            p += 6;
        } else {
            buf_putc(&b, *p);
        }
    }
    char *s = buf_steal(&b, NULL);
    snprintf(out, n, "%s", s);
    free(s);
}

static int64_t counter_next(struct store_conn *c, const char *prefix, int year, struct err *e)
{
    struct store_stmt *st = store_prepare(
        c, "SELECT next FROM code_counters WHERE prefix = $1 AND year = $2", true, e);
    if (!st)
        return -1;
    store_bind_text(st, 1, prefix);
    store_bind_int64(st, 2, year);
    int rc = store_step(st, e);
    int64_t seq = rc == STORE_ROW ? store_col_int64(st, 0) : 1;
    store_reset(st);
    if (rc == STORE_ERROR)
        return -1;
    if (store_execf(c,
                    "INSERT INTO code_counters(prefix, year, next) VALUES ($1, $2, $3) "
                    "ON CONFLICT(prefix, year) DO UPDATE SET next = excluded.next",
                    e, "tii", prefix, (int64_t)year, seq + 1) < 0)
        return -1;
    return seq;
}

static int code_taken(struct store_conn *c, const char *code, struct err *e)
{
    struct store_stmt *st =
        store_prepare(c, "SELECT 1 FROM accounting_codes WHERE code = $1", true, e);
    if (!st)
        return -1;
    store_bind_text(st, 1, code);
    int rc = store_step(st, e);
    store_reset(st);
    return rc == STORE_ERROR ? -1 : rc == STORE_ROW;
}

/* The next code of the kind's sequence, recorded for the record. Inside
 * the write transaction: two decisions never draw the same number, and a
 * number once drawn is never drawn again. */
static int assign_code(struct workflow *w, struct store_conn *c, const struct model_kind *k,
                       const char *record_id, const struct actor *a, int64_t now_ms,
                       const char *now, char *code, size_t n, struct err *e)
{
    const char *pattern = k->workflow->code_pattern;
    const char *prefix = strstr(pattern, "{prefix}") ? k->code_prefix : "";
    int year = strstr(pattern, "{year}") ? local_year(w, now_ms) : 0;
    for (int i = 0; i < CODE_TRIES; i++) {
        int64_t seq = counter_next(c, prefix, year, e);
        if (seq < 0)
            return -1;
        format_code(pattern, prefix, year, seq, code, n);
        int taken = code_taken(c, code, e);
        if (taken < 0)
            return -1;
        if (!taken)
            return store_execf(c,
                               "INSERT INTO accounting_codes(code, record_id, kind, assigned_at, "
                               "assigned_by) VALUES ($1, $2, $3, $4, $5)",
                               e, "ttttt", code, record_id, k->id, now, a->id);
    }
    err_internal(e, "no free accounting code after %d tries", CODE_TRIES);
    return -1;
}

/* ---- what a record lacks ------------------------------------------------------------ */

/* rec's gaps (see workflow_gaps_fn); with fields_only, its fields alone
 * (the demo's records carried over from an earlier registry). */
static int record_gaps(struct workflow *w, const struct model_kind *k, const json_t *rec,
                       bool fields_only, json_t **gaps, struct err *e)
{
    if (w->gaps_fn && !fields_only)
        return w->gaps_fn(w->gaps_ctx, rec, gaps, e);
    int64_t day = calsvc_local_day(w->cal, model_judging_ms(k, rec, time_now_ms()));
    char on[16];
    json_t *rules = fields_only
                        ? json_array()
                        : model_rule_gaps(w->model, rec, false, day, registry_count_rule, w->reg);
    if (!rules) {
        err_internal(e, "cannot count the relations of a record");
        return -1;
    }
    *gaps = json_pack("{s:o, s:[], s:[], s:o, s:s}", "fields", model_gaps(k, rec, day),
                      "documents", "relations", "rules", rules, "judged_on",
                      time_format_date(day, on, sizeof on));
    return 0;
}

static size_t gaps_of(const json_t *gaps, const char *what)
{
    return json_array_size(json_object_get(gaps, what));
}

/* Refuses a step whose record has gaps: 422 "incomplete" saying how many
 * of each. */
static int refuse_gaps(const json_t *gaps, struct err *e)
{
    size_t f = gaps_of(gaps, "fields"), d = gaps_of(gaps, "documents"),
           r = gaps_of(gaps, "relations"), ru = gaps_of(gaps, "rules");
    if (f + d + r + ru == 0)
        return 0;
    char what[4][96];
    int n = 0;
    if (f)
        snprintf(what[n++], sizeof what[0], "%zu needed field%s empty", f,
                 f == 1 ? " is" : "s are");
    if (d)
        snprintf(what[n++], sizeof what[0], "%zu document%s due at its stage %s no signed copy",
                 d, d == 1 ? "" : "s", d == 1 ? "has" : "have");
    if (r)
        snprintf(what[n++], sizeof what[0], "%zu required relation%s missing", r,
                 r == 1 ? " is" : "s are");
    if (ru)
        snprintf(what[n++], sizeof what[0], "%zu rule%s of the Rules %s broken", ru,
                 ru == 1 ? "" : "s", ru == 1 ? "is" : "are");
    err_set(e, 422, "incomplete", "gaps", "the record is not complete: %s%s%s%s%s%s%s (see gaps)",
            what[0], n > 1 ? ", " : "", n > 1 ? what[1] : "", n > 2 ? ", " : "",
            n > 2 ? what[2] : "", n > 3 ? ", " : "", n > 3 ? what[3] : "");
    return -1;
}

/* ---- effects of a step ------------------------------------------------------------ */

struct step {
    struct workflow *w;
    const struct actor *a;
    const char *collection;
    enum wf_trigger trigger;
    const json_t *remarks; /* a return's */
    bool fields_only;      /* completeness is its fields' (records carried over) */
    json_t *gaps;          /* set when refused as incomplete */
    const struct model_wf_transition *done;
};

static int record_event(struct store_conn *c, const json_t *cur, const json_t *next,
                        const struct model_kind *k, const struct actor *a,
                        const char *transition, const json_t *remarks, const char *now,
                        struct err *e)
{
    const struct model_workflow *wf = k->workflow;
    char *rtext = remarks ? json_dumps(remarks, JSON_COMPACT) : NULL;
    int rc = store_execf(
        c,
        "INSERT INTO workflow_events(record_id, revision, at, actor, transition, from_status, "
        "to_status, review, remarks, code) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        e, "titttttttt", text_of(cur, "id"),
        (int64_t)json_integer_value(json_object_get(cur, "revision")) + 1, now, a->id,
        transition, text_of(cur, wf->status_field), text_of(next, wf->status_field),
        text_of(next, wf->review_field), rtext, text_of(next, wf->code_field));
    free(rtext);
    return rc;
}

/* A label of the model in language l (its English, then any, if l's is
 * missing). */
static const char *label_in(struct i18n label, enum lang l)
{
    const char *s = l == LANG_KK ? label.kk : l == LANG_RU ? label.ru : label.en;
    return s && *s ? s : label.en && *label.en ? label.en : label.ru ? label.ru : "";
}

/* The remarks, each under its field's label (never the field's id). */
static void remarks_text(const struct model_kind *k, const json_t *remarks, enum lang l,
                         struct buf *out)
{
    size_t i;
    const json_t *r;
    json_array_foreach(remarks, i, r)
    {
        const char *field = json_string_value(json_object_get(r, "field"));
        const struct model_field *f = field ? model_field(k, field) : NULL;
        const char *label = f       ? label_in(f->label, l)
                            : field ? field
                                    : json_string_value(json_object_get(r, "element"));
        buf_printf(out, "- %s%s%s\n", label ? label : "", label ? ": " : "",
                   json_string_value(json_object_get(r, "text")));
    }
}

/* Tells the owner's editors about a decision: in their inbox and by e-mail. */
static int notify_owner(struct workflow *w, struct store_conn *c, const struct model_kind *k,
                        const json_t *next, const struct model_wf_transition *t,
                        const json_t *remarks, struct err *e)
{
    if (t->trigger != WF_ACCEPT && t->trigger != WF_RETURN)
        return 0;
    const char *code = text_of(next, k->workflow->code_field);
    struct buf b[LANG_N];
    char subject[LANG_N][400];
    for (int l = 0; l < LANG_N; l++) {
        const char *title = registry_name_in(next, i18n_code(l));
        buf_init(&b[l], 0);
        buf_printf(&b[l], "%s\n«%s» (%s)\n", label_in(t->label, l), title ? title : "",
                   text_of(next, "id"));
        if (code && t->assign_code)
            buf_printf(&b[l], "%s: %s\n", i18n_tr(l, TR("Accounting code")), code);
        if (remarks) {
            buf_printf(&b[l], "%s:\n", i18n_tr(l, TR("Remarks")));
            remarks_text(k, remarks, l, &b[l]);
        }
        char one[160];
        text_one_line(title ? title : text_of(next, "id"), one, sizeof one);
        if (t->trigger == WF_RETURN)
            snprintf(subject[l], sizeof subject[l], i18n_tr(l, TR("Returned with remarks: «%s»")),
                     one);
        else if (code && t->assign_code)
            snprintf(subject[l], sizeof subject[l], i18n_tr(l, TR("Registered: «%s» %s")), one,
                     code);
        else if (t->n_review_from && !t->review)
            snprintf(subject[l], sizeof subject[l], i18n_tr(l, TR("Changes accepted: «%s»")), one);
        else /* a step of a longer path (an agreement): the step's own name */
            snprintf(subject[l], sizeof subject[l], "%s: «%s»", label_in(t->label, l), one);
    }
    struct acct_texts tx = {{subject[0], subject[1], subject[2]}, {b[0].p, b[1].p, b[2].p}};
    int rc = accounts_notify(w->ac, c, owner_of(next), "owner-editor",
                             t->trigger == WF_ACCEPT ? "record-accepted" : "record-returned", &tx,
                             text_of(next, "id"), NULL, e);
    for (int l = 0; l < LANG_N; l++)
        buf_free(&b[l]);
    return rc;
}

/* Applies transition t to next (status, review, code) and does what it
 * entails: obligations closed and opened, the event, the messages. */
static int take(struct workflow *w, struct store_conn *c, const struct actor *a,
                const char *collection, const struct model_kind *k,
                const struct model_wf_transition *t, const json_t *cur, json_t *next,
                const json_t *remarks, struct err *e)
{
    const struct model_workflow *wf = k->workflow;
    int64_t now_ms = time_now_ms();
    char now[32], subject[200];
    time_format_rfc3339(now_ms, now, sizeof now);
    const char *id = text_of(cur, "id");
    obligation_subject(collection, id, subject, sizeof subject);
    json_object_set_new(next, wf->status_field, json_string(t->to->id));
    if (wf->review_field) {
        if (t->review)
            json_object_set_new(next, wf->review_field, json_string(t->review));
        else
            json_object_del(next, wf->review_field);
    }
    if (t->stamp) {
        char day[16];
        json_object_set_new(
            next, t->stamp,
            json_string(time_format_date(calsvc_local_day(w->cal, now_ms), day, sizeof day)));
    }
    if (t->assign_code) {
        char code[128];
        if (assign_code(w, c, k, id, a, now_ms, now, code, sizeof code, e) < 0)
            return -1;
        json_object_set_new(next, wf->code_field, json_string(code));
    }
    for (size_t i = 0; i < t->n_closes; i++)
        if (obligation_close(c, subject, t->closes[i]->id, t->id, now, e) < 0)
            return -1;
    for (size_t i = 0; i < t->n_opens; i++) {
        const struct model_wf_duty *d = &t->opens[i];
        char oid[37], due[32];
        if (obligation_open(w->ac, c, d->policy->id, subject,
                            d->debtor_role ? NULL : owner_of(cur), d->debtor_role, now_ms, oid,
                            due, e) < 0)
            return -1;
    }
    if (record_event(c, cur, next, k, a, t->id, remarks, now, e) < 0)
        return -1;
    return notify_owner(w, c, k, next, t, remarks, e);
}

static int step_fn(void *ctx, struct store_conn *c, const json_t *cur, json_t *next,
                   struct err *e)
{
    struct step *s = ctx;
    struct workflow *w = s->w;
    const struct model_kind *k = kind_of(w, cur);
    if (!k || !k->workflow) {
        err_set(e, 409, "no-workflow", "", "records of this kind have no registration workflow");
        return -1;
    }
    const struct model_workflow *wf = k->workflow;
    const char *status = text_of(cur, wf->status_field);
    if (authz_check(w->rights, s->a, action_of(s->trigger), k->id, owner_of(cur), e) < 0)
        return -1;
    const struct model_wf_transition *t =
        model_wf_find(wf, s->trigger, status, text_of(cur, wf->review_field));
    if (!t) {
        const struct model_wf_state *st = model_wf_state(wf, status);
        err_set(e, 409, "wrong-state", wf->status_field, "a record that is %s cannot be %s",
                st ? st->label.en : "in an unknown state",
                s->trigger == WF_SUBMIT ? "submitted" : "verified now");
        return -1;
    }
    if (authz_check_take(w->rights, s->a, action_of(s->trigger), k->id, owner_of(cur), t->by,
                         t->n_by, e) < 0)
        return -1;
    if (t->complete) {
        json_t *gaps;
        if (record_gaps(w, k, cur, s->fields_only, &gaps, e) < 0)
            return -1;
        if (refuse_gaps(gaps, e) < 0) {
            s->gaps = gaps;
            return -1;
        }
        json_decref(gaps);
    }
    if (t->remarks && json_array_size(s->remarks) == 0) {
        err_set(e, 422, "required", "remarks", "a return needs remarks");
        return -1;
    }
    s->done = t;
    return take(w, c, s->a, s->collection, k, t, cur, next, t->remarks ? s->remarks : NULL, e);
}

/* Who may take the step, checked first: a record the actor may not read is
 * one that does not exist (404), and one it may read but not step on is
 * refused (403) before its revision or state could say more. The step
 * checks the right again inside its write. */
static int may_step(struct workflow *w, struct step *s, const char *id, struct err *e)
{
    json_t *rec = NULL;
    if (registry_get_visible(w->reg, s->a, s->collection, id, &rec, e) < 0)
        return -1;
    const struct model_kind *k = kind_of(w, rec);
    int rc = k && k->workflow
                 ? authz_check(w->rights, s->a, action_of(s->trigger), k->id, owner_of(rec), e)
                 : 0;
    json_decref(rec);
    return rc;
}

static int run_step(struct workflow *w, struct step *s, const char *id, int64_t if_match,
                    json_t **out, struct err *e)
{
    *out = NULL;
    if (!model_collection(w->model, s->collection)) {
        err_not_found(e, "no collection '%.60s'", s->collection);
        return -1;
    }
    if (may_step(w, s, id, e) < 0)
        return -1;
    struct store_conn *c = registry_write_enter(w->reg, e);
    if (!c)
        return -1;
    int rc = registry_transition(w->reg, c, s->a, s->collection, id, if_match,
                                 s->trigger == WF_SUBMIT ? "submit" : "verify", step_fn, s, out,
                                 e);
    if (registry_write_leave(w->reg, c, rc, e) < 0) {
        json_decref(*out);
        *out = NULL;
        return -1;
    }
    return 0;
}

int workflow_submit(struct workflow *w, const struct actor *a, const char *collection,
                    const char *id, int64_t if_match, json_t **out, json_t **gaps,
                    struct err *e)
{
    struct step s = {.w = w, .a = a, .collection = collection, .trigger = WF_SUBMIT};
    int rc = run_step(w, &s, id, if_match, out, e);
    *gaps = s.gaps;
    return rc;
}

/* {"decision":"accept"|"return","remarks":[{"field"?, "text"}]}: checked
 * against the record's kind once it is loaded (the field names). */
static int parse_decision(const json_t *body, enum wf_trigger *trigger, const json_t **remarks,
                          struct err *e)
{
    static const char *const keys[] = {"decision", "remarks", NULL};
    if (jsonx_known_keys(body, keys, "'%.60s' is not part of a decision", e) < 0)
        return -1;
    const char *d = json_string_value(json_object_get(body, "decision"));
    if (!d || (strcmp(d, "accept") != 0 && strcmp(d, "return") != 0)) {
        err_set(e, 422, "bad-enum", "decision", "'decision' is \"accept\" or \"return\"");
        return -1;
    }
    *trigger = strcmp(d, "accept") == 0 ? WF_ACCEPT : WF_RETURN;
    *remarks = json_object_get(body, "remarks");
    if (*trigger == WF_ACCEPT && *remarks) {
        err_set(e, 422, "unexpected", "remarks", "remarks go with a return, not an acceptance");
        return -1;
    }
    if (*trigger == WF_ACCEPT)
        return 0;
    if (!json_is_array(*remarks) || json_array_size(*remarks) == 0 ||
        json_array_size(*remarks) > REMARKS_MAX) {
        err_set(e, 422, "required", "remarks", "a return needs 1..%d remarks", REMARKS_MAX);
        return -1;
    }
    return 0;
}

/* Each remark: {"field"?: a field of the kind (or name, owner),
 * "element"?: for a version of the architecture (a snapshot kind), a
 * record the version holds, "text"}. */
static int check_remarks(struct workflow *w, const struct model_kind *k, const json_t *cur,
                         const json_t *remarks, struct err *e)
{
    size_t i;
    const json_t *r;
    json_array_foreach(remarks, i, r)
    {
        char path[64];
        snprintf(path, sizeof path, "remarks[%zu]", i);
        const char *key;
        json_t *v;
        if (!json_is_object(r)) {
            err_set(e, 422, "wrong-type", path, "a remark is {\"field\"?, \"text\"}");
            return -1;
        }
        json_object_foreach((json_t *)r, key, v)
        {
            if (strcmp(key, "field") != 0 && strcmp(key, "text") != 0 &&
                (strcmp(key, "element") != 0 || !k->snapshot)) {
                err_set(e, 422, "unknown-field", path, "'%.60s' is not part of a remark", key);
                return -1;
            }
        }
        const char *text = json_string_value(json_object_get(r, "text"));
        size_t n = text ? strlen(text) : 0;
        size_t blank = text ? strspn(text, " \t\r\n") : 0;
        if (!text || n == blank || n > REMARK_TEXT_MAX) {
            err_set(e, 422, "required", path, "%s.text must be 1..%d bytes of text", path,
                    REMARK_TEXT_MAX);
            return -1;
        }
        const json_t *f = json_object_get(r, "field");
        const char *field = json_string_value(f);
        if (f && (!field || (!model_field(k, field) && strcmp(field, "name") != 0 &&
                             strcmp(field, "owner") != 0))) {
            err_set(e, 422, "unknown-field", path, "%s.field is not a field of '%s'", path, k->id);
            return -1;
        }
        const json_t *el = json_object_get(r, "element");
        int has = el ? registry_snapshot_has(w->reg, cur, json_string_value(el)) : 1;
        if (has < 0) {
            err_internal(e, "cannot read the version's elements");
            return -1;
        }
        if (!has) {
            err_set(e, 422, "not-in-version", path, "%s.element is not an element of the version",
                    path);
            return -1;
        }
    }
    return 0;
}

static int verify_fn(void *ctx, struct store_conn *c, const json_t *cur, json_t *next,
                     struct err *e)
{
    struct step *s = ctx;
    const struct model_kind *k = kind_of(s->w, cur);
    if (k && s->remarks && check_remarks(s->w, k, cur, s->remarks, e) < 0)
        return -1;
    return step_fn(ctx, c, cur, next, e);
}

int workflow_verify(struct workflow *w, const struct actor *a, const char *collection,
                    const char *id, int64_t if_match, const json_t *body, json_t **out,
                    struct err *e)
{
    struct step s = {.w = w, .a = a, .collection = collection};
    *out = NULL;
    if (parse_decision(body, &s.trigger, &s.remarks, e) < 0)
        return -1;
    if (!model_collection(w->model, collection)) {
        err_not_found(e, "no collection '%.60s'", collection);
        return -1;
    }
    if (may_step(w, &s, id, e) < 0)
        return -1;
    struct store_conn *c = registry_write_enter(w->reg, e);
    if (!c)
        return -1;
    int rc = registry_transition(w->reg, c, a, collection, id, if_match,
                                 s.trigger == WF_ACCEPT ? "verify-accept" : "verify-return",
                                 verify_fn, &s, out, e);
    if (registry_write_leave(w->reg, c, rc, e) < 0) {
        json_decref(*out);
        *out = NULL;
        return -1;
    }
    return 0;
}

/* ---- edits and retirement (the registry's update hook) ---------------------------- */

static bool same_text(const char *x, const char *y)
{
    return x == y || (x && y && strcmp(x, y) == 0);
}

/* When the duty of rec's stage started (REQ REG-05): the day the record
 * says the stage began (the workflow's stage_dates), not the day someone
 * recorded it, so that a late report shows its delay; the moment of the
 * edit when the stage has no date, the date is in the future, or it is
 * not there. A start before the rules' first value (the policy's first
 * `from`) starts on that day. Noon UTC of a date is that date in every
 * offset within 12 hours. */
static int64_t stage_started_ms(const struct model_workflow *wf, const json_t *rec,
                                int64_t now_ms)
{
    const char *f = model_stage_date_field(wf, text_of(rec, wf->stage_field));
    const char *date = f ? text_of(rec, f) : NULL;
    int y, m, d;
    if (!date || time_parse_date(date, &y, &m, &d) < 0)
        return now_ms;
    int64_t day = time_days_from_civil(y, m, d);
    const struct model_policy *p = wf->stage_policy;
    if (p->n_values && day < p->values[0].from_day)
        day = p->values[0].from_day;
    int64_t ms = day * 86400000LL + 12 * 3600000LL;
    return ms < now_ms ? ms : now_ms;
}

/* What the stage's duty is waiting for: the needed fields and the documents
 * due at the stage (the relations are the integrator's check, not this
 * duty's). *owed: how many; -1 with e on failure. */
static int stage_owed(struct workflow *w, const struct model_kind *k, const json_t *rec,
                      size_t *owed, struct err *e)
{
    json_t *gaps;
    if (record_gaps(w, k, rec, false, &gaps, e) < 0)
        return -1;
    *owed = gaps_of(gaps, "fields") + gaps_of(gaps, "documents");
    json_decref(gaps);
    return 0;
}

/* The stage changed: what the owner owed for the old stage is superseded;
 * for the new one it owes its data and documents (REQ REG-05, REG-07),
 * from the day the stage began, unless they are all there already. */
static int stage_changed(struct workflow *w, struct store_conn *c, const struct model_kind *k,
                         const char *subject, const json_t *next, struct err *e)
{
    const struct model_policy *p = k->workflow->stage_policy;
    char now[32], id[37], due[32];
    int64_t now_ms = time_now_ms();
    time_format_rfc3339(now_ms, now, sizeof now);
    size_t owed;
    if (obligation_close(c, subject, p->id, "stage-changed", now, e) < 0 ||
        stage_owed(w, k, next, &owed, e) < 0)
        return -1;
    if (owed == 0)
        return 0;
    return obligation_open(w->ac, c, p->id, subject, text_of(next, "owner"), NULL,
                           stage_started_ms(k->workflow, next, now_ms), id, due, e);
}

/* The English label of a value of enum field `field` of k (its id when
 * unknown), for messages. */
static const char *value_label(const struct model_kind *k, const char *field, const char *id)
{
    const struct model_field *f = model_field(k, field);
    for (size_t i = 0; f && f->enumeration && id && i < f->enumeration->n_values; i++)
        if (strcmp(f->enumeration->values[i].id, id) == 0)
            return f->enumeration->values[i].label.en;
    return id ? id : "";
}

/* A registered record moves only along the workflow's stage_moves (REQ
 * LC-01: development only after commissioning, termination is final):
 * 422 "stage-move" otherwise. Drafts may still correct their stage. */
static bool stage_move_refused(const struct model_kind *k, const json_t *prev,
                               const json_t *next, struct err *e)
{
    const struct model_workflow *wf = k->workflow;
    const char *from = text_of(prev, wf->stage_field), *to = text_of(next, wf->stage_field);
    if (model_stage_move_allowed(wf, from, to))
        return false;
    err_set(e, 422, "stage-move", wf->stage_field,
            "a registered record cannot move from the stage '%s' to '%s'",
            value_label(k, wf->stage_field, from), value_label(k, wf->stage_field, to));
    return true;
}

/* An edit of a registered record that leaves nothing owed for its stage
 * ends the stage's duty ("data-complete"); placing the last document ends
 * it too, in the documents module ("documents-placed"). */
static int stage_settled(struct workflow *w, struct store_conn *c, const struct model_kind *k,
                         const char *subject, const json_t *next, struct err *e)
{
    size_t owed;
    if (stage_owed(w, k, next, &owed, e) < 0)
        return -1;
    if (owed > 0)
        return 0;
    char now[32];
    time_format_rfc3339(time_now_ms(), now, sizeof now);
    return obligation_close(c, subject, k->workflow->stage_policy->id, "data-complete", now, e);
}

static int on_write(void *ctx, struct store_conn *c, const struct actor *a, const json_t *prev,
                    json_t *next, struct err *e)
{
    struct workflow *w = ctx;
    const struct model_kind *k = kind_of(w, prev);
    if (!k || !k->workflow)
        return 0;
    char subject[200];
    obligation_subject(k->collection, text_of(prev, "id"), subject, sizeof subject);
    if (json_object_get(next, "retired_at")) {
        char now[32];
        time_format_rfc3339(time_now_ms(), now, sizeof now);
        if (obligation_close(c, subject, NULL, "retired", now, e) < 0)
            return -1;
        return record_event(c, prev, next, k, a, "retire", NULL, now, e);
    }
    const struct model_workflow *wf = k->workflow;
    /* a registered record's stage moved on (a draft's data are not on the
     * portal yet: nothing is owed for them) */
    const struct model_wf_state *st = model_wf_state(wf, text_of(prev, wf->status_field));
    if (wf->stage_field && st && st->coded && stage_move_refused(k, prev, next, e))
        return -1;
    if (wf->stage_field && st && st->coded &&
        (!same_text(text_of(prev, wf->stage_field), text_of(next, wf->stage_field))
             ? stage_changed(w, c, k, subject, next, e)
             : stage_settled(w, c, k, subject, next, e)) < 0)
        return -1;
    const struct model_wf_transition *t = model_wf_find(
        wf, WF_UPDATE, text_of(prev, wf->status_field), text_of(prev, wf->review_field));
    return t ? take(w, c, a, k->collection, k, t, prev, next, NULL, e) : 0;
}

/* ---- reading ------------------------------------------------------------------------ */

/* The events of record id from revision `since` on; `public`: their
 * actors as registry_public_actor shows them (to those who may not read
 * the record unpublished). */
static json_t *events_of(struct workflow *w, struct store_conn *c, const char *id, int64_t since,
                         bool public, struct err *e)
{
    struct store_stmt *st = store_prepare(
        c,
        "SELECT revision, at, actor, transition, from_status, to_status, review, remarks, code "
        "FROM workflow_events WHERE record_id = $1 ORDER BY id",
        true, e);
    if (!st)
        return NULL;
    store_bind_text(st, 1, id);
    json_t *items = json_array();
    int rc;
    while ((rc = store_step(st, e)) == STORE_ROW) {
        if (store_col_int64(st, 0) < since)
            continue;
        char actor[160];
        if (!public)
            snprintf(actor, sizeof actor, "%s", store_col_text(st, 2));
        else
            registry_public_actor(w->reg, store_col_text(st, 2), actor, sizeof actor);
        json_t *ev = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s}", "revision",
                               (json_int_t)store_col_int64(st, 0), "at", store_col_text(st, 1),
                               "actor", actor, "transition", store_col_text(st, 3), "from",
                               store_col_text(st, 4), "to", store_col_text(st, 5));
        if (!store_col_null(st, 6))
            json_object_set_new(ev, "review", json_string(store_col_text(st, 6)));
        if (!store_col_null(st, 7))
            json_object_set_new(ev, "remarks", json_loads(store_col_text(st, 7), 0, NULL));
        if (!store_col_null(st, 8))
            json_object_set_new(ev, "code", json_string(store_col_text(st, 8)));
        json_array_append_new(items, ev);
    }
    store_reset(st);
    if (rc == STORE_ERROR) {
        json_decref(items);
        return NULL;
    }
    return items;
}

/* Drops the obligations started before `at` (of the draft phase; NULL:
 * all). */
static void drop_before(json_t *obs, const char *at)
{
    for (size_t i = json_array_size(obs); i-- > 0;) {
        const char *started = text_of(json_array_get(obs, i), "started_at");
        if (!at || !started || strcmp(started, at) < 0)
            json_array_remove(obs, i);
    }
}

/* A user's organisation, shown to those who see organisations rather than
 * people (registry_public_actor). */
static int actor_org(void *ctx, const char *user_id, char *org, size_t n)
{
    struct workflow *w = ctx;
    struct actor sys = {.id = "system", .system = true};
    json_t *u = NULL;
    struct err e = ERR_INIT;
    if (user_get(w->ac, &sys, user_id, &u, &e) < 0)
        return -1;
    const char *o = text_of(u, "org");
    snprintf(org, n, "%s", o ? o : "");
    json_decref(u);
    return 0;
}

/* The triggers this actor may start on the record now. */
static json_t *possible(struct workflow *w, const struct actor *a, const struct model_kind *k,
                        const json_t *rec)
{
    json_t *can = json_array();
    const struct model_workflow *wf = k->workflow;
    static const enum wf_trigger triggers[] = {WF_SUBMIT, WF_ACCEPT, WF_RETURN};
    for (size_t i = 0; i < sizeof triggers / sizeof triggers[0]; i++) {
        const struct model_wf_transition *t = model_wf_find(
            wf, triggers[i], text_of(rec, wf->status_field), text_of(rec, wf->review_field));
        if (t && authz_may_take(w->rights, a, action_of(triggers[i]), k->id, owner_of(rec), t->by,
                                t->n_by))
            json_array_append_new(can, json_string(model_wf_trigger_name(triggers[i])));
    }
    return can;
}

int workflow_timeline(struct workflow *w, const struct actor *a, const char *collection,
                      const char *id, json_t **out, struct err *e)
{
    *out = NULL;
    json_t *rec = NULL;
    if (registry_get_visible(w->reg, a, collection, id, &rec, e) < 0)
        return -1;
    const struct model_kind *k = kind_of(w, rec);
    if (!k || !k->workflow) {
        json_decref(rec);
        err_not_found(e, "records of this kind have no registration workflow");
        return -1;
    }
    const struct model_workflow *wf = k->workflow;
    struct store_conn *c = store_conn(registry_store(w->reg));
    char subject[200];
    obligation_subject(collection, id, subject, sizeof subject);
    /* those who may not read it unpublished see it from its publication on */
    int64_t since = 1;
    char since_at[32] = "";
    bool public = !registry_may_read_unpublished(w->reg, a, rec);
    if (public && registry_public_since(w->reg, rec, &since, since_at, e) < 0) {
        json_decref(rec);
        return -1;
    }
    if (!since) /* never published: nothing of it */
        since = INT64_MAX;
    json_t *events = events_of(w, c, id, since, public, e), *obs = NULL, *gaps = NULL;
    if (events && obligations_about(w->ac, subject, &obs, e) == 0 && public)
        drop_before(obs, since == INT64_MAX ? NULL : since_at);
    if (obs && record_gaps(w, k, rec, false, &gaps, e) < 0) {
        json_decref(obs);
        obs = NULL;
    }
    if (gaps)
        registry_redact_gaps(w->reg, a, rec, gaps);
    if (!obs) {
        json_decref(events);
        json_decref(rec);
        return -1;
    }
    *out = json_pack("{s:s, s:s, s:s?, s:s?, s:s?, s:b, s:o, s:o, s:o, s:o}", "id", id,
                     "status", text_of(rec, wf->status_field), "review",
                     text_of(rec, wf->review_field), "accounting_code",
                     text_of(rec, wf->code_field), "workflow", wf->id, "published",
                     model_record_published(k, rec), "gaps", gaps, "events", events,
                     "obligations", obs, "can", possible(w, a, k, rec));
    json_decref(rec);
    return 0;
}

int workflow_queue(struct workflow *w, const struct actor *a, json_t **out, struct err *e)
{
    *out = NULL;
    bool verifier = false;
    for (size_t i = 0; i < model_n_kinds(w->model) && !verifier; i++) {
        const struct model_kind *k = model_kind_at(w->model, i);
        verifier = k->workflow && authz_may(w->rights, a, RA_VERIFY, k->id, NULL);
    }
    if (!verifier) {
        if (!a->user[0] && !a->system)
            err_set(e, 401, "unauthorized", "", "sign in first: the queue is the verifiers'");
        else
            err_set(e, 403, "forbidden", "", "only verifiers see the verification queue");
        return -1;
    }
    struct store_conn *c = store_conn(registry_store(w->reg));
    struct store_stmt *st = store_prepare(
        c,
        "SELECT o.id, o.subject, o.policy, o.started_at, o.due_at, d.data FROM obligations o "
        "JOIN records r ON r.id = substr(o.subject, instr(o.subject, '/') + 1) "
        "JOIN record_data d ON d.rid = r.rid "
        "WHERE o.done_at IS NULL AND o.policy IN ($1, $2, $3, $4) AND r.retired = 0 "
        "ORDER BY o.due_at, o.id LIMIT 1000",
        true, e);
    if (!st)
        return -1;
    /* unused slots repeat a policy (or match none when there is none) */
    for (size_t i = 0; i < QUEUE_POLICIES; i++) {
        size_t p = i < w->n_queue_policies ? i : 0;
        store_bind_text(st, (int)i + 1, w->n_queue_policies ? w->queue_policies[p] : "");
    }
    char now[32];
    time_format_rfc3339(time_now_ms(), now, sizeof now);
    json_t *items = json_array();
    int rc;
    while ((rc = store_step(st, e)) == STORE_ROW) {
        json_t *rec = json_loads(store_col_text(st, 5), 0, NULL);
        const struct model_kind *k = rec ? kind_of(w, rec) : NULL;
        /* only what this verifier decides on (an architect of the
         * integrator agrees the ICP EG, it does not register objects) */
        if (!k || !k->workflow || !authz_may(w->rights, a, RA_VERIFY, k->id, owner_of(rec))) {
            json_decref(rec);
            continue;
        }
        const char *due = store_col_text(st, 4);
        json_array_append_new(
            items,
            json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:{s:s, s:s, s:s, s:O?, s:s?, s:s?, s:s?}}",
                      "obligation", store_col_text(st, 0), "subject", store_col_text(st, 1),
                      "policy", store_col_text(st, 2), "started_at", store_col_text(st, 3),
                      "due_at", due, "overdue", obligation_overdue(due, NULL, now), "record", "id",
                      text_of(rec, "id"), "kind", k->id, "owner", owner_of(rec), "name",
                      json_object_get(rec, "name"), "status",
                      text_of(rec, k->workflow->status_field), "review",
                      text_of(rec, k->workflow->review_field), "accounting_code",
                      text_of(rec, k->workflow->code_field)));
        json_decref(rec);
    }
    store_reset(st);
    if (rc == STORE_ERROR) {
        json_decref(items);
        return -1;
    }
    *out = json_pack("{s:o}", "items", items);
    return 0;
}

/* Acceptances one carried-over record may take on its way to publication:
 * more than any workflow's path. */
#define MAX_ACCEPTS 8

static bool published_now(struct workflow *w, const json_t *rec)
{
    const struct model_kind *k = rec ? kind_of(w, rec) : NULL;
    return !k || model_record_published(k, rec);
}

/* Does rec's state await an acceptance (a transition triggered by one)? */
static bool accepts(struct workflow *w, const json_t *rec)
{
    const struct model_kind *k = rec ? kind_of(w, rec) : NULL;
    if (!k || !k->workflow)
        return false;
    const struct model_workflow *wf = k->workflow;
    return model_wf_find(wf, WF_ACCEPT, text_of(rec, wf->status_field),
                         text_of(rec, wf->review_field)) != NULL;
}

int workflow_register_complete(struct workflow *w, const struct actor *a, int *n,
                               struct err *e)
{
    *n = 0;
    struct store_conn *c = store_conn(registry_store(w->reg));
    struct store_stmt *st = store_prepare(
        c, "SELECT r.collection, r.id, d.data FROM records r JOIN record_data d ON d.rid = r.rid "
           "WHERE r.retired = 0 ORDER BY r.rid",
        false, e);
    if (!st)
        return -1;
    json_t *todo = json_array();
    int rc;
    while ((rc = store_step(st, e)) == STORE_ROW) {
        json_t *rec = json_loads(store_col_text(st, 2), 0, NULL);
        const struct model_kind *k = rec ? kind_of(w, rec) : NULL;
        json_t *gaps = k && k->workflow
                           ? model_gaps(k, rec, calsvc_local_day(w->cal, time_now_ms()))
                           : NULL;
        const struct model_wf_state *s =
            gaps ? model_wf_state(k->workflow, text_of(rec, k->workflow->status_field)) : NULL;
        if (s && s->initial && json_array_size(gaps) == 0)
            json_array_append_new(todo, json_pack("[s, s]", store_col_text(st, 0),
                                                  store_col_text(st, 1)));
        json_decref(gaps);
        json_decref(rec);
    }
    store_finalize(st);
    size_t i;
    json_t *item;
    json_array_foreach(todo, i, item)
    {
        const char *coll = json_string_value(json_array_get(item, 0));
        const char *id = json_string_value(json_array_get(item, 1));
        json_t *out = NULL;
        json_t *accept = json_pack("{s:s}", "decision", "accept");
        struct step s = {.w = w, .a = a, .collection = coll, .trigger = WF_SUBMIT,
                         .fields_only = true};
        if (rc == STORE_DONE && run_step(w, &s, id, -1, &out, e) < 0)
            rc = STORE_ERROR;
        json_decref(s.gaps);
        /* accepted at every step of its path until published (an agreement
         * takes one acceptance per body), as far as acceptances lead (a
         * recommendation sent to its body awaits the body, not a decision) */
        for (size_t step = 0; rc == STORE_DONE && step < MAX_ACCEPTS && accepts(w, out); step++) {
            json_decref(out);
            out = NULL;
            if (workflow_verify(w, a, coll, id, -1, accept, &out, e) < 0)
                rc = STORE_ERROR;
            if (rc == STORE_DONE && published_now(w, out))
                break;
        }
        json_decref(out);
        out = NULL;
        json_decref(accept);
        if (rc == STORE_DONE)
            (*n)++;
    }
    json_decref(todo);
    return rc == STORE_ERROR ? -1 : 0;
}

/* ---- export, import, check ---------------------------------------------------------- */

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct dump_col code_cols[] = {
    {"code", 's', true},       {"record_id", 's', true},   {"kind", 's', true},
    {"assigned_at", 't', true}, {"assigned_by", 's', true},
};
static const struct dump_col counter_cols[] = {
    {"prefix", 's', true},
    {"year", 'i', true},
    {"next", 'i', true},
};
static const struct dump_col event_cols[] = {
    {"id", 'i', true},          {"record_id", 's', true}, {"revision", 'i', true},
    {"at", 't', true},          {"actor", 's', true},     {"transition", 's', true},
    {"from_status", 's', true}, {"to_status", 's', true}, {"review", 's', false},
    {"remarks", 'j', false},    {"code", 's', false},
};
static const struct dump_table tables[] = {
    {"accounting_code", "accounting_codes", "assigned_at, code", code_cols, N(code_cols)},
    {"code_counter", "code_counters", "prefix, year", counter_cols, N(counter_cols)},
    {"workflow_event", "workflow_events", "id", event_cols, N(event_cols)},
};

static const char *const rules[] = {
    "SELECT 'accounting code', code, 'its record ''' || record_id || ''' does not exist' "
    "FROM accounting_codes WHERE record_id NOT IN (SELECT id FROM records)",
    "SELECT 'workflow event', CAST(id AS TEXT), 'its record ''' || record_id || ''' does not "
    "exist' FROM workflow_events WHERE record_id NOT IN (SELECT id FROM records)",
    "SELECT 'code counter', prefix || '/' || year, 'next is below 1' FROM code_counters "
    "WHERE next < 1",
};

/* Each registered record's code is the one assigned to it. */
static void check_codes(void *ctx, struct store_conn *c, struct dump_report *rep)
{
    struct workflow *w = ctx;
    struct err e = ERR_INIT;
    struct store_stmt *st = store_prepare(
        c,
        "SELECT r.id, d.data, (SELECT code FROM accounting_codes a WHERE a.record_id = r.id) "
        "FROM records r JOIN record_data d ON d.rid = r.rid",
        false, &e);
    while (st && store_step(st, &e) == STORE_ROW) {
        json_t *rec = json_loads(store_col_text(st, 1), 0, NULL);
        const struct model_kind *k = rec ? kind_of(w, rec) : NULL;
        if (k && k->workflow) {
            const char *code = text_of(rec, k->workflow->code_field);
            const char *kept = store_col_text(st, 2); /* NULL when none */
            const struct model_wf_state *s =
                model_wf_state(k->workflow, text_of(rec, k->workflow->status_field));
            if (!s)
                dump_problem(rep, "record %s: unknown workflow state", store_col_text(st, 0));
            else if (s->coded && !code)
                dump_problem(rep, "record %s: %s but without an accounting code",
                             store_col_text(st, 0), s->id);
            if (code && (!kept || strcmp(code, kept) != 0))
                dump_problem(rep, "record %s: accounting code %s is not the one assigned (%s)",
                             store_col_text(st, 0), code, kept ? kept : "none");
        }
        json_decref(rec);
    }
    store_finalize(st);
    if (e.status)
        dump_problem(rep, "workflow: cannot check: %s", e.detail);
}


/* ---- set-up ------------------------------------------------------------------------- */

struct workflow *workflow_new(struct registry *reg, struct accounts *ac, struct calsvc *cal)
{
    struct workflow *w = xcalloc(1, sizeof *w);
    w->reg = reg;
    w->ac = ac;
    w->cal = cal;
    w->model = registry_model(reg);
    w->rights = registry_rights(reg);
    for (size_t i = 0; i < model_n_workflows(w->model); i++) {
        const struct model_workflow *wf = model_workflow_at(w->model, i);
        for (size_t t = 0; t < wf->n_transitions; t++) {
            const struct model_wf_transition *tr = &wf->transitions[t];
            for (size_t p = 0; tr->trigger == WF_ACCEPT && p < tr->n_closes; p++) {
                bool seen = false;
                for (size_t q = 0; q < w->n_queue_policies; q++)
                    seen = seen || strcmp(w->queue_policies[q], tr->closes[p]->id) == 0;
                if (!seen && w->n_queue_policies < QUEUE_POLICIES)
                    w->queue_policies[w->n_queue_policies++] = tr->closes[p]->id;
            }
        }
    }
    registry_set_update_hook(reg, on_write, w);
    registry_set_actor_org(reg, actor_org, w);
    w->part = (struct dump_part){tables, N(tables), rules, N(rules), w, check_codes, NULL};
    dump_add_part(reg, &w->part);
    return w;
}

void workflow_set_gaps(struct workflow *w, workflow_gaps_fn fn, void *ctx)
{
    w->gaps_fn = fn;
    w->gaps_ctx = ctx;
}

void workflow_free(struct workflow *w)
{
    free(w);
}
