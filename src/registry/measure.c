/* measure: the computed measures the model declares (section "measures",
 * kinds' "measures"), e.g. the digitisation level of master data (REQ
 * ARC-06, ARC-17). A record's measure is taken over the records its kind's
 * paths reach from it (its chain of bases, the types below it, the master
 * data of a domain, the data a function accesses…): the items of their
 * measured list field, each counted once per record, and those "done" (an
 * attribute whose storage source is an object in operation). Only what the
 * reader may read counts: a record, relation or source they may not read
 * does not exist for them (the paths are walked by walk.c). Computed at
 * each read, kept until the next write per record and reader (cache.h),
 * never stored. */
#include "internal.h"

#include "cache.h"
#include "fidx.h"
#include "relidx.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The most records one measure is taken over. */
#define MEASURE_MAX_RECORDS 20000

struct mwalk {
    struct path_walk walk;
    json_t *done; /* source id -> true / false, judged once */
    int reads_all; /* does the reader read every unpublished record (-1: not asked yet) */
};

/* The live record id if the reader may read it (new reference), else
 * NULL; -1 in *rc on a storage error. */
static json_t *readable(struct mwalk *w, const char *id, int *rc, struct err *e)
{
    struct rec_row row;
    int found = rec_load(w->walk.c, NULL, id, &row, e);
    if (found < 0)
        *rc = -1;
    if (found <= 0)
        return NULL;
    json_t *rec = row.retired ? NULL : json_loads(row.data, 0, NULL);
    rec_row_free(&row);
    if (rec && !registry_may_read(w->walk.r, w->walk.a, rec)) {
        json_decref(rec);
        rec = NULL;
    }
    return rec;
}

/* Into *reached (initialised here): the records km's paths reach from rec. */
static int reach(struct mwalk *w, const struct model_kind_measure *km, const json_t *rec,
                 struct walk_set *reached, struct err *e)
{
    struct walk_set from;
    walk_set_init(&from, 1);
    walk_set_add(&from, json_incref((json_t *)rec));
    walk_set_init(reached, MEASURE_MAX_RECORDS);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < km->n_paths; i++) {
        struct walk_set one;
        rc = walk_path(&w->walk, &km->paths[i], &from, MEASURE_MAX_RECORDS, &one, e);
        if (rc == 0) {
            walk_set_add_all(reached, &one);
            walk_set_free(&one);
        }
    }
    walk_set_free(&from);
    return rc;
}

/* The memory index's sets of a field's values (under its read lock) into
 * out[0..n); -1 when it does not hold that field of kind k: only a
 * filterable enum or boolean is there as model_cond_holds reads it (one
 * value, as text). */
static int value_sets(struct registry *r, struct arena *ar, const struct model_kind *k,
                      const char *field, const char *const *values, size_t n, struct rids *out)
{
    const struct model_field *f = model_field(k, field);
    if (!f || !f->filterable || (f->type != FT_ENUM && f->type != FT_BOOL) ||
        !reg_field_in_memory(r->model, k->collection, field))
        return -1;
    const char *key = arena_printf(ar, "%s:%s", k->collection, field);
    for (size_t i = 0; i < n; i++)
        out[i] = fidx_get(r->fidx, fidx_key_field(ar, key, values[i]));
    return 0;
}

static bool in_any(const struct rids *sets, size_t n, uint32_t rid)
{
    for (size_t i = 0; i < n; i++)
        if (rids_has(sets[i], rid))
            return true;
    return false;
}

/* How the memory index judges the items whose source is of one kind. */
struct kind_judge {
    const struct model_kind *k;
    bool unsure;      /* it cannot (a field it does not hold) */
    bool none;        /* the reader reads no record of the kind */
    struct rids *pub; /* the published states' sets (NULL: every record may be read) */
    size_t n_pub;
    struct rids *cond; /* done_when's values' sets, term after term */
    size_t *n_cond;    /* per term */
};

static void judge_init(struct mwalk *w, struct arena *ar, const struct model_measure *ms,
                       const struct model_kind *k, struct kind_judge *j)
{
    struct registry *r = w->walk.r;
    const struct actor *a = w->walk.a;
    *j = (struct kind_judge){.k = k};
    j->n_cond = arena_calloc(ar, ms->done_when.n_terms + 1, sizeof *j->n_cond);
    size_t n_values = 0;
    for (size_t i = 0; i < ms->done_when.n_terms; i++)
        n_values += ms->done_when.terms[i].n_values;
    j->cond = arena_calloc(ar, n_values + 1, sizeof *j->cond);
    struct rids *at = j->cond;
    for (size_t i = 0; !j->unsure && i < ms->done_when.n_terms; i++) {
        const struct model_cond_term *t = &ms->done_when.terms[i];
        j->unsure = t->presence || value_sets(r, ar, k, t->field, t->values, t->n_values, at) < 0;
        j->n_cond[i] = t->n_values;
        at += t->n_values;
    }
    /* the reader's rights, as registry_may_read judges a record */
    if (j->unsure || a->system || !k->workflow)
        return;
    j->none = !a->user[0] && k->read_signed_in;
    const struct model_workflow *wf = k->workflow;
    const char **published = arena_calloc(ar, wf->n_states + 1, sizeof *published);
    for (size_t i = 0; i < wf->n_states; i++)
        if (wf->states[i].published)
            published[j->n_pub++] = wf->states[i].id;
    j->pub = arena_calloc(ar, j->n_pub + 1, sizeof *j->pub);
    j->unsure = value_sets(r, ar, k, wf->status_field, published, j->n_pub, j->pub) < 0;
}

/* 1 done, 0 not, -1 the index cannot tell. */
static int judge(struct mwalk *w, const struct kind_judge *j, const struct model_measure *ms,
                 uint32_t rid)
{
    if (j->unsure)
        return -1;
    const struct rids *at = j->cond;
    for (size_t i = 0; i < ms->done_when.n_terms; i++) {
        if (!in_any(at, j->n_cond[i], rid))
            return 0; /* not done, whoever reads it */
        at += j->n_cond[i];
    }
    if (j->none)
        return 0;
    if (!j->pub || in_any(j->pub, j->n_pub, rid))
        return 1;
    /* unpublished: readable by whoever reads every organisation's, and
     * for the others it depends on its organisation (read the record) */
    if (w->reads_all < 0)
        w->reads_all = reg_reads_unpublished(w->walk.r, w->walk.a, NULL);
    return w->reads_all ? 1 : -1;
}

#define JUDGE_KINDS 8

/* Judges, from the memory index, the items of the records reached whose
 * source it can judge without reading that record (into w->done): the
 * relations graph knows every record's row id, kind and life, the filter
 * index its enum fields' values. The others (a condition on a field it
 * does not hold, an unpublished record of an organisation the reader may
 * or may not read…) are left to item_done, which reads the record. The
 * index follows the committed writes as the lists see them. */
static void judge_in_memory(struct mwalk *w, const struct model_measure *ms, const json_t *recs)
{
    struct registry *r = w->walk.r;
    if (!fidx_ready(r->fidx))
        return;
    struct arena *ar = arena_new();
    struct kind_judge kinds[JUDGE_KINDS];
    size_t n_kinds = 0;
    fidx_read_lock(r->fidx);
    const struct relidx *g = fidx_graph(r->fidx);
    size_t i, j;
    const json_t *rec, *item;
    json_array_foreach (recs, i, rec) {
        json_array_foreach (json_object_get(rec, ms->items), j, item) {
            const char *ref = json_string_value(json_object_get(item, ms->done_ref));
            uint32_t rid;
            const char *kind;
            bool live;
            if (!ref || json_object_get(w->done, ref) || !relidx_node(g, ref, &rid, &kind, &live))
                continue;
            int done = live ? -1 : 0; /* retired, or no such record: not for anyone */
            const struct model_kind *k = live && kind ? model_kind(r->model, kind) : NULL;
            if (k && k->collection && !k->is_relation && rid) {
                size_t at = 0;
                while (at < n_kinds && kinds[at].k != k)
                    at++;
                if (at == n_kinds && n_kinds < JUDGE_KINDS)
                    judge_init(w, ar, ms, k, &kinds[n_kinds++]);
                done = at < n_kinds ? judge(w, &kinds[at], ms, rid) : -1;
            }
            if (done >= 0)
                json_object_set_new(w->done, ref, json_boolean(done));
        }
    }
    fidx_read_unlock(r->fidx);
    arena_free(ar);
}

/* Is the item done: does its done_ref name a record the reader may read
 * for which done_when holds? */
static int item_done(struct mwalk *w, const struct model_measure *ms, const json_t *item,
                     struct err *e)
{
    const char *ref = json_string_value(json_object_get(item, ms->done_ref));
    if (!ref)
        return 0;
    const json_t *known = json_object_get(w->done, ref);
    if (known)
        return json_is_true(known);
    int rc = 0;
    json_t *t = readable(w, ref, &rc, e);
    if (rc < 0)
        return -1;
    bool done = t && model_cond_holds(&ms->done_when, t, registry_today(w->walk.r));
    json_decref(t);
    json_object_set_new(w->done, ref, json_boolean(done));
    return done;
}

static int measure_of(struct mwalk *w, const struct model_kind_measure *km, const json_t *rec,
                      long *items, long *done, struct err *e)
{
    struct walk_set reached;
    int rc = reach(w, km, rec, &reached, e);
    *items = *done = 0;
    if (rc == 0)
        judge_in_memory(w, km->measure, reached.recs);
    size_t i;
    json_t *r;
    json_array_foreach (reached.recs, i, r) {
        size_t j;
        const json_t *item;
        json_array_foreach (json_object_get(r, km->measure->items), j, item) {
            int d = rc == 0 ? item_done(w, km->measure, item, e) : 0;
            rc = d < 0 ? -1 : rc;
            (*items)++;
            *done += d > 0;
        }
    }
    walk_set_free(&reached);
    return rc;
}

json_t *registry_measure_json(long items, long done)
{
    json_t *level =
        items ? json_real(round(1000.0 * (double)done / (double)items) / 1000.0) : json_null();
    return json_pack("{s:I, s:I, s:o}", "items", (json_int_t)items, "done", (json_int_t)done,
                     "level", level);
}

int registry_measures(struct registry *r, const struct actor *a, const json_t *rec, json_t **out,
                      struct err *e)
{
    return reg_measures_memo(r, a, rec, NULL, out, e);
}

int reg_measures_memo(struct registry *r, const struct actor *a, const json_t *rec, json_t *memo,
                      json_t **out, struct err *e)
{
    *out = NULL;
    const struct model_kind *k =
        model_kind(r->model, json_string_value(json_object_get(rec, "kind")));
    if (!k || !k->n_measures)
        return 0;
    struct mwalk w = {
        {r, store_conn(r->store), a, MEASURE_MAX_RECORDS, NULL, memo}, json_object(), -1};
    json_t *ms = json_object();
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < k->n_measures; i++) {
        long items, done;
        rc = measure_of(&w, &k->measures[i], rec, &items, &done, e);
        json_object_set_new(ms, k->measures[i].measure->id, registry_measure_json(items, done));
    }
    json_decref(w.done);
    if (rc < 0) {
        json_decref(ms);
        return -1;
    }
    *out = ms;
    return 0;
}

int registry_measures_text(struct registry *r, const struct actor *a, const char *id,
                           const char *json, char **out, struct err *e)
{
    return registry_part_text(r, a, "measures", reg_measures_memo,
                              JSON_COMPACT | JSON_REAL_PRECISION(6), id, json, out, e);
}

int registry_measures_kept(struct registry *r, const struct actor *a, const json_t *rec,
                           json_t **out, struct err *e)
{
    *out = NULL;
    const char *id = json_string_value(json_object_get(rec, "id"));
    char *json = json_dumps(rec, JSON_COMPACT), *text = NULL;
    int rc = id && json ? registry_measures_text(r, a, id, json, &text, e)
                        : registry_measures(r, a, rec, out, e);
    free(json);
    if (text)
        *out = json_loads(text, 0, NULL);
    free(text);
    return rc;
}

int registry_measure(struct registry *r, const struct actor *a, const char *measure, const char *id,
                     long *items, long *done, struct err *e)
{
    *items = *done = 0;
    json_t *rec = NULL;
    if (registry_get_visible(r, a, NULL, id, &rec, e) < 0)
        return -1;
    const struct model_kind *k =
        model_kind(r->model, json_string_value(json_object_get(rec, "kind")));
    const struct model_kind_measure *km = model_kind_measure(k, measure);
    int rc = 0;
    if (km) {
        struct mwalk w = {
            {r, store_conn(r->store), a, MEASURE_MAX_RECORDS, NULL, NULL}, json_object(), -1};
        rc = measure_of(&w, km, rec, items, done, e);
        json_decref(w.done);
    }
    json_decref(rec);
    return rc;
}

int registry_measure_records(struct registry *r, const struct actor *a,
                             const struct model_kind_measure *km, const json_t *rec, json_t **out,
                             struct err *e)
{
    struct mwalk w = {
        {r, store_conn(r->store), a, MEASURE_MAX_RECORDS, NULL, NULL}, json_object(), -1};
    struct walk_set reached;
    int rc = reach(&w, km, rec, &reached, e);
    json_decref(w.done);
    *out = rc == 0 ? json_incref(reached.recs) : NULL;
    walk_set_free(&reached);
    return rc;
}

/* The measure the other pages ask for by this name (i15-s2's shared
 * signature): the model's measure "digitisation", wherever a kind declares
 * it. */
int registry_digitisation(struct registry *r, const struct actor *a, const char *id,
                          long *attributes, long *digitised, struct err *e)
{
    return registry_measure(r, a, "digitisation", id, attributes, digitised, e);
}
