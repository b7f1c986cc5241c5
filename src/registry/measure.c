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

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The most records one measure is taken over. */
#define MEASURE_MAX_RECORDS 20000

struct mwalk {
    struct path_walk walk;
    json_t *done; /* source id -> true / false, judged once */
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
    *out = NULL;
    const struct model_kind *k =
        model_kind(r->model, json_string_value(json_object_get(rec, "kind")));
    if (!k || !k->n_measures)
        return 0;
    struct mwalk w = {{r, store_conn(r->store), a, MEASURE_MAX_RECORDS, NULL}, json_object()};
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
    return registry_part_text(r, a, "measures", registry_measures,
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
        struct mwalk w = {{r, store_conn(r->store), a, MEASURE_MAX_RECORDS, NULL}, json_object()};
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
    struct mwalk w = {{r, store_conn(r->store), a, MEASURE_MAX_RECORDS, NULL}, json_object()};
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
