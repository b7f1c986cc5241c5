/* score: the scores the model declares (section "scores", issue 17: an ICT
 * project's risk level, REQ MON-07) over every live record of a kind the
 * reader may read, each factor worked out from the record's own items or
 * from the records one step reaches (only those the reader may read: a
 * record they may not read does not exist for them), mapped to a level of
 * the score's scale by the thresholds in force today, and rolled up by
 * the records' owners (the state bodies).
 *
 * One whole judging reads the scored kind once, each kind a step reaches
 * once (records projected: only the members the score reads), and the
 * open obligations of the factors' policies once. It is kept per score
 * and class of readers (what they may read depends on being the system,
 * signed in, roles and organisation alone), with what each record reached,
 * and brought up to date at the next read after writes: each write names
 * its record and every record it names, old and new (score_memos_mark);
 * the scored records named, or that reached a record named, are judged
 * again one by one (what they reach by one query over the `_ref` index),
 * as are those that counted a deadline as not passed once it has. A
 * scored record made, retired, renamed or hidden, a new local day, or a
 * change the writes did not name (an import) judges everything again. */
#include "internal.h"

#include "cache.h"
#include "util/log.h"
#include "util/timeutil.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define SCORE_MEMO_SLOTS 4
/* The most records a write may name for the kept answer to be brought up
 * to date record by record; beyond it (an import), judged again whole. */
#define SCORE_DIRTY_MAX 1000

static const char SCAN_SQL[] =
    "SELECT r.id, d.data FROM records r JOIN record_data d ON d.rid = r.rid "
    "WHERE r.collection = $1 AND r.retired = 0 AND r.kind = $2 ORDER BY r.sort_name, r.rid";

static const char OPEN_SQL[] =
    "SELECT subject, due_at FROM obligations WHERE done_at IS NULL "
    "AND policy IN (SELECT value FROM json_each($1))";

static const char OPEN_OF_SQL[] =
    "SELECT subject, due_at FROM obligations WHERE done_at IS NULL "
    "AND policy IN (SELECT value FROM json_each($1)) AND subject IN (SELECT value FROM json_each($2))";

/* A judging of a score for a class of readers, kept with what it read so
 * that a write's records bring it up to date one by one. */
struct judging {
    /* set at each use */
    struct registry *r;
    const struct actor *a;
    const struct model_score *s;
    struct store_conn *c;
    int64_t today;
    char now[40];
    json_t *memo;    /* records loaded by id in this use (ref steps, owners) */
    /* kept */
    json_t *fields;  /* the members the score reads: records are read projected */
    json_t *rfields; /* the same but the name, for the records a step reaches by a scan */
    json_t *recs;    /* the scored records the readers may read, in name order */
    json_t *index;   /* id -> position in recs */
    json_t *reached; /* per factor: array (per record) of arrays of reached records */
    json_t *reachers; /* id of a reached record -> {position: true} */
    json_t *open;    /* subject -> earliest due time of its open obligations */
    json_t *names;   /* owner id -> its name */
    json_t *items;   /* per position: the record's item of the answer */
    json_t *next_due; /* per position: the first due time it counted as not passed, or null */
    char expires[40]; /* the earliest of them ("": none) */
    char item_due[40]; /* the item being made's */
};

struct score_memo {
    char key[320];
    uint64_t gen; /* the answer cache's generation it is up to date with */
    int64_t day;
    struct judging *j;
    json_t *dirty;  /* the ids writes named since (brought up to date at the next read) */
    json_t *result; /* the answer: shared, never changed (a new one at each change) */
    uint64_t used;
};

struct score_memos {
    pthread_mutex_t lock;
    struct score_memo slot[SCORE_MEMO_SLOTS];
    uint64_t clock;
};

static void judging_free(struct judging *j)
{
    if (!j)
        return;
    json_decref(j->fields);
    json_decref(j->rfields);
    json_decref(j->recs);
    json_decref(j->index);
    json_decref(j->reached);
    json_decref(j->reachers);
    json_decref(j->open);
    json_decref(j->names);
    json_decref(j->items);
    json_decref(j->next_due);
    free(j);
}

static void memo_clear(struct score_memo *x)
{
    judging_free(x->j);
    json_decref(x->dirty);
    json_decref(x->result);
    x->j = NULL;
    x->dirty = x->result = NULL;
}

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
    for (size_t i = 0; i < SCORE_MEMO_SLOTS; i++)
        memo_clear(&m->slot[i]);
    pthread_mutex_destroy(&m->lock);
    free(m);
}

void score_memos_mark(struct score_memos *m, const json_t *ids)
{
    pthread_mutex_lock(&m->lock);
    uint64_t gen = cache_generation(); /* the write's bump comes next */
    for (size_t i = 0; i < SCORE_MEMO_SLOTS; i++) {
        struct score_memo *x = &m->slot[i];
        if (!x->result || x->gen != gen)
            continue; /* stale already: judged again whole */
        const char *id;
        json_t *v;
        json_object_foreach ((json_t *)ids, id, v)
            json_object_set_new(x->dirty, id, json_true());
        x->gen = gen + 1;
    }
    pthread_mutex_unlock(&m->lock);
}

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
        json_t *rec = reg_project(strcmp(kind, j->s->kind->id) == 0 ? j->fields : j->rfields,
                                  store_col_text(st, 1), store_col_bytes(st, 1));
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
    json_t *who = json_object_get(j->reachers, id);
    if (!who)
        json_object_set_new(j->reachers, id, who = json_object());
    char p[24];
    snprintf(p, sizeof p, "%zu", pos);
    json_object_set_new(who, p, json_true());
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

/* The live record id, projected, loaded once (NULL: absent or retired;
 * -1 in *rc on a store error). */
static json_t *load_once(struct judging *j, const char *id, int *rc, struct err *e)
{
    json_t *known = json_object_get(j->memo, id);
    if (known)
        return json_is_null(known) ? NULL : known;
    struct rec_row row;
    int found = rec_load(j->c, NULL, id, &row, e);
    if (found < 0) {
        *rc = -1;
        return NULL;
    }
    json_t *rec = found && !row.retired ? reg_project(j->fields, row.data, strlen(row.data)) : NULL;
    if (found)
        rec_row_free(&row);
    json_object_set_new(j->memo, id, rec ? rec : json_null());
    return rec;
}

static void ref_names(void *ctx, const char *id)
{
    struct named *n = ctx;
    if (n->rc < 0)
        return;
    json_t *rec = load_once(n->j, id, &n->rc, n->e);
    if (rec && registry_may_read(n->j->r, n->j->a, rec))
        reach(n->j, n->f, n->pos, rec);
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

/* The open obligations of every factor's policies: subject -> earliest
 * due; only those of `subjects` (a JSON array; NULL: all), forgotten
 * first. */
static int load_open(struct judging *j, const json_t *subjects, struct err *e)
{
    json_t *pols = json_array(), *x;
    size_t i;
    for (size_t f = 0; f < j->s->n_factors; f++)
        for (size_t p = 0; p < j->s->factors[f].n_policies; p++)
            json_array_append_new(pols, json_string(j->s->factors[f].policies[p]->id));
    json_array_foreach (subjects, i, x)
        json_object_del(j->open, json_string_value(x));
    if (json_array_size(pols) == 0) {
        json_decref(pols);
        return 0;
    }
    char *text = json_dumps(pols, JSON_COMPACT), *subj = subjects ? json_dumps(subjects, JSON_COMPACT) : NULL;
    json_decref(pols);
    struct store_stmt *st = store_prepare(j->c, subjects ? OPEN_OF_SQL : OPEN_SQL, true, e);
    if (!st) {
        free(text);
        free(subj);
        return -1;
    }
    store_bind_text(st, 1, text);
    if (subj)
        store_bind_text(st, 2, subj);
    int rc;
    while ((rc = store_step(st, e)) == 1) {
        const char *sj = store_col_text(st, 0), *due = store_col_text(st, 1);
        const char *known = json_string_value(json_object_get(j->open, sj));
        if (!known || strcmp(due, known) < 0)
            json_object_set_new(j->open, sj, json_string(due));
    }
    store_reset(st);
    free(text);
    free(subj);
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

/* A record reached, as an item names it: its id (a reader looks its name up). */
static json_t *ref_of(const json_t *rec)
{
    return json_pack("{s:O}", "id", json_object_get(rec, "id"));
}

static json_t *brief(const json_t *rec)
{
    json_t *o = json_pack("{s:O}", "id", json_object_get(rec, "id"));
    if (json_object_get(rec, "name"))
        json_object_set(o, "name", json_object_get(rec, "name"));
    return o;
}

/* What is kept of a record once its item is made: who it is. */
static json_t *stub(const json_t *rec)
{
    json_t *o = json_object();
    static const char *const keep[] = {"id", "kind", "owner", "name"};
    for (size_t i = 0; i < sizeof keep / sizeof *keep; i++)
        if (json_object_get(rec, keep[i]))
            json_object_set(o, keep[i], json_object_get(rec, keep[i]));
    return o;
}

/* The records reached from the record at pos, once its item is made: their
 * ids (what unreach needs). */
static void compact(struct judging *j, size_t pos)
{
    for (size_t f = 0; f < json_array_size(j->reached); f++) {
        json_t *list = json_array_get(json_array_get(j->reached, f), pos), *ids = json_array(), *x;
        size_t i;
        json_array_foreach (list, i, x)
            json_array_append(ids, json_object_get(x, "id"));
        json_array_set_new(json_array_get(j->reached, f), pos, ids);
    }
    json_array_set_new(j->recs, pos, stub(json_array_get(j->recs, pos)));
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
        worst = json_pack("{s:I, s:s, s:s, s:s}", "item", (json_int_t)i,
                          "due", date_text(due, a, sizeof a), "done",
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
        if (strcmp(due, j->now) > 0) { /* not yet: the item holds until then */
            if (!j->item_due[0] || strcmp(due, j->item_due) < 0)
                snprintf(j->item_due, sizeof j->item_due, "%s", due);
            continue;
        }
        json_t *b = ref_of(x);
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
    return json_pack("{s:o, s:s}", "record", ref_of(best), "on", best_on);
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
        worst = json_pack("{s:o, s:f, s:f, s:f}", "record", ref_of(x), "baseline", base, "target",
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
        if (t)
            json_object_set_new(o, "thresholds", model_score_thresholds_json(s, f, t));
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

/* The item of the scored record at pos (a new object). */
static json_t *item_of(struct judging *j, size_t pos)
{
    const struct model_score *s = j->s;
    const json_t *rec = json_array_get(j->recs, pos);
    json_t *factors = json_array();
    int level = 0;
    j->item_due[0] = '\0';
    for (size_t f = 0; f < s->n_factors; f++) {
        int fl;
        json_array_append_new(factors, factor_result(j, f, pos, rec, &fl));
        level = fl > level ? fl : level;
    }
    json_t *it = brief(rec);
    const char *owner = json_string_value(json_object_get(rec, "owner"));
    json_object_set_new(it, "owner", owner ? json_string(owner) : json_null());
    json_object_set_new(it, "level", json_integer(level));
    set_value(s, it);
    json_object_set_new(it, "factors", factors);
    while (json_array_size(j->next_due) <= pos)
        json_array_append_new(j->next_due, json_null());
    json_array_set_new(j->next_due, pos, j->item_due[0] ? json_string(j->item_due) : json_null());
    return it;
}

/* The earliest due time an item counted as not passed: when it passes,
 * those items are made again. */
static void set_expires(struct judging *j)
{
    const json_t *x;
    size_t i;
    j->expires[0] = '\0';
    json_array_foreach (j->next_due, i, x)
        if (json_is_string(x) && (!j->expires[0] || strcmp(json_string_value(x), j->expires) < 0))
            snprintf(j->expires, sizeof j->expires, "%s", json_string_value(x));
}

/* The answer from the items: the groups by owner (each named), the
 * totals, the items in name order (a new object sharing the items). */
static int answer_of(struct judging *j, json_t **out, struct err *e)
{
    const struct model_score *s = j->s;
    json_t *items = json_array(), *owners = json_object(), *total = new_group(s), *it;
    size_t i;
    json_array_foreach (j->items, i, it) {
        json_array_append(items, it);
        const char *owner = json_string_value(json_object_get(it, "owner"));
        int level = (int)json_integer_value(json_object_get(it, "level"));
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
    int rc = 0;
    json_object_foreach (owners, oid, g) {
        json_object_set_new(g, "owner", *oid ? json_string(oid) : json_null());
        json_t *name = json_object_get(j->names, oid);
        if (!name && *oid) {
            json_t *org = load_once(j, oid, &rc, e);
            name = org ? json_object_get(org, "name") : NULL;
            json_object_set(j->names, oid, name ? name : json_null());
        }
        if (json_is_object(name))
            json_object_set(g, "name", name);
        gs[at++] = g;
    }
    qsort(gs, ng, sizeof *gs, by_level);
    json_t *by = json_array();
    for (i = 0; i < ng; i++) {
        set_value(s, gs[i]);
        json_array_append(by, gs[i]);
    }
    free(gs);
    json_decref(owners);
    set_value(s, total);
    if (rc < 0) {
        json_decref(items);
        json_decref(by);
        json_decref(total);
        return -1;
    }
    char day[16];
    *out = json_pack("{s:s, s:o, s:s, s:s, s:o, s:o, s:o, s:o, s:o}", "score", s->id, "label",
                     model_label_json(s->label), "kind", s->kind->id, "judged_on",
                     date_text(j->today, day, sizeof day), "scale", scale_json(s), "factors",
                     factors_json(s, j->today), "totals", total, "by", by, "items", items);
    return 0;
}

/* Judges every record of the score's kind. */
static int judge_all(struct judging *j, struct err *e)
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
    if (load_open(j, NULL, e) < 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(j->items, item_of(j, i));
        compact(j, i);
    }
    set_expires(j);
    return 0;
}

static void add_position(json_t *set, const char *pos)
{
    json_object_set_new(set, pos, json_true());
}

/* Forgets what factor f reached from the record at pos. */
static void unreach(struct judging *j, size_t f, size_t pos)
{
    json_t *list = json_array_get(json_array_get(j->reached, f), pos), *x;
    size_t i;
    char p[24];
    snprintf(p, sizeof p, "%zu", pos);
    json_array_foreach (list, i, x) {
        const char *id = json_is_string(x) ? json_string_value(x)
                                           : json_string_value(json_object_get(x, "id"));
        json_t *who = json_object_get(j->reachers, id);
        json_object_del(who, p);
        if (who && !json_object_size(who))
            json_object_del(j->reachers, id);
    }
    json_array_set_new(json_array_get(j->reached, f), pos, json_array());
}

/* What factor f's step reaches from the one record at pos (a referenced_by
 * step: one query over the `_ref` index). */
static int reach_one(struct judging *j, size_t f, size_t pos, struct err *e)
{
    const struct model_step *st = &j->s->factors[f].step;
    const json_t *rec = json_array_get(j->recs, pos);
    if (st->type == STEP_REF) {
        struct named n = {j, f, pos, 0, e};
        each_id(rec, st->field, ref_names, &n);
        return n.rc;
    }
    json_t *kinds = json_array();
    for (size_t k = 0; k < st->n_kinds; k++)
        json_array_append_new(kinds, json_string(st->kinds[k]));
    char *text = json_dumps(kinds, JSON_COMPACT);
    json_decref(kinds);
    struct store_stmt *q = store_prepare(j->c, REG_REFERRERS_SQL, true, e);
    if (!q) {
        free(text);
        return -1;
    }
    json_t *frontier = json_pack("[O]", json_object_get(rec, "id"));
    char *ids = json_dumps(frontier, JSON_COMPACT);
    json_decref(frontier);
    store_bind_text(q, 1, ids);
    store_bind_text(q, 2, text);
    int rc;
    while ((rc = store_step(q, e)) == 1) {
        json_t *x = reg_project(j->rfields, store_col_text(q, 1), store_col_bytes(q, 1));
        if (!x) {
            rc = -1;
            err_internal(e, "stored record '%.60s' is not valid JSON", store_col_text(q, 0));
            break;
        }
        struct referrer rf = {j, f, x};
        if (registry_may_read(j->r, j->a, x))
            each_id(x, st->field, referrer_names, &rf); /* it names this one through that field */
        json_decref(x);
    }
    store_reset(q);
    free(ids);
    free(text);
    return rc < 0 ? -1 : 0;
}

/* Brings j up to date with the records that writes named (dirty): each
 * scored record named, or that reaches a record named, read again with
 * what it reaches and its open obligations. 1 done; 0 when it must be
 * judged again whole (a scored record made, retired, renamed or hidden);
 * -1 on a store error. */
static int judge_changes(struct judging *j, const json_t *dirty, struct err *e)
{
    const struct model_score *s = j->s;
    if (json_object_size(dirty) > SCORE_DIRTY_MAX)
        return 0;
    json_t *affected = json_object();
    const char *id, *p;
    json_t *v, *who;
    size_t id_i;
    int rc = 1;
    /* the items that counted a deadline as not passed, which has passed */
    json_array_foreach (j->next_due, id_i, v)
        if (json_is_string(v) && strcmp(json_string_value(v), j->now) <= 0) {
            char at[24];
            snprintf(at, sizeof at, "%zu", id_i);
            add_position(affected, at);
        }
    json_object_foreach ((json_t *)dirty, id, v) {
        json_t *pos = json_object_get(j->index, id);
        if (pos) {
            char at[24];
            snprintf(at, sizeof at, "%lld", (long long)json_integer_value(pos));
            add_position(affected, at);
        }
        if ((who = json_object_get(j->reachers, id)))
            json_object_foreach (who, p, v)
                add_position(affected, p);
        json_object_del(j->names, id); /* an owner renamed: named again */
        if (pos || who)
            continue;
        /* a record of the scored kind the readers see for the first time */
        int found = 0;
        json_t *x = load_once(j, id, &found, e);
        if (found < 0) {
            rc = -1;
            break;
        }
        if (x && strcmp(json_string_value(json_object_get(x, "kind")), s->kind->id) == 0 &&
            registry_may_read(j->r, j->a, x)) {
            rc = 0;
            break;
        }
    }
    json_t *subjects = json_array();
    json_object_foreach (rc == 1 ? affected : NULL, p, v) {
        size_t pos = (size_t)strtoull(p, NULL, 10);
        const json_t *old = json_array_get(j->recs, pos);
        int found = 0;
        json_t *rec = load_once(j, json_string_value(json_object_get(old, "id")), &found, e);
        if (found < 0) {
            rc = -1;
            break;
        }
        if (!rec || !registry_may_read(j->r, j->a, rec) ||
            !json_equal(json_object_get(rec, "name"), json_object_get(old, "name"))) {
            rc = 0; /* retired, hidden or renamed: the list changes */
            break;
        }
        json_array_set(j->recs, pos, rec);
        for (size_t f = 0; f < s->n_factors && rc == 1; f++) {
            if (s->factors[f].op < SCORE_OVERDUE)
                continue;
            unreach(j, f, pos);
            if (reach_one(j, f, pos, e) < 0)
                rc = -1;
            const json_t *x;
            size_t i;
            json_array_foreach (json_array_get(json_array_get(j->reached, f), pos), i, x) {
                const struct model_kind *k =
                    model_kind(j->r->model, json_string_value(json_object_get(x, "kind")));
                char subj[256];
                snprintf(subj, sizeof subj, "%s/%s", k ? k->collection : "",
                         json_string_value(json_object_get(x, "id")));
                json_array_append_new(subjects, json_string(subj));
            }
        }
    }
    if (rc == 1 && json_array_size(subjects) && load_open(j, subjects, e) < 0)
        rc = -1;
    json_object_foreach (rc == 1 ? affected : NULL, p, v) {
        size_t pos = (size_t)strtoull(p, NULL, 10);
        json_array_set_new(j->items, pos, item_of(j, pos));
        compact(j, pos);
    }
    if (rc == 1)
        set_expires(j);
    json_decref(subjects);
    json_decref(affected);
    return rc;
}

static void add_name(json_t *set, const char *name)
{
    if (name)
        json_object_set_new(set, name, json_true());
}

static void add_cond(json_t *set, const struct model_cond *c)
{
    for (size_t i = 0; i < c->n_terms; i++)
        add_name(set, c->terms[i].field);
}

/* The members of the records a score reads: the envelope and what tells
 * who may read them (kind, owner, the workflows' status fields), and every
 * member its factors name. */
static json_t *score_fields(const struct model *m, const struct model_score *s)
{
    json_t *set = reg_reading_members(m);
    for (size_t i = 0; i < s->n_factors; i++) {
        const struct model_score_factor *f = &s->factors[i];
        const char *names[] = {f->items,    f->step.field, f->order,        f->field,
                               f->baseline, f->target,     f->actual_items};
        for (size_t n = 0; n < sizeof names / sizeof *names; n++)
            add_name(set, names[n]);
        add_cond(set, &f->when);
        add_cond(set, &f->reached_when);
    }
    return set;
}

static void memo_key(const struct model_score *s, const struct actor *a, char *key, size_t n)
{
    snprintf(key, n, "%s\x1f%d\x1f%d\x1f%u\x1f%s", s->id, a->system, a->user[0] != 0,
             (unsigned)a->roles, a->org);
}

/* Sets what a judging needs for one use (the reader, the connection, today). */
static void judging_use(struct judging *j, struct registry *r, const struct actor *a,
                        const struct model_score *s)
{
    j->r = r;
    j->a = a;
    j->s = s;
    j->c = store_conn(r->store);
    j->today = registry_today(r);
    time_format_rfc3339(time_now_ms(), j->now, sizeof j->now);
    j->memo = json_object();
}

static void judging_done(struct judging *j)
{
    json_decref(j->memo);
    j->memo = NULL;
}

/* The kept answer of slot x, brought up to date, into *out (and *index):
 * 1, or 0 when there is none to use, -1 on an error. Under the lock. */
static int memo_answer(struct score_memo *x, struct registry *r, const struct actor *a,
                       const struct model_score *s, json_t **out, json_t **index, struct err *e)
{
    if (!x->result || x->gen != cache_generation() || x->day != registry_today(r))
        return 0;
    struct judging *j = x->j;
    judging_use(j, r, a, s);
    /* records written since, or a deadline it counted as not passed has passed */
    if (json_object_size(x->dirty) || (j->expires[0] && strcmp(j->now, j->expires) >= 0)) {
        int64_t t0 = time_now_ms();
        size_t n = json_object_size(x->dirty);
        int rc = judge_changes(j, x->dirty, e);
        json_t *result = NULL;
        if (rc == 1 && answer_of(j, &result, e) < 0)
            rc = -1;
        if (rc <= 0) {
            judging_done(j);
            memo_clear(x); /* half brought up to date: judged again whole */
            return rc;
        }
        json_decref(x->result);
        x->result = result;
        json_object_clear(x->dirty);
        log_msg(LOG_DEBUG, "scores: %s: brought up to date with %zu records in %lld ms", s->id, n,
                (long long)(time_now_ms() - t0));
    }
    judging_done(j);
    *out = json_incref(x->result);
    if (index)
        *index = json_incref(j->index);
    return 1;
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
    char key[320];
    memo_key(s, a, key, sizeof key);
    struct score_memos *m = r->scores;
    pthread_mutex_lock(&m->lock);
    for (size_t i = 0; i < SCORE_MEMO_SLOTS; i++) {
        struct score_memo *x = &m->slot[i];
        if (!x->result || strcmp(x->key, key) != 0)
            continue;
        int rc = memo_answer(x, r, a, s, out, index, e);
        if (rc != 0) {
            x->used = ++m->clock;
            pthread_mutex_unlock(&m->lock);
            return rc < 0 ? -1 : 0;
        }
    }
    pthread_mutex_unlock(&m->lock);
    /* judged whole, outside the lock: writes meanwhile leave it stale */
    uint64_t gen = cache_generation();
    struct judging *j = xcalloc(1, sizeof *j);
    judging_use(j, r, a, s);
    j->fields = score_fields(r->model, s);
    j->rfields = json_deep_copy(j->fields);
    json_object_del(j->rfields, "name");
    j->recs = json_array();
    j->index = json_object();
    j->reached = json_array();
    j->reachers = json_object();
    j->open = json_object();
    j->names = json_object();
    j->items = json_array();
    j->next_due = json_array();
    int64_t t0 = time_now_ms();
    int rc = judge_all(j, e);
    if (rc == 0)
        rc = answer_of(j, out, e);
    judging_done(j);
    if (rc < 0) {
        judging_free(j);
        return -1;
    }
    log_msg(LOG_INFO, "scores: %s: %zu records judged in %lld ms", s->id, json_array_size(j->recs),
            (long long)(time_now_ms() - t0));
    if (index)
        *index = json_incref(j->index);
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
    memo_clear(slot);
    snprintf(slot->key, sizeof slot->key, "%s", key);
    slot->gen = gen;
    slot->day = j->today;
    slot->j = j;
    slot->dirty = json_object();
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
