/* trace: traceability walks over the relations graph (issue 15 item 4):
 * from a record, level by level, along relations out of it, into it or
 * both, to a given depth, filtered by relation types. Each level is one SQL
 * query over the relations index (the `source` and `target` entries of
 * attrs) for the whole frontier; records are never loaded whole per hop.
 * A relation is crossed only when the caller may read it, i.e. both of its
 * ends: its `_visible` entry says when everyone may, and only the others
 * are judged on their stored state. */
#include "internal.h"

#include "util/buf.h"

#include <string.h>

/* One level: the live relations with an end in the frontier (a JSON array
 * of ids, $3) at `end` ($1), with their other end ($2). */
static const char TRACE_SQL[] =
    "SELECT a.value, r.id, r.kind, o.id, o.kind, v.value "
    "FROM attrs a JOIN records r ON r.rid = a.rid AND r.retired = 0 "
    "JOIN attrs b ON b.rid = r.rid AND b.field = $2 "
    "JOIN records o ON o.id = b.value AND o.retired = 0 "
    "LEFT JOIN attrs v ON v.rid = r.rid AND v.field = r.collection || ':" REG_VISIBLE_FIELD "' "
    "WHERE a.field = $1 AND a.value IN (SELECT value FROM json_each($3)) ORDER BY r.rid";

/* The names of the records listed (a JSON array of ids, $1), as JSON. */
static const char NAMES_SQL[] =
    "SELECT r.id, json_quote(json_extract(d.data, '$.name')) FROM records r "
    "JOIN record_data d ON d.rid = r.rid WHERE r.id IN (SELECT value FROM json_each($1))";

struct walk {
    struct registry *r;
    struct store_conn *c;
    const struct actor *a;
    const char *const *types; /* NULL-terminated, or NULL: every type */
    size_t max_nodes;
    json_t *nodes, *edges;  /* the answer's arrays */
    json_t *seen, *crossed; /* node ids, relation ids already in them */
    bool truncated;
};

static bool wanted_type(const struct walk *w, const char *type)
{
    for (size_t i = 0; w->types && w->types[i]; i++)
        if (strcmp(w->types[i], type) == 0)
            return true;
    return !w->types;
}

/* May the caller read the relation `id`, whose _visible entry is vis
 * (":public", or the one organisation of its unpublished ends)? Else it is
 * judged on its ends' stored state. */
static bool relation_readable(struct walk *w, const char *id, const char *vis)
{
    if (w->a->system || (vis && strcmp(vis, REG_VISIBLE_PUBLIC) == 0))
        return true;
    if (vis && *vis != ':' && reg_reads_unpublished(w->r, w->a, vis))
        return true;
    struct rec_row row;
    struct err e = ERR_INIT;
    if (rec_load(w->c, NULL, id, &row, &e) <= 0)
        return false;
    json_t *rel = json_loads(row.data, 0, NULL);
    rec_row_free(&row);
    bool ok = rel && registry_may_read(w->r, w->a, rel);
    json_decref(rel);
    return ok;
}

/* A node, its name to come (add_names): w->seen maps its id to it. */
static void add_node(struct walk *w, const char *id, const char *kind, int depth)
{
    json_t *node =
        json_pack("{s:s, s:s, s:n, s:i}", "id", id, "kind", kind, "name", "depth", depth);
    json_object_set(w->seen, id, node);
    json_array_append_new(w->nodes, node);
}

/* The names of the nodes met at one level (ids: a JSON array). */
static int add_names(struct walk *w, const char *ids, struct err *e)
{
    struct store_stmt *st = store_prepare(w->c, NAMES_SQL, true, e);
    if (!st)
        return -1;
    store_bind_text(st, 1, ids);
    int rc;
    while ((rc = store_step(st, e)) == STORE_ROW) {
        json_t *node = json_object_get(w->seen, store_col_text(st, 0));
        json_t *name =
            store_col_null(st, 1) ? NULL : json_loads(store_col_text(st, 1), JSON_DECODE_ANY, NULL);
        if (node && name)
            json_object_set_new(node, "name", name);
        else
            json_decref(name);
    }
    store_reset(st);
    return rc == STORE_ERROR ? -1 : 0;
}

/* One level from `frontier` along `end` ("source": out, "target": in); the
 * nodes met for the first time join `next` at depth `depth`. */
static int walk_level(struct walk *w, const char *frontier, const char *end, int depth,
                      json_t *next, struct err *e)
{
    struct store_stmt *st = store_prepare(w->c, TRACE_SQL, true, e);
    if (!st)
        return -1;
    store_bind_text(st, 1, end);
    store_bind_text(st, 2, strcmp(end, "source") == 0 ? "target" : "source");
    store_bind_text(st, 3, frontier);
    int rc;
    while (!w->truncated && (rc = store_step(st, e)) == STORE_ROW) {
        const char *from = store_col_text(st, 0), *rel = store_col_text(st, 1);
        const char *type = store_col_text(st, 2), *other = store_col_text(st, 3);
        if (json_object_get(w->crossed, rel) || !wanted_type(w, type) ||
            !relation_readable(w, rel, store_col_null(st, 5) ? NULL : store_col_text(st, 5)))
            continue;
        if (!json_object_get(w->seen, other)) {
            if (json_array_size(w->nodes) >= w->max_nodes) {
                w->truncated = true;
                break;
            }
            add_node(w, other, store_col_text(st, 4), depth);
            json_array_append_new(next, json_string(other));
        }
        bool out = strcmp(end, "source") == 0;
        json_object_set_new(w->crossed, rel, json_true());
        json_array_append_new(w->edges,
                              json_pack("{s:s, s:s, s:s, s:s}", "id", rel, "type", type, "source",
                                        out ? from : other, "target", out ? other : from));
    }
    store_reset(st);
    return w->truncated || rc != STORE_ERROR ? 0 : -1;
}

int registry_trace(struct registry *r, const struct actor *a, const char *collection,
                   const char *id, const struct registry_trace_query *q, json_t **out,
                   struct err *e)
{
    *out = NULL;
    json_t *start = NULL;
    if (registry_get_visible(r, a, collection, id, &start, e) < 0)
        return -1;
    struct walk w = {.r = r,
                     .c = store_conn(r->store),
                     .a = a,
                     .types = q->types,
                     .max_nodes = q->max_nodes ? q->max_nodes : REGISTRY_TRACE_MAX_NODES,
                     .nodes = json_array(),
                     .edges = json_array(),
                     .seen = json_object(),
                     .crossed = json_object()};
    add_node(&w, id, json_string_value(json_object_get(start, "kind")), 0);
    json_t *name = json_object_get(start, "name");
    if (name)
        json_object_set(json_object_get(w.seen, id), "name", name);
    json_decref(start);
    json_t *frontier = json_pack("[s]", id);
    int rc = 0;
    for (int depth = 1; rc == 0 && depth <= q->depth && json_array_size(frontier) && !w.truncated;
         depth++) {
        json_t *next = json_array();
        char *ids = json_dumps(frontier, JSON_COMPACT);
        if (q->out)
            rc = walk_level(&w, ids, "source", depth, next, e);
        if (rc == 0 && q->in)
            rc = walk_level(&w, ids, "target", depth, next, e);
        free(ids);
        ids = json_dumps(next, JSON_COMPACT);
        if (rc == 0 && json_array_size(next))
            rc = add_names(&w, ids, e);
        free(ids);
        json_decref(frontier);
        frontier = next;
    }
    json_decref(frontier);
    json_decref(w.seen);
    json_decref(w.crossed);
    if (rc < 0) {
        json_decref(w.nodes);
        json_decref(w.edges);
        return -1;
    }
    *out = json_pack("{s:s, s:o, s:o, s:b}", "id", id, "nodes", w.nodes, "edges", w.edges,
                     "truncated", w.truncated);
    return 0;
}

int registry_count_relations(void *ctx, const json_t *rec, const char *type, bool out)
{
    struct registry *r = ctx;
    const char *id = json_string_value(json_object_get(rec, "id"));
    struct err e = ERR_INIT;
    struct store_stmt *st = store_prepare(
        store_conn(r->store),
        "SELECT COUNT(*) FROM attrs a JOIN records r ON r.rid = a.rid AND r.retired = 0 "
        "AND r.kind = $2 WHERE a.field = $1 AND a.value = $3",
        true, &e);
    if (!st || !id)
        return st ? 0 : -1;
    store_bind_text(st, 1, out ? "source" : "target");
    store_bind_text(st, 2, type);
    store_bind_text(st, 3, id);
    int rc = store_step(st, &e);
    int n = rc == STORE_ROW ? (int)store_col_int64(st, 0) : -1;
    store_reset(st);
    return n;
}
