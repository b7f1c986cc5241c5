/* measure: the computed measures the model declares (section "measures",
 * kinds' "measures"), e.g. the digitisation level of master data (REQ
 * ARC-06, ARC-17). A record's measure is taken over the records its kind's
 * paths reach from it (its chain of bases, the types below it, the master
 * data of a domain, the data a function accesses…): the items of their
 * measured list field, each counted once per record, and those "done" (an
 * attribute whose storage source is an object in operation). Only what the
 * reader may read counts: a record, relation or source they may not read
 * does not exist for them. Computed at each read, kept until the next
 * write per record and reader (cache.h), never stored. */
#include "internal.h"

#include "cache.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The most records one measure is taken over. */
#define MEASURE_MAX_RECORDS 20000

struct mwalk {
    struct registry *r;
    struct store_conn *c;
    const struct actor *a;
    json_t *done; /* source id -> true / false, judged once */
};

/* The live record id if the reader may read it (new reference), else
 * NULL; -1 in *rc on a storage error. */
static json_t *readable(struct mwalk *w, const char *id, int *rc, struct err *e)
{
    struct rec_row row;
    int found = rec_load(w->c, NULL, id, &row, e);
    if (found < 0)
        *rc = -1;
    if (found <= 0)
        return NULL;
    json_t *rec = row.retired ? NULL : json_loads(row.data, 0, NULL);
    rec_row_free(&row);
    if (rec && !registry_may_read(w->r, w->a, rec)) {
        json_decref(rec);
        rec = NULL;
    }
    return rec;
}

/* Adds rec (stolen) to set under its id unless there; false if it was. */
static bool add(json_t *set, json_t *rec)
{
    const char *id = json_string_value(json_object_get(rec, "id"));
    if (!id || json_object_get(set, id) || json_object_size(set) >= MEASURE_MAX_RECORDS) {
        json_decref(rec);
        return false;
    }
    json_object_set_new(set, id, rec);
    return true;
}

/* The records of the step's kinds whose field names `id`. */
static int referenced_by(struct mwalk *w, const struct model_step *st, const char *id, json_t *next,
                         struct err *e)
{
    static const char SQL[] =
        "SELECT d.data FROM attrs a JOIN records r ON r.rid = a.rid AND r.retired = 0 "
        "JOIN record_data d ON d.rid = r.rid WHERE a.field = '_ref' AND a.value = $1 "
        "AND r.kind IN (SELECT value FROM json_each($2))";
    json_t *kinds = json_array();
    for (size_t i = 0; i < st->n_kinds; i++)
        json_array_append_new(kinds, json_string(st->kinds[i]));
    char *ks = json_dumps(kinds, JSON_COMPACT);
    json_decref(kinds);
    struct store_stmt *q = store_prepare(w->c, SQL, true, e);
    if (!q) {
        free(ks);
        return -1;
    }
    store_bind_text(q, 1, id);
    store_bind_text(q, 2, ks);
    int rc;
    while ((rc = store_step(q, e)) == STORE_ROW) {
        json_t *rec = json_loads(store_col_text(q, 0), 0, NULL);
        const char *v = json_string_value(json_object_get(rec, st->field));
        if (v && strcmp(v, id) == 0 && registry_may_read(w->r, w->a, rec))
            add(next, rec);
        else
            json_decref(rec);
    }
    store_reset(q);
    free(ks);
    return rc == STORE_ERROR ? -1 : 0;
}

/* The other ends of id's live relations of the step's type that the
 * reader may read. */
static int related(struct mwalk *w, const struct model_step *st, const char *id, json_t *next,
                   struct err *e)
{
    static const char SQL[] =
        "SELECT d.data, b.value FROM attrs a JOIN records r ON r.rid = a.rid AND r.retired = 0 "
        "AND r.kind = $2 JOIN record_data d ON d.rid = r.rid "
        "JOIN attrs b ON b.rid = r.rid AND b.field = $3 WHERE a.field = $4 AND a.value = $1";
    struct store_stmt *q = store_prepare(w->c, SQL, true, e);
    if (!q)
        return -1;
    store_bind_text(q, 1, id);
    store_bind_text(q, 2, st->relation);
    store_bind_text(q, 3, st->out ? "target" : "source");
    store_bind_text(q, 4, st->out ? "source" : "target");
    char **ends = NULL;
    size_t n = 0;
    int rc;
    while ((rc = store_step(q, e)) == STORE_ROW) {
        json_t *rel = json_loads(store_col_text(q, 0), 0, NULL);
        if (rel && registry_may_read(w->r, w->a, rel)) {
            ends = xrealloc(ends, (n + 1) * sizeof *ends);
            ends[n++] = xstrdup(store_col_text(q, 1));
        }
        json_decref(rel);
    }
    store_reset(q);
    int out = rc == STORE_ERROR ? -1 : 0;
    for (size_t i = 0; i < n; i++) {
        json_t *end = out == 0 ? readable(w, ends[i], &out, e) : NULL;
        if (end)
            add(next, end);
        free(ends[i]);
    }
    free(ends);
    return out;
}

/* One pass of a step from every record of `from` into `next`. */
static int step_once(struct mwalk *w, const struct model_step *st, const json_t *from, json_t *next,
                     struct err *e)
{
    const char *id;
    json_t *rec;
    int rc = 0;
    json_object_foreach ((json_t *)from, id, rec) {
        if (st->type == MSTEP_REF) {
            const json_t *v = json_object_get(rec, st->field);
            size_t i, n = json_is_array(v) ? json_array_size(v) : 1;
            for (i = 0; rc == 0 && i < n; i++) {
                const char *to = json_string_value(json_is_array(v) ? json_array_get(v, i) : v);
                json_t *t = to ? readable(w, to, &rc, e) : NULL;
                if (t)
                    add(next, t);
            }
        } else if (st->type == MSTEP_REFERENCED_BY)
            rc = referenced_by(w, st, id, next, e);
        else
            rc = related(w, st, id, next, e);
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* A step, again and again from what it newly reached when it repeats. */
static int step(struct mwalk *w, const struct model_step *st, const json_t *from, json_t *out,
                struct err *e)
{
    json_t *frontier = json_deep_copy(from);
    for (int depth = 0; json_object_size(frontier) && depth <= MODEL_INHERIT_MAX_DEPTH; depth++) {
        json_t *next = json_object();
        if (step_once(w, st, frontier, next, e) < 0) {
            json_decref(next);
            json_decref(frontier);
            return -1;
        }
        json_decref(frontier);
        frontier = json_object();
        const char *id;
        json_t *rec;
        json_object_foreach (next, id, rec)
            if (add(out, json_incref(rec)))
                json_object_set(frontier, id, rec);
        json_decref(next);
        if (!st->repeat)
            break;
    }
    json_decref(frontier);
    return 0;
}

/* Adds to `reached` the records the path reaches from rec. */
static int walk_path(struct mwalk *w, const struct model_path *p, const json_t *rec,
                     json_t *reached, struct err *e)
{
    json_t *at = json_object();
    add(at, json_incref((json_t *)rec));
    for (size_t i = 0; i < p->n_steps; i++) {
        json_t *next = json_object();
        if (step(w, &p->steps[i], at, next, e) < 0) {
            json_decref(next);
            json_decref(at);
            return -1;
        }
        json_decref(at);
        at = next;
    }
    const char *id;
    json_t *r;
    json_object_foreach (at, id, r)
        add(reached, json_incref(r));
    json_decref(at);
    return 0;
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
    bool done = t && model_cond_holds(&ms->done_when, t);
    json_decref(t);
    json_object_set_new(w->done, ref, json_boolean(done));
    return done;
}

static int measure_of(struct mwalk *w, const struct model_kind_measure *km, const json_t *rec,
                      long *items, long *done, struct err *e)
{
    json_t *reached = json_object();
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < km->n_paths; i++)
        rc = walk_path(w, &km->paths[i], rec, reached, e);
    *items = *done = 0;
    const char *id;
    json_t *r;
    json_object_foreach (reached, id, r) {
        size_t j;
        const json_t *item;
        json_array_foreach (json_object_get(r, km->measure->items), j, item) {
            int d = rc == 0 ? item_done(w, km->measure, item, e) : 0;
            rc = d < 0 ? -1 : rc;
            (*items)++;
            *done += d > 0;
        }
    }
    json_decref(reached);
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
    *out = NULL;
    const struct model_kind *k =
        model_kind(r->model, json_string_value(json_object_get(rec, "kind")));
    if (!k || !k->n_measures)
        return 0;
    struct mwalk w = {r, store_conn(r->store), a, json_object()};
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
    *out = NULL;
    char key[320];
    snprintf(key, sizeof key, "measures\x1f%s\x1f%d\x1f%u\x1f%s", id, a->system, (unsigned)a->roles,
             a->org);
    uint64_t gen = cache_generation();
    char *hit = NULL;
    if (cache_get(key, &hit)) {
        if (*hit)
            *out = hit;
        else
            free(hit);
        return 0;
    }
    json_t *rec = json_loads(json, 0, NULL), *ms = NULL;
    if (!rec) {
        err_set(e, 500, "internal", "", "stored record is not JSON");
        return -1;
    }
    int rc = registry_measures(r, a, rec, &ms, e);
    json_decref(rec);
    if (rc < 0)
        return -1;
    char *text = ms ? json_dumps(ms, JSON_COMPACT | JSON_REAL_PRECISION(6)) : NULL;
    json_decref(ms);
    cache_put(key, text ? text : "", gen);
    *out = text;
    return 0;
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
        struct mwalk w = {r, store_conn(r->store), a, json_object()};
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
    struct mwalk w = {r, store_conn(r->store), a, json_object()};
    json_t *reached = json_object();
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < km->n_paths; i++)
        rc = walk_path(&w, &km->paths[i], rec, reached, e);
    json_decref(w.done);
    *out = json_array();
    const char *id;
    json_t *x;
    json_object_foreach (reached, id, x)
        json_array_append(*out, x);
    json_decref(reached);
    if (rc < 0) {
        json_decref(*out);
        *out = NULL;
    }
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
