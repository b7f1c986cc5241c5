/* score: the scores the model declares (section "scores", issue 17: an ICT
 * project's risk level, REQ MON-07) over every live record of a kind the
 * reader may read, each factor worked out from the record's own items or
 * from the records one step reaches (only those the reader may read: a
 * record they may not read does not exist for them), mapped to a level of
 * the score's scale by the thresholds in force today, and rolled up by
 * the records' owners (the state bodies).
 *
 * One judging reads the scored kind once, each kind a step reaches once,
 * and the open obligations of the factors' policies once. Its answer is
 * kept per score and reader (what they may read depends on being the
 * system, signed in, roles and organisation alone) until the next write
 * (the answer cache's generation), the next local day (today's
 * dates and thresholds) or the first due time of an open obligation it
 * counted as not yet overdue, whichever comes first. */
#include "internal.h"

#include "cache.h"
#include "util/log.h"
#include "util/timeutil.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define SCORE_MEMO_SLOTS 8

struct score_memo {
    char key[320];
    uint64_t gen;
    int64_t day;
    char expires[40]; /* "" never (within the day) */
    json_t *result;
    json_t *index; /* id -> position of the record's item in result's items */
    uint64_t used;
};

struct score_memos {
    pthread_mutex_t lock;
    struct score_memo slot[SCORE_MEMO_SLOTS];
    uint64_t clock;
};

struct score_memos *score_memos_new(void)
{
    struct score_memos *m = xcalloc(1, sizeof *m);
    pthread_mutex_init(&m->lock, NULL);
    return m;
}

void score_memos_free(struct score_memos *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < SCORE_MEMO_SLOTS; i++) {
        json_decref(m->slot[i].result);
        json_decref(m->slot[i].index);
    }
    pthread_mutex_destroy(&m->lock);
    free(m);
}

static const char SCAN_SQL[] =
    "SELECT r.id, d.data FROM records r JOIN record_data d ON d.rid = r.rid "
    "WHERE r.collection = $1 AND r.retired = 0 AND r.kind = $2 ORDER BY r.sort_name, r.rid";

static const char OPEN_SQL[] =
    "SELECT subject, due_at FROM obligations WHERE done_at IS NULL "
    "AND policy IN (SELECT value FROM json_each($1))";

/* One judging. */
struct judging {
    struct registry *r;
    const struct actor *a;
    const struct model_score *s;
    struct store_conn *c;
    int64_t today;
    char now[40];
    json_t *recs;    /* the scored records the reader may read, in name order */
    json_t *index;   /* id -> position in recs */
    json_t *reached; /* per factor: array (per record) of arrays of reached records */
    json_t *memo;    /* records loaded by id (ref steps, owners) */
    json_t *open;    /* subject -> earliest due time of its open obligations */
    char expires[40];
};

/* Each live record of kind `kind` the reader may read, parsed, to fn. */
static int scan_kind(struct judging *j, const char *kind,
                     int (*fn)(struct judging *j, json_t *rec, void *ctx), void *ctx,
                     struct err *e)
{
    const struct model_kind *k = model_kind(j->r->model, kind);
    if (!k)
        return 0;
    struct store_stmt *st = store_prepare(j->c, SCAN_SQL, true, e);
    if (!st)
        return -1;
    store_bind_text(st, 1, k->collection);
    store_bind_text(st, 2, kind);
    int rc;
    while ((rc = store_step(st, e)) == 1) {
        json_t *rec = json_loadb(store_col_text(st, 1), store_col_bytes(st, 1), 0, NULL);
        if (!rec) {
            err_internal(e, "stored record '%.60s' is not valid JSON", store_col_text(st, 0));
            rc = -1;
            break;
        }
        int r = registry_may_read(j->r, j->a, rec) ? fn(j, rec, ctx) : 0;
        json_decref(rec);
        if (r < 0) {
            rc = -1;
            break;
        }
    }
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

static int add_scored(struct judging *j, json_t *rec, void *ctx)
{
    (void)ctx;
    json_object_set_new(j->index, json_string_value(json_object_get(rec, "id")),
                        json_integer((json_int_t)json_array_size(j->recs)));
    json_array_append(j->recs, rec);
    return 0;
}

/* The ids field `name` of rec names (a ref or a list of refs), to fn. */
static void each_id(const json_t *rec, const char *name, void (*fn)(void *ctx, const char *id),
                    void *ctx)
{
    const json_t *v = json_object_get(rec, name), *x;
    size_t i;
    if (json_is_string(v))
        fn(ctx, json_string_value(v));
    json_array_foreach (v, i, x)
        if (json_is_string(x))
            fn(ctx, json_string_value(x));
}

/* A record reached by factor f from the scored record at `pos`, once. */
static void reach(struct judging *j, size_t f, size_t pos, json_t *rec)
{
    json_t *list = json_array_get(json_array_get(j->reached, f), pos), *x;
    size_t i;
    const char *id = json_string_value(json_object_get(rec, "id"));
    json_array_foreach (list, i, x)
        if (strcmp(json_string_value(json_object_get(x, "id")), id) == 0)
            return;
    json_array_append(list, rec);
}

struct referrer {
    struct judging *j;
    size_t f;
    json_t *rec;
};

static void referrer_names(void *ctx, const char *id)
{
    struct referrer *rf = ctx;
    json_t *pos = json_object_get(rf->j->index, id);
    if (pos)
        reach(rf->j, rf->f, (size_t)json_integer_value(pos), rf->rec);
}

static int add_referrer(struct judging *j, json_t *rec, void *ctx)
{
    struct referrer rf = {j, *(size_t *)ctx, rec};
    each_id(rec, j->s->factors[rf.f].step.field, referrer_names, &rf);
    return 0;
}

struct named {
    struct judging *j;
    size_t f, pos;
    int rc;
    struct err *e;
};

static void ref_names(void *ctx, const char *id)
{
    struct named *n = ctx;
    json_t *rec = NULL;
    if (n->rc < 0)
        return;
    int found = reg_memo_load(n->j->c, n->j->memo, id, &rec, n->e);
    if (found < 0)
        n->rc = -1;
    else if (found && registry_may_read(n->j->r, n->j->a, rec))
        reach(n->j, n->f, n->pos, rec);
    json_decref(rec);
}

/* The records factor f's step reaches from every scored record. */
static int reach_all(struct judging *j, size_t f, struct err *e)
{
    const struct model_step *st = &j->s->factors[f].step;
    if (st->type == STEP_REFERENCED_BY) {
        for (size_t k = 0; k < st->n_kinds; k++)
            if (scan_kind(j, st->kinds[k], add_referrer, &f, e) < 0)
                return -1;
        return 0;
    }
    struct named n = {j, f, 0, 0, e};
    for (n.pos = 0; n.pos < json_array_size(j->recs) && n.rc == 0; n.pos++)
        each_id(json_array_get(j->recs, n.pos), st->field, ref_names, &n);
    return n.rc;
}

/* The open obligations of every factor's policies: subject -> earliest due. */
static int load_open(struct judging *j, struct err *e)
{
    json_t *pols = json_array();
    for (size_t f = 0; f < j->s->n_factors; f++)
        for (size_t p = 0; p < j->s->factors[f].n_policies; p++)
            json_array_append_new(pols, json_string(j->s->factors[f].policies[p]->id));
    if (json_array_size(pols) == 0) {
        json_decref(pols);
        return 0;
    }
    char *text = json_dumps(pols, JSON_COMPACT);
    json_decref(pols);
    struct store_stmt *st = store_prepare(j->c, OPEN_SQL, true, e);
    if (!st) {
        free(text);
        return -1;
    }
    store_bind_text(st, 1, text);
    int rc;
    while ((rc = store_step(st, e)) == 1) {
        const char *subj = store_col_text(st, 0), *due = store_col_text(st, 1);
        const char *known = json_string_value(json_object_get(j->open, subj));
        if (!known || strcmp(due, known) < 0)
            json_object_set_new(j->open, subj, json_string(due));
    }
    store_reset(st);
    free(text);
    return rc < 0 ? -1 : 0;
}

/* ---- the factors' values ------------------------------------------------ */

/* A number member (a decimal's canonical string or an integer). */
static bool number_of(const json_t *v, double *out)
{
    if (json_is_number(v)) {
        *out = json_number_value(v);
        return true;
    }
    if (!json_is_string(v))
        return false;
    char *end;
    *out = strtod(json_string_value(v), &end);
    return end != json_string_value(v) && *end == '\0';
}

/* A date member as days since 1970-01-01. */
static bool day_of(const json_t *v, int64_t *out)
{
    int y, m, d;
    if (!json_is_string(v) || time_parse_date(json_string_value(v), &y, &m, &d) < 0)
        return false;
    *out = time_days_from_civil(y, m, d);
    return true;
}

static json_t *brief(const json_t *rec)
{
    json_t *o = json_pack("{s:O}", "id", json_object_get(rec, "id"));
    if (json_object_get(rec, "name"))
        json_object_set(o, "name", json_object_get(rec, "name"));
    return o;
}

static char *date_text(int64_t day, char *out, size_t n)
{
    return time_format_date(day, out, n);
}

/* SCORE_DAYS_LATE: the latest item; NULL value when no item has a due date. */
static json_t *days_late(const struct judging *j, const struct model_score_factor *f,
                         const json_t *rec, double *value)
{
    const json_t *items = json_object_get(rec, f->items), *it;
    size_t i;
    json_t *worst = NULL;
    int64_t most = INT64_MIN;
    json_array_foreach (items, i, it) {
        int64_t due, done = 0;
        const char *by = NULL;
        if (!day_of(json_object_get(it, f->due), &due))
            continue;
        for (size_t d = 0; d < f->n_done && !by; d++)
            if (day_of(json_object_get(it, f->done[d]), &done))
                by = f->done[d];
        if (!by && f->done_today) {
            done = j->today;
            by = "today";
        }
        if (!by || done - due <= most)
            continue;
        most = done - due;
        char a[16], b[16];
        json_decref(worst);
        worst = json_pack("{s:I, s:o, s:s, s:s, s:s}", "item", (json_int_t)i, "entry",
                          json_deep_copy(it), "due", date_text(due, a, sizeof a), "done",
                          date_text(done, b, sizeof b), "done_field", by);
    }
    *value = most < 0 ? 0 : (double)most;
    return worst;
}

/* SCORE_EXCESS */
static json_t *excess(const struct model_score_factor *f, const json_t *rec, double *value)
{
    const json_t *it;
    size_t i, n = 0;
    double actual = 0, planned = 0;
    json_array_foreach (json_object_get(rec, f->items), i, it) {
        double a, p;
        if (!number_of(json_object_get(it, f->actual), &a) ||
            !number_of(json_object_get(it, f->planned), &p))
            continue;
        actual += a;
        planned += p;
        n++;
    }
    if (!n || planned <= 0)
        return NULL;
    double pct = (actual - planned) * 100.0 / planned;
    *value = pct < 0 ? 0 : round(pct * 10) / 10;
    return json_pack("{s:f, s:f, s:I}", "actual", actual, "planned", planned, "items", (json_int_t)n);
}

/* SCORE_OVERDUE: the reached records with an open obligation past due. */
static json_t *overdue(struct judging *j, const json_t *reached, double *value)
{
    json_t *recs = json_array(), *x;
    size_t i;
    json_array_foreach (reached, i, x) {
        const struct model_kind *k =
            model_kind(j->r->model, json_string_value(json_object_get(x, "kind")));
        char subj[256];
        snprintf(subj, sizeof subj, "%s/%s", k ? k->collection : "",
                 json_string_value(json_object_get(x, "id")));
        const char *due = json_string_value(json_object_get(j->open, subj));
        if (!due)
            continue;
        if (strcmp(due, j->now) > 0) { /* not yet: the answer holds until then */
            if (!j->expires[0] || strcmp(due, j->expires) < 0)
                snprintf(j->expires, sizeof j->expires, "%s", due);
            continue;
        }
        json_t *b = brief(x);
        json_object_set_new(b, "due", json_string(due));
        json_array_append_new(recs, b);
    }
    *value = (double)json_array_size(recs);
    return json_pack("{s:o}", "records", recs);
}

/* SCORE_LATEST: the enum value of the latest reached record keeping `when`. */
static json_t *latest(const struct judging *j, const struct model_score_factor *f,
                      const json_t *reached, const char **value)
{
    const json_t *x, *best = NULL;
    size_t i;
    const char *best_on = NULL;
    json_array_foreach (reached, i, x) {
        const char *on = json_string_value(json_object_get(x, f->order));
        const char *v = json_string_value(json_object_get(x, f->field));
        if (!on || !v || !model_cond_holds(&f->reached_when, x, j->today))
            continue;
        if (!best_on || strcmp(on, best_on) > 0) {
            best = x;
            best_on = on;
        }
    }
    if (!best)
        return NULL;
    *value = json_string_value(json_object_get(best, f->field));
    return json_pack("{s:o, s:s}", "record", brief(best), "on", best_on);
}

/* SCORE_SHORTFALL: the reached record falling shortest of its target. */
static json_t *shortfall(const struct model_score_factor *f, const json_t *reached, double *value)
{
    const json_t *x;
    size_t i;
    json_t *worst = NULL;
    double most = -1;
    json_array_foreach (reached, i, x) {
        const json_t *acts = json_object_get(x, f->actual_items);
        double base = 0, target, actual;
        if (!number_of(json_object_get(x, f->target), &target) || json_array_size(acts) == 0 ||
            !number_of(json_object_get(json_array_get(acts, json_array_size(acts) - 1),
                                       f->actual_field),
                       &actual))
            continue;
        number_of(json_object_get(x, f->baseline), &base);
        double done; /* the share of the way from baseline to target */
        if (target == base)
            done = actual >= target ? 1 : 0;
        else
            done = (actual - base) / (target - base);
        double pct = done >= 1 ? 0 : done <= 0 ? 100 : round((1 - done) * 1000) / 10;
        if (pct <= most)
            continue;
        most = pct;
        json_decref(worst);
        worst = json_pack("{s:o, s:f, s:f, s:f}", "record", brief(x), "baseline", base, "target",
                          target, "actual", actual);
    }
    *value = most < 0 ? 0 : most;
    return worst;
}

/* The level of a numeric value under thresholds t (n levels). */
static int level_of(const struct model_score_thresholds *t, size_t n, double v)
{
    int level = 1;
    for (size_t i = 0; i + 1 < n; i++)
        if (v >= t->at[i])
            level = (int)i + 2;
    return level;
}

static json_t *factor_result(struct judging *j, size_t fi, size_t pos, const json_t *rec,
                             int *level)
{
    const struct model_score_factor *f = &j->s->factors[fi];
    json_t *o = json_pack("{s:s}", "factor", f->id);
    *level = 0;
    if (!model_cond_holds(&f->when, rec, j->today)) {
        json_object_set_new(o, "applies", json_false());
        return o;
    }
    const json_t *reached = json_array_get(json_array_get(j->reached, fi), pos);
    double v = 0;
    const char *ev = NULL;
    json_t *why = NULL;
    switch (f->op) {
    case SCORE_DAYS_LATE: why = days_late(j, f, rec, &v); break;
    case SCORE_EXCESS: why = excess(f, rec, &v); break;
    case SCORE_OVERDUE: why = overdue(j, reached, &v); break;
    case SCORE_LATEST: why = latest(j, f, reached, &ev); break;
    case SCORE_SHORTFALL: why = shortfall(f, reached, &v); break;
    }
    const struct model_score_thresholds *t = model_score_thresholds_on(f, j->today);
    if (!why || !t) {
        json_decref(why);
        json_object_set_new(o, "value", json_null());
        return o;
    }
    json_object_update(o, why);
    json_decref(why);
    if (f->op == SCORE_LATEST) {
        json_object_set_new(o, "value", json_string(ev));
        for (size_t i = 0; i < t->n_values; i++)
            if (strcmp(t->values[i], ev) == 0)
                *level = t->value_levels[i];
    } else {
        json_object_set_new(o, "value", json_real(v));
        *level = level_of(t, j->s->scale->n_values, v);
    }
    json_object_set_new(o, "level", json_integer(*level));
    return o;
}

/* ---- the answer -------------------------------------------------------- */

static json_t *scale_json(const struct model_score *s)
{
    json_t *out = json_array();
    for (size_t i = 0; i < s->scale->n_values; i++)
        json_array_append_new(out, json_pack("{s:I, s:s, s:o}", "level", (json_int_t)i + 1, "value",
                                             s->scale->values[i].id, "label",
                                             model_label_json(s->scale->values[i].label)));
    return out;
}

static json_t *factors_json(const struct model_score *s, int64_t today)
{
    json_t *out = json_array();
    for (size_t i = 0; i < s->n_factors; i++) {
        const struct model_score_factor *f = &s->factors[i];
        const struct model_score_thresholds *t = model_score_thresholds_on(f, today);
        json_t *o = json_pack("{s:s, s:o}", "id", f->id, "label", model_label_json(f->label));
        if (f->unit)
            json_object_set_new(o, "unit", json_string(f->unit));
        if (f->requirement)
            json_object_set_new(o, "requirement", json_string(f->requirement));
        if (t) {
            json_t *at;
            if (f->op == SCORE_LATEST) {
                at = json_object();
                for (size_t v = 0; v < t->n_values; v++)
                    json_object_set_new(at, t->values[v], json_integer(t->value_levels[v]));
            } else {
                at = json_array();
                for (size_t l = 0; l + 1 < s->scale->n_values; l++)
                    json_array_append_new(at, json_real(t->at[l]));
            }
            json_object_set_new(o, "thresholds",
                                json_pack("{s:s, s:o, s:s?}", "from", t->from, "at", at, "source",
                                          t->source));
        }
        json_array_append_new(out, o);
    }
    return out;
}

static json_t *level_counts(size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_integer(0));
    return a;
}

static void count_level(json_t *group, int level)
{
    json_object_set_new(group, "records",
                        json_integer(json_integer_value(json_object_get(group, "records")) + 1));
    if (level <= 0)
        return;
    json_t *levels = json_object_get(group, "levels");
    json_array_set_new(levels, (size_t)level - 1,
                       json_integer(json_integer_value(json_array_get(levels, (size_t)level - 1)) + 1));
    json_object_set_new(group, "assessed",
                        json_integer(json_integer_value(json_object_get(group, "assessed")) + 1));
    if (level > json_integer_value(json_object_get(group, "level")))
        json_object_set_new(group, "level", json_integer(level));
}

static json_t *new_group(const struct model_score *s)
{
    return json_pack("{s:i, s:i, s:i, s:o}", "records", 0, "assessed", 0, "level", 0, "levels",
                     level_counts(s->scale->n_values));
}

static int by_level(const void *pa, const void *pb)
{
    const json_t *a = *(json_t *const *)pa, *b = *(json_t *const *)pb;
    json_int_t la = json_integer_value(json_object_get(a, "level"));
    json_int_t lb = json_integer_value(json_object_get(b, "level"));
    if (la != lb)
        return la < lb ? 1 : -1;
    json_int_t ra = json_integer_value(json_object_get(a, "records"));
    json_int_t rb = json_integer_value(json_object_get(b, "records"));
    return ra < rb ? 1 : ra > rb ? -1 : 0;
}

/* Sets "value" (the scale's value id) for a group's or record's level (0: null). */
static void set_value(const struct model_score *s, json_t *o)
{
    json_int_t l = json_integer_value(json_object_get(o, "level"));
    if (l <= 0) {
        json_object_set_new(o, "level", json_null());
        json_object_set_new(o, "value", json_null());
    } else
        json_object_set_new(o, "value", json_string(s->scale->values[l - 1].id));
}

static int judge(struct judging *j, json_t **out, struct err *e)
{
    const struct model_score *s = j->s;
    if (scan_kind(j, s->kind->id, add_scored, NULL, e) < 0)
        return -1;
    size_t n = json_array_size(j->recs);
    for (size_t f = 0; f < s->n_factors; f++) {
        json_t *per = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(per, json_array());
        json_array_append_new(j->reached, per);
        if (s->factors[f].op >= SCORE_OVERDUE && reach_all(j, f, e) < 0)
            return -1;
    }
    if (load_open(j, e) < 0)
        return -1;
    json_t *items = json_array(), *owners = json_object(), *total = new_group(s);
    for (size_t i = 0; i < n; i++) {
        const json_t *rec = json_array_get(j->recs, i);
        json_t *factors = json_array();
        int level = 0;
        for (size_t f = 0; f < s->n_factors; f++) {
            int fl;
            json_array_append_new(factors, factor_result(j, f, i, rec, &fl));
            level = fl > level ? fl : level;
        }
        json_t *it = brief(rec);
        const char *owner = json_string_value(json_object_get(rec, "owner"));
        json_object_set_new(it, "owner", owner ? json_string(owner) : json_null());
        json_object_set_new(it, "level", json_integer(level));
        set_value(s, it);
        json_object_set_new(it, "factors", factors);
        json_array_append_new(items, it);
        json_t *g = json_object_get(owners, owner ? owner : "");
        if (!g)
            json_object_set_new(owners, owner ? owner : "", g = new_group(s));
        count_level(g, level);
        count_level(total, level);
    }
    /* the groups, the riskiest first, each named by its owner */
    size_t ng = json_object_size(owners), at = 0;
    json_t **gs = xcalloc(ng ? ng : 1, sizeof *gs);
    const char *oid;
    json_t *g;
    json_object_foreach (owners, oid, g) {
        json_object_set_new(g, "owner", *oid ? json_string(oid) : json_null());
        json_t *org = NULL;
        if (*oid && reg_memo_load(j->c, j->memo, oid, &org, e) < 0) {
            free(gs);
            json_decref(items);
            json_decref(owners);
            json_decref(total);
            return -1;
        }
        if (org && json_object_get(org, "name"))
            json_object_set(g, "name", json_object_get(org, "name"));
        json_decref(org);
        gs[at++] = g;
    }
    qsort(gs, ng, sizeof *gs, by_level);
    json_t *by = json_array();
    for (size_t i = 0; i < ng; i++) {
        set_value(s, gs[i]);
        json_array_append(by, gs[i]);
    }
    free(gs);
    json_decref(owners);
    set_value(s, total);
    char day[16];
    *out = json_pack("{s:s, s:o, s:s, s:s, s:o, s:o, s:o, s:o, s:o}", "score", s->id, "label",
                     model_label_json(s->label), "kind", s->kind->id, "judged_on",
                     date_text(j->today, day, sizeof day), "scale", scale_json(s), "factors",
                     factors_json(s, j->today), "totals", total, "by", by, "items", items);
    return 0;
}

static void memo_key(const struct model_score *s, const struct actor *a, char *key, size_t n)
{
    snprintf(key, n, "%s\x1f%d\x1f%d\x1f%u\x1f%s", s->id, a->system, a->user[0] != 0,
             (unsigned)a->roles, a->org);
}

int registry_score(struct registry *r, const struct actor *a, const char *score, json_t **out,
                   json_t **index, struct err *e)
{
    *out = NULL;
    if (index)
        *index = NULL;
    const struct model_score *s = model_score(r->model, score);
    if (!s) {
        err_set(e, 404, "not-found", "", "no score '%s'", score);
        return -1;
    }
    struct judging j = {.r = r, .a = a, .s = s, .c = store_conn(r->store), .today = registry_today(r)};
    time_format_rfc3339(time_now_ms(), j.now, sizeof j.now);
    char key[320];
    memo_key(s, a, key, sizeof key);
    uint64_t gen = cache_generation();
    struct score_memos *m = r->scores;
    pthread_mutex_lock(&m->lock);
    for (size_t i = 0; i < SCORE_MEMO_SLOTS; i++) {
        struct score_memo *x = &m->slot[i];
        if (x->result && x->gen == gen && x->day == j.today && strcmp(x->key, key) == 0 &&
            (!x->expires[0] || strcmp(j.now, x->expires) < 0)) {
            x->used = ++m->clock;
            *out = json_incref(x->result);
            if (index)
                *index = json_incref(x->index);
            pthread_mutex_unlock(&m->lock);
            return 0;
        }
    }
    pthread_mutex_unlock(&m->lock);
    j.recs = json_array();
    j.index = json_object();
    j.reached = json_array();
    j.memo = json_object();
    j.open = json_object();
    int64_t t0 = time_now_ms();
    int rc = judge(&j, out, e);
    if (rc == 0)
        log_msg(LOG_INFO, "scores: %s: %zu records judged in %lld ms", s->id,
                json_array_size(j.recs), (long long)(time_now_ms() - t0));
    json_decref(j.recs);
    json_decref(j.reached);
    json_decref(j.memo);
    json_decref(j.open);
    if (rc < 0) {
        json_decref(j.index);
        return -1;
    }
    pthread_mutex_lock(&m->lock);
    struct score_memo *slot = &m->slot[0];
    for (size_t i = 0; i < SCORE_MEMO_SLOTS; i++) {
        if (!m->slot[i].result || strcmp(m->slot[i].key, key) == 0) {
            slot = &m->slot[i];
            break;
        }
        if (m->slot[i].used < slot->used)
            slot = &m->slot[i];
    }
    json_decref(slot->result);
    json_decref(slot->index);
    slot->index = j.index; /* the scored records' positions are their items' */
    if (index)
        *index = json_incref(j.index);
    snprintf(slot->key, sizeof slot->key, "%s", key);
    slot->gen = gen;
    slot->day = j.today;
    snprintf(slot->expires, sizeof slot->expires, "%s", j.expires);
    slot->result = json_incref(*out);
    slot->used = ++m->clock;
    pthread_mutex_unlock(&m->lock);
    return 0;
}

const json_t *registry_score_item(const json_t *score, const json_t *index, const char *id)
{
    const json_t *pos = json_object_get(index, id);
    return pos ? json_array_get(json_object_get(score, "items"), (size_t)json_integer_value(pos))
               : NULL;
}
