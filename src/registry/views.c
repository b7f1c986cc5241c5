/* views: a record's view as its kind declares it (model key "views",
 * issue 15): each section's records, reached from the record (or from
 * earlier sections) step by step, and each diagram's edges among them.
 *
 * Rights apply at every step: a record the reader may not read does not
 * exist, so a path never goes through it, and a relation is crossed only
 * when its far end may be read (its near end, in the frontier, may be).
 * Each step is one SQL query for the whole frontier, over the filter
 * index's `_ref`, `source` and `target` entries (attrs). Sections are
 * bounded: REGISTRY_VIEW_MAX_RECORDS records each (or the caller's cap), and a step reaches at
 * most REGISTRY_VIEW_MAX_REACH; `truncated` says a section was cut. */
#include "internal.h"

#include <string.h>

/* The records of kinds $2 (a JSON array) that refer to a record of the
 * frontier ($1, a JSON array of ids). */
static const char REFERRERS_SQL[] =
    "SELECT DISTINCT r.id, d.data, r.sort_name, r.rid FROM attrs a "
    "JOIN records r ON r.rid = a.rid AND r.retired = 0 JOIN record_data d ON d.rid = r.rid "
    "WHERE a.field = '_ref' AND a.value IN (SELECT value FROM json_each($1)) "
    "AND r.kind IN (SELECT value FROM json_each($2)) ORDER BY r.sort_name, r.rid";

/* The far ends ($3: "source" or "target") of the live relations of type $2
 * whose near end ($1) is in the frontier ($4). */
static const char FAR_ENDS_SQL[] =
    "SELECT DISTINCT o.id, od.data, o.sort_name, o.rid FROM attrs a "
    "JOIN records r ON r.rid = a.rid AND r.retired = 0 AND r.kind = $2 "
    "JOIN attrs b ON b.rid = r.rid AND b.field = $3 "
    "JOIN records o ON o.id = b.value AND o.retired = 0 JOIN record_data od ON od.rid = o.rid "
    "WHERE a.field = $1 AND a.value IN (SELECT value FROM json_each($4)) "
    "ORDER BY o.sort_name, o.rid";

/* The live relations of the types $2 with both ends among the records $1
 * (JSON arrays). */
static const char AMONG_SQL[] =
    "SELECT d.data FROM attrs a JOIN records r ON r.rid = a.rid AND r.retired = 0 "
    "AND r.kind IN (SELECT value FROM json_each($2)) "
    "JOIN attrs b ON b.rid = r.rid AND b.field = 'target' "
    "AND b.value IN (SELECT value FROM json_each($1)) JOIN record_data d ON d.rid = r.rid "
    "WHERE a.field = 'source' AND a.value IN (SELECT value FROM json_each($1)) ORDER BY r.rid";

/* A set of records met in order: recs (the parsed records), ids (id ->
 * true), and whether something was left out at the cap. */
struct vset {
    json_t *recs, *ids;
    size_t cap;
    bool truncated;
};

static void vset_init(struct vset *s, size_t cap)
{
    *s = (struct vset){json_array(), json_object(), cap, false};
}

static void vset_free(struct vset *s)
{
    json_decref(s->recs);
    json_decref(s->ids);
}

/* Adds rec (stolen) unless it is there; false when the set is full. */
static bool vset_add(struct vset *s, json_t *rec)
{
    const char *id = json_string_value(json_object_get(rec, "id"));
    if (!id || json_object_get(s->ids, id)) {
        json_decref(rec);
        return true;
    }
    if (json_array_size(s->recs) >= s->cap) {
        s->truncated = true;
        json_decref(rec);
        return false;
    }
    json_object_set_new(s->ids, id, json_true());
    json_array_append_new(s->recs, rec);
    return true;
}

/* The ids of a set as compact JSON text (malloc'd). */
static char *vset_ids(const struct vset *s)
{
    json_t *a = json_array();
    const char *id;
    json_t *v;
    json_object_foreach (s->ids, id, v)
        json_array_append_new(a, json_string(id));
    char *t = json_dumps(a, JSON_COMPACT);
    json_decref(a);
    return t;
}

struct vwalk {
    struct registry *r;
    struct store_conn *c;
    const struct actor *a;
    size_t max_records; /* per section */
};

/* Adds the record of stored text data when the reader may read it. */
static bool add_readable(struct vwalk *w, struct vset *next, const char *data)
{
    json_t *rec = json_loads(data, 0, NULL);
    if (!rec || !registry_may_read(w->r, w->a, rec)) {
        json_decref(rec);
        return true;
    }
    return vset_add(next, rec);
}

/* Does member v (a ref or a list of refs) name a record of set ids? */
static bool refers_to(const json_t *v, const json_t *ids)
{
    if (json_is_string(v))
        return json_object_get(ids, json_string_value(v)) != NULL;
    size_t i;
    const json_t *x;
    json_array_foreach (v, i, x)
        if (json_is_string(x) && json_object_get(ids, json_string_value(x)))
            return true;
    return false;
}

static int step_ref(struct vwalk *w, const struct model_view_step *st, const struct vset *cur,
                    struct vset *next, struct err *e)
{
    size_t i;
    json_t *rec;
    json_array_foreach (cur->recs, i, rec) {
        json_t *v = json_object_get(rec, st->field);
        json_t *one = json_is_string(v) ? json_pack("[O]", v) : json_incref(v);
        size_t j;
        json_t *x;
        json_array_foreach (one, j, x) {
            const char *id = json_string_value(x);
            struct rec_row row;
            int found = id && !json_object_get(next->ids, id) ? rec_load(w->c, NULL, id, &row, e) : 0;
            if (found < 0) {
                json_decref(one);
                return -1;
            }
            bool more = !found || row.retired || add_readable(w, next, row.data);
            if (found)
                rec_row_free(&row);
            if (!more)
                break;
        }
        json_decref(one);
    }
    return 0;
}

/* Runs one query whose rows are (id, data, …) and adds the readable
 * records for which keep (may be NULL) holds. */
static int add_rows(struct vwalk *w, struct store_stmt *st, const struct model_view_step *step,
                    const struct vset *cur, struct vset *next, struct err *e)
{
    int rc;
    while ((rc = store_step(st, e)) == STORE_ROW) {
        const char *data = store_col_text(st, 1);
        if (step) { /* a referrer: by this step's field, not another ref */
            json_t *rec = json_loads(data, 0, NULL);
            bool keep = rec && refers_to(json_object_get(rec, step->field), cur->ids);
            json_decref(rec);
            if (!keep)
                continue;
        }
        if (!add_readable(w, next, data))
            break;
    }
    store_reset(st);
    return rc == STORE_ERROR ? -1 : 0;
}

static int step_query(struct vwalk *w, const struct model_view_step *st, const struct vset *cur,
                      struct vset *next, struct err *e)
{
    if (json_array_size(cur->recs) == 0)
        return 0;
    bool refs = st->type == VIEW_REFERENCED_BY;
    struct store_stmt *q = store_prepare(w->c, refs ? REFERRERS_SQL : FAR_ENDS_SQL, true, e);
    if (!q)
        return -1;
    char *ids = vset_ids(cur), *kinds = NULL;
    if (refs) {
        json_t *k = json_array();
        for (size_t i = 0; i < st->n_kinds; i++)
            json_array_append_new(k, json_string(st->kinds[i]));
        kinds = json_dumps(k, JSON_COMPACT);
        json_decref(k);
        store_bind_text(q, 1, ids);
        store_bind_text(q, 2, kinds);
    } else {
        store_bind_text(q, 1, st->out ? "source" : "target");
        store_bind_text(q, 2, st->relation);
        store_bind_text(q, 3, st->out ? "target" : "source");
        store_bind_text(q, 4, ids);
    }
    int rc = add_rows(w, q, refs ? st : NULL, cur, next, e);
    free(ids);
    free(kinds);
    return rc;
}

/* The records of section s: its path from the record (or the union of
 * the sections it starts from, done[]). */
static int run_section(struct vwalk *w, const struct model_view *v,
                       const struct model_view_section *s, const json_t *rec, struct vset *done,
                       struct vset *out, struct err *e)
{
    struct vset cur;
    vset_init(&cur, REGISTRY_VIEW_MAX_REACH);
    if (!s->n_from)
        vset_add(&cur, json_incref((json_t *)rec));
    for (size_t i = 0; i < s->n_from; i++) {
        const struct vset *from = &done[model_view_section(v, s->from[i]) - v->sections];
        size_t j;
        json_t *x;
        json_array_foreach (from->recs, j, x)
            vset_add(&cur, json_incref(x));
    }
    int rc = 0;
    bool cut = false;
    for (size_t i = 0; rc == 0 && i < s->n_steps; i++) {
        struct vset next;
        vset_init(&next, i + 1 == s->n_steps ? w->max_records : REGISTRY_VIEW_MAX_REACH);
        rc = s->steps[i].type == VIEW_REF ? step_ref(w, &s->steps[i], &cur, &next, e)
                                          : step_query(w, &s->steps[i], &cur, &next, e);
        cut = cut || cur.truncated;
        vset_free(&cur);
        cur = next;
    }
    cur.truncated = cur.truncated || cut;
    if (rc < 0) {
        vset_free(&cur);
        return -1;
    }
    *out = cur;
    return 0;
}

/* {id, kind, collection, name} of each record of a section. */
static json_t *items_of(const struct registry *r, const struct vset *s)
{
    json_t *items = json_array();
    size_t i;
    json_t *rec;
    json_array_foreach (s->recs, i, rec) {
        const char *kind = json_string_value(json_object_get(rec, "kind"));
        const struct model_kind *k = model_kind(r->model, kind ? kind : "");
        json_t *o = json_pack("{s:O?, s:O?, s:s?}", "id", json_object_get(rec, "id"), "kind",
                              json_object_get(rec, "kind"), "collection", k ? k->collection : NULL);
        json_t *name = json_object_get(rec, "name");
        if (name)
            json_object_set(o, "name", name);
        json_array_append_new(items, o);
    }
    return items;
}

/* Each member of rec (a relation) but its envelope's bookkeeping. */
static json_t *edge_of(json_t *rel)
{
    static const char *const drop[] = {"kind", "owner", "name", "revision", "created_at",
                                       "updated_at", NULL};
    json_t *o = json_deep_copy(rel);
    for (size_t i = 0; drop[i]; i++)
        json_object_del(o, drop[i]);
    return o;
}

/* A diagram: its nodes (the ids of its sections' records) and its edges,
 * the relations of its types among them and its refs among them. */
static int run_diagram(struct vwalk *w, const struct model_view *v,
                       const struct model_view_diagram *d, const struct vset *done, json_t **out,
                       struct err *e)
{
    struct vset nodes;
    vset_init(&nodes, w->max_records * v->n_sections);
    for (size_t i = 0; i < d->n_sections; i++) {
        const struct vset *s = &done[model_view_section(v, d->sections[i]) - v->sections];
        size_t j;
        json_t *x;
        json_array_foreach (s->recs, j, x)
            vset_add(&nodes, json_incref(x));
    }
    json_t *edges = json_array();
    int rc = 0;
    if (d->n_relations && json_array_size(nodes.recs)) {
        struct store_stmt *st = store_prepare(w->c, AMONG_SQL, true, e);
        char *ids = vset_ids(&nodes);
        json_t *t = json_array();
        for (size_t i = 0; i < d->n_relations; i++)
            json_array_append_new(t, json_string(d->relations[i]));
        char *types = json_dumps(t, JSON_COMPACT);
        json_decref(t);
        rc = st ? 0 : -1;
        if (st) {
            store_bind_text(st, 1, ids);
            store_bind_text(st, 2, types);
            int s;
            while ((s = store_step(st, e)) == STORE_ROW) {
                json_t *rel = json_loads(store_col_text(st, 0), 0, NULL);
                if (rel) /* both ends are records the reader may read */
                    json_array_append_new(edges, edge_of(rel));
                json_decref(rel);
            }
            store_reset(st);
            rc = s == STORE_ERROR ? -1 : 0;
        }
        free(ids);
        free(types);
    }
    size_t i;
    json_t *rec;
    json_array_foreach (nodes.recs, i, rec)
        for (size_t f = 0; f < d->n_refs; f++) {
            json_t *val = json_object_get(rec, d->refs[f]);
            json_t *one = json_is_string(val) ? json_pack("[O]", val) : json_incref(val);
            size_t j;
            json_t *x;
            json_array_foreach (one, j, x)
                if (json_is_string(x) && json_object_get(nodes.ids, json_string_value(x)))
                    json_array_append_new(edges, json_pack("{s:s, s:O, s:O}", "field", d->refs[f],
                                                           "source", json_object_get(rec, "id"),
                                                           "target", x));
            json_decref(one);
        }
    json_t *ids = json_array();
    const char *id;
    json_t *x;
    json_object_foreach (nodes.ids, id, x)
        json_array_append_new(ids, json_string(id));
    vset_free(&nodes);
    if (rc < 0) {
        json_decref(edges);
        json_decref(ids);
        return -1;
    }
    *out = json_pack("{s:s, s:o, s:o}", "name", d->name, "nodes", ids, "edges", edges);
    return 0;
}

int registry_view(struct registry *r, const struct actor *a, const char *collection,
                  const char *id, const char *name, size_t max_records, json_t **out,
                  struct err *e)
{
    *out = NULL;
    json_t *rec = NULL;
    if (registry_get_visible(r, a, collection, id, &rec, e) < 0)
        return -1;
    const struct model_kind *k =
        model_kind(r->model, json_string_value(json_object_get(rec, "kind")));
    const struct model_view *v = model_view(k, name);
    if (!v) {
        json_decref(rec);
        err_not_found(e, "the record's kind has no such view");
        return -1;
    }
    struct vwalk w = {r, store_conn(r->store), a,
                      max_records ? max_records : REGISTRY_VIEW_MAX_RECORDS};
    struct vset *done = calloc(v->n_sections, sizeof *done);
    if (!done)
        fatal("out of memory");
    json_t *sections = json_array(), *diagrams = json_array();
    int rc = 0;
    size_t n_done = 0;
    for (; rc == 0 && n_done < v->n_sections; n_done++) {
        const struct model_view_section *s = &v->sections[n_done];
        rc = run_section(&w, v, s, rec, done, &done[n_done], e);
        if (rc == 0)
            json_array_append_new(sections,
                                  json_pack("{s:s, s:o, s:b}", "name", s->name, "items",
                                            items_of(r, &done[n_done]), "truncated",
                                            done[n_done].truncated));
    }
    if (rc < 0)
        n_done--;
    for (size_t i = 0; rc == 0 && i < v->n_diagrams; i++) {
        json_t *d = NULL;
        rc = run_diagram(&w, v, &v->diagrams[i], done, &d, e);
        if (rc == 0)
            json_array_append_new(diagrams, d);
    }
    for (size_t i = 0; i < n_done; i++)
        vset_free(&done[i]);
    free(done);
    if (rc < 0) {
        json_decref(rec);
        json_decref(sections);
        json_decref(diagrams);
        return -1;
    }
    registry_redact(r, a, rec);
    *out = json_pack("{s:s, s:s, s:o, s:o, s:o, s:i}", "id", id, "view", v->name, "record", rec,
                     "sections", sections, "diagrams", diagrams, "max_records",
                     (json_int_t)w.max_records);
    return 0;
}
