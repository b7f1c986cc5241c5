/* views: a record's view as its kind declares it (model key "views",
 * issue 15): each section's records, reached from the record (or from
 * earlier sections) step by step, and each diagram's edges among them.
 *
 * The paths are walked by walk.c, through only what the reader may read.
 * Sections are bounded: REGISTRY_VIEW_MAX_RECORDS records each (or the
 * caller's cap), and a step reaches at most REGISTRY_VIEW_MAX_REACH;
 * `truncated` says a section was cut.
 *
 * As of an instant (REQ ARC-12): the record as a GET ?at= gives it, each
 * step as walk.c reads it then, and each diagram's relations as they were
 * then (asof.c). */
#include "internal.h"

#include "util/timeutil.h"

#include <string.h>

/* The live relations of the types $2 with both ends among the records $1
 * (JSON arrays). */
static const char AMONG_SQL[] =
    "SELECT d.data FROM attrs a JOIN records r ON r.rid = a.rid AND r.retired = 0 "
    "AND r.kind IN (SELECT value FROM json_each($2)) "
    "JOIN attrs b ON b.rid = r.rid AND b.field = 'target' "
    "AND b.value IN (SELECT value FROM json_each($1)) JOIN record_data d ON d.rid = r.rid "
    "WHERE a.field = 'source' AND a.value IN (SELECT value FROM json_each($1)) ORDER BY r.rid";

/* As of $3: the candidate relations of types $2 (in collections $4) of a
 * diagram among the records $1: those unchanged since with both ends
 * among them, and those changed since. */
static const char AMONG_AT_SQL[] =
    "SELECT r.id, r.rid FROM attrs a JOIN records r ON r.rid = a.rid AND r.retired = 0 "
    "AND r.updated_at <= $3 AND r.kind IN (SELECT value FROM json_each($2)) "
    "JOIN attrs b ON b.rid = r.rid AND b.field = 'target' "
    "AND b.value IN (SELECT value FROM json_each($1)) "
    "WHERE a.field = 'source' AND a.value IN (SELECT value FROM json_each($1)) "
    "UNION SELECT r.id, r.rid FROM records r "
    "WHERE r.collection IN (SELECT value FROM json_each($4)) AND r.retired IN (0, 1) "
    "AND r.updated_at > $3 AND r.kind IN (SELECT value FROM json_each($2)) "
    "ORDER BY 2";

struct vwalk {
    struct path_walk walk;
    size_t max_records; /* per section */
};

/* The records of section s: its path from the record (or from the union
 * of the sections it starts from, done[]). */
static int run_section(const struct vwalk *w, const struct model_view *v,
                       const struct model_view_section *s, const json_t *rec,
                       const struct walk_set *done, struct walk_set *out, struct err *e)
{
    struct walk_set from;
    walk_set_init(&from, REGISTRY_VIEW_MAX_REACH);
    if (!s->n_from)
        walk_set_add(&from, json_incref((json_t *)rec));
    for (size_t i = 0; i < s->n_from; i++)
        walk_set_add_all(&from, &done[model_view_section(v, s->from[i]) - v->sections]);
    int rc = walk_path(&w->walk, &s->path, &from, w->max_records, out, e);
    walk_set_free(&from);
    return rc;
}

/* {id, kind, collection, name} of each record of a section. */
static json_t *items_of(const struct registry *r, const struct walk_set *s)
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

/* Each member of rec (a relation) but its envelope's bookkeeping (a
 * member its type declares as an attribute, such as a `name`, is kept). */
static json_t *edge_of(const struct model *m, json_t *rel)
{
    static const char *const drop[] = {"kind", "owner", "name", "revision", "created_at",
                                       "updated_at", NULL};
    const struct model_kind *rk = model_kind(m, json_string_value(json_object_get(rel, "type")));
    json_t *o = json_deep_copy(rel);
    for (size_t i = 0; drop[i]; i++)
        if (!rk || !model_field(rk, drop[i]))
            json_object_del(o, drop[i]);
    return o;
}

/* The live relations of the types (a JSON array) among the records ids
 * (a JSON array), as edges. */
static int edges_now(struct vwalk *w, const char *ids, const char *types, json_t *edges,
                     struct err *e)
{
    struct store_stmt *st = store_prepare(w->walk.c, AMONG_SQL, true, e);
    if (!st)
        return -1;
    store_bind_text(st, 1, ids);
    store_bind_text(st, 2, types);
    int rc;
    while ((rc = store_step(st, e)) == STORE_ROW) {
        json_t *rel = json_loads(store_col_text(st, 0), 0, NULL);
        if (rel) /* both ends are records the reader may read */
            json_array_append_new(edges, edge_of(w->walk.r->model, rel));
        json_decref(rel);
    }
    store_reset(st);
    return rc == STORE_ERROR ? -1 : 0;
}

static bool is_one_of(const char *s, const char *const *v, size_t n)
{
    for (size_t i = 0; s && i < n; i++)
        if (strcmp(s, v[i]) == 0)
            return true;
    return false;
}

/* The same as of then: the diagram's relations as they were, with both
 * ends among the nodes (records seen as they were then). */
static int edges_at(struct vwalk *w, const struct model_view_diagram *d,
                    const struct walk_set *nodes, const char *ids, const char *types, json_t *edges,
                    struct err *e)
{
    struct store_stmt *st = store_prepare(w->walk.c, AMONG_AT_SQL, true, e);
    if (!st)
        return -1;
    char *colls = reg_kinds_collections(w->walk.r->model, d->relations, d->n_relations);
    store_bind_text(st, 1, ids);
    store_bind_text(st, 2, types);
    store_bind_text(st, 3, w->walk.asof->at);
    store_bind_text(st, 4, colls);
    json_t *cands = reg_first_column(st, e);
    free(colls);
    size_t i;
    json_t *x;
    json_array_foreach (cands, i, x) {
        json_t *rel;
        if (reg_asof_record(w->walk.asof, json_string_value(x), &rel, NULL, e) < 0) {
            json_decref(cands);
            return -1;
        }
        const char *src = json_string_value(json_object_get(rel, "source"));
        const char *dst = json_string_value(json_object_get(rel, "target"));
        if (rel && src && dst && json_object_get(nodes->ids, src) &&
            json_object_get(nodes->ids, dst) &&
            is_one_of(json_string_value(json_object_get(rel, "type")), d->relations,
                      d->n_relations))
            json_array_append_new(edges, edge_of(w->walk.r->model, rel));
    }
    int rc = cands ? 0 : -1;
    json_decref(cands);
    return rc;
}

/* A diagram: its nodes (the ids of its sections' records) and its edges,
 * the relations of its types among them and its refs among them. */
static int run_diagram(struct vwalk *w, const struct model_view *v,
                       const struct model_view_diagram *d, const struct walk_set *done,
                       json_t **out, struct err *e)
{
    struct walk_set nodes;
    walk_set_init(&nodes, w->max_records * v->n_sections);
    for (size_t i = 0; i < d->n_sections; i++) {
        const struct walk_set *s = &done[model_view_section(v, d->sections[i]) - v->sections];
        size_t j;
        json_t *x;
        json_array_foreach (s->recs, j, x)
            walk_set_add(&nodes, json_incref(x));
    }
    json_t *edges = json_array();
    int rc = 0;
    if (d->n_relations && json_array_size(nodes.recs)) {
        char *ids = walk_set_ids(&nodes);
        char *types = reg_strings_json(d->relations, d->n_relations);
        rc = w->walk.asof ? edges_at(w, d, &nodes, ids, types, edges, e)
                          : edges_now(w, ids, types, edges, e);
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
    walk_set_free(&nodes);
    if (rc < 0) {
        json_decref(edges);
        json_decref(ids);
        return -1;
    }
    *out = json_pack("{s:s, s:o, s:o}", "name", d->name, "nodes", ids, "edges", edges);
    return 0;
}

int registry_view(struct registry *r, const struct actor *a, const char *collection, const char *id,
                  const char *name, const struct registry_view_query *q, json_t **out,
                  struct err *e)
{
    *out = NULL;
    json_t *rec = NULL;
    char at[32];
    int rc = q->at_set ? registry_get_at(r, a, collection, id, q->at_ms, &rec, e)
                       : registry_get_visible(r, a, collection, id, &rec, e);
    if (rc < 0)
        return -1;
    const struct model_kind *k =
        model_kind(r->model, json_string_value(json_object_get(rec, "kind")));
    const struct model_view *v = model_view(k, name);
    if (!v) {
        json_decref(rec);
        err_not_found(e, "the record's kind has no such view");
        return -1;
    }
    struct reg_asof asof;
    if (q->at_set)
        reg_asof_init(&asof, r, a, time_format_rfc3339(q->at_ms, at, sizeof at));
    struct vwalk w = {
        {r, store_conn(r->store), a, REGISTRY_VIEW_MAX_REACH, q->at_set ? &asof : NULL, NULL},
        q->max_records ? q->max_records : REGISTRY_VIEW_MAX_RECORDS};
    struct walk_set *done = calloc(v->n_sections, sizeof *done);
    if (!done)
        fatal("out of memory");
    json_t *sections = json_array(), *diagrams = json_array();
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
        walk_set_free(&done[i]);
    free(done);
    if (q->at_set)
        reg_asof_free(&asof);
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
    if (q->at_set)
        json_object_set_new(*out, "at", json_string(at));
    return 0;
}

int reg_view_members(struct registry *r, const struct actor *a, const json_t *rec,
                     const struct model_view *v, size_t cap, json_t *into, json_t *mark,
                     bool *truncated, struct err *e)
{
    struct vwalk w = {{r, store_conn(r->store), a, cap, NULL, NULL}, cap};
    struct walk_set *done = xcalloc(v->n_sections ? v->n_sections : 1, sizeof *done);
    size_t n_done = 0;
    int rc = 0;
    for (; rc == 0 && n_done < v->n_sections; n_done++)
        rc = run_section(&w, v, &v->sections[n_done], rec, done, &done[n_done], e);
    if (rc < 0)
        n_done--;
    for (size_t i = 0; i < n_done; i++) {
        *truncated = *truncated || done[i].truncated;
        size_t j;
        json_t *x;
        json_array_foreach (done[i].recs, j, x) {
            const char *id = json_string_value(json_object_get(x, "id"));
            json_t *marks = id ? json_object_get(into, id) : NULL;
            if (id && !marks)
                json_object_set_new(into, id, marks = json_array());
            if (marks && json_array_size(marks) &&
                json_equal(json_array_get(marks, json_array_size(marks) - 1), mark))
                continue; /* met in another section of the same view */
            if (marks)
                json_array_append(marks, mark);
        }
        walk_set_free(&done[i]);
    }
    free(done);
    return rc;
}
