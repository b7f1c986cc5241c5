/* trace: traceability walks over the relations graph (issue 15 item 4):
 * from a record, level by level, along relations out of it, into it or
 * both, to a given depth, filtered by relation types.
 *
 * Now: the serving process's graph in memory (relidx.h, kept current by
 * the filter index, fidx.h) gives each level's relations; a process without
 * it loads a private graph from the store first. A relation is crossed only
 * when the caller may read it, i.e. both of its ends: its visibility entry
 * says when everyone, every signed-in user, or the readers of one
 * organisation's unpublished records may; the others are judged on their
 * stored state. The met records' names come from one SQL query per level.
 *
 * As of an instant (REQ ARC-12): a private graph of the relations as they
 * were then (their revisions), and each end as it was then: it must have
 * existed, not been retired, and be readable by the caller both as it was
 * and as it is (as a GET of a record ?at= decides). */
#include "fidx.h"
#include "internal.h"
#include "relidx.h"

#include "util/buf.h"
#include "util/timeutil.h"

#include <string.h>

/* The names of the records listed (a JSON array of row ids, $1), as JSON. */
static const char NAMES_SQL[] =
    "SELECT r.id, json_quote(json_extract(d.data, '$.name')) FROM records r "
    "JOIN record_data d ON d.rid = r.rid WHERE r.rid IN (SELECT value FROM json_each($1))";

/* A growing list of ids in the walk's arena. */
struct ids {
    const char **v;
    size_t n, cap;
};

struct walk {
    struct registry *r;
    struct store_conn *c;
    const struct actor *a;
    struct arena *ar;
    struct relidx *graph;
    bool shared;              /* graph is the filter index's: read it under its lock */
    const char *at;           /* NULL: now */
    const char *const *types; /* NULL-terminated, or NULL: every type */
    size_t max_nodes;
    json_t *nodes, *edges;  /* the answer's arrays */
    json_t *seen, *crossed; /* node ids, relation ids already in them */
    json_t *orgs;           /* organisation id: may the caller read its unpublished records */
    json_t *ends;           /* as of `at`: record id: its state then, or null when not shown */
    struct buf rids;        /* the row ids of a level's new nodes, as a JSON array */
    bool truncated;
};

static void ids_push(struct arena *a, struct ids *l, const char *id)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        const char **v = arena_alloc(a, cap * sizeof *v);
        if (l->n)
            memcpy(v, l->v, l->n * sizeof *v);
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = id;
}

static bool wanted_type(const struct walk *w, const char *type)
{
    for (size_t i = 0; w->types && w->types[i]; i++)
        if (strcmp(w->types[i], type) == 0)
            return true;
    return !w->types;
}

/* May the caller read the unpublished records of org (asked once a walk)? */
static bool reads_org(struct walk *w, const char *org)
{
    json_t *v = json_object_get(w->orgs, org);
    if (!v) {
        v = json_boolean(reg_reads_unpublished(w->r, w->a, org));
        json_object_set_new(w->orgs, org, v);
    }
    return json_is_true(v);
}

/* May the caller read the relation `id`, whose visibility is vis
 * (REG_VISIBLE_*, or the one organisation of its unpublished ends)? Else it
 * is judged on its ends' stored state. */
static bool relation_readable(struct walk *w, const char *id, const char *vis)
{
    bool signed_in = w->a->system || w->a->user[0];
    if (w->a->system || (vis && strcmp(vis, REG_VISIBLE_PUBLIC) == 0))
        return true;
    if (vis && strcmp(vis, REG_VISIBLE_SIGNED_IN) == 0)
        return signed_in; /* no end unpublished, some only for the signed-in */
    if (vis && *vis != ':' && reads_org(w, vis))
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

/* The record id as of w->at, if the caller may see it then: it existed,
 * was not retired, and the caller may read it as it was and as it is.
 * Returns its state then (borrowed) or NULL; asked once a walk. */
static json_t *end_at(struct walk *w, const char *id)
{
    json_t *v = json_object_get(w->ends, id);
    if (v)
        return json_is_null(v) ? NULL : v;
    struct rec_row row;
    struct err e = ERR_INIT;
    json_t *then = NULL;
    if (rec_load(w->c, NULL, id, &row, &e) > 0) {
        json_t *now = json_loads(row.data, 0, NULL);
        int64_t rev = 0;
        char *data = NULL;
        if (now && registry_may_read(w->r, w->a, now) &&
            reg_revision_at(w->c, row.rid, w->at, &rev, &data, &e) == 0 && data)
            then = json_loads(data, 0, NULL);
        if (then && (json_object_get(then, "retired_at") || !registry_may_read(w->r, w->a, then))) {
            json_decref(then);
            then = NULL;
        }
        free(data);
        json_decref(now);
        rec_row_free(&row);
    }
    json_object_set_new(w->ends, id, then ? then : json_null());
    return then;
}

/* A node: w->seen maps its id to it; its name comes later (add_names)
 * unless given. */
static void add_node(struct walk *w, const char *id, const char *kind, json_t *name, int depth)
{
    json_t *node = json_pack("{s:s, s:s, s:O?, s:i}", "id", id, "kind", kind ? kind : "", "name",
                             name, "depth", depth);
    json_object_set(w->seen, id, node);
    json_array_append_new(w->nodes, node);
}

/* The names of the nodes whose row ids are in w->rids. */
static int add_names(struct walk *w, struct err *e)
{
    if (buf_putc(&w->rids, ']') < 0 || buf_putc(&w->rids, '\0') < 0) {
        err_internal(e, "a walk too large");
        return -1;
    }
    struct store_stmt *st = store_prepare(w->c, NAMES_SQL, true, e);
    if (!st)
        return -1;
    store_bind_text(st, 1, w->rids.p);
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

/* May the walk cross this relation (its type wanted, its other end there
 * to see, the caller allowed to read it)? *then: the other end's state as
 * of w->at (borrowed). */
static bool may_cross(struct walk *w, const struct relidx_hit *h, json_t **then)
{
    *then = NULL;
    if (json_object_get(w->crossed, h->id) || !wanted_type(w, h->type))
        return false;
    if (!w->at)
        return h->other_live && relation_readable(w, h->id, h->visible);
    /* as of then: both ends as they were, readable then and now */
    return end_at(w, h->from) && (*then = end_at(w, h->other)) != NULL;
}

/* One level from the frontier, along relations out of it (out) or into
 * it; the nodes met for the first time join `next` at depth `depth`. */
static void walk_level(struct walk *w, const struct ids *frontier, bool out, int depth,
                       struct ids *next)
{
    struct relidx_hit *hits;
    if (w->shared)
        fidx_read_lock(w->r->fidx);
    size_t n = relidx_hits(w->graph, w->ar, frontier->v, frontier->n, out, &hits);
    if (w->shared)
        fidx_read_unlock(w->r->fidx);
    for (size_t i = 0; i < n && !w->truncated; i++) {
        const struct relidx_hit *h = &hits[i];
        json_t *then;
        if (!may_cross(w, h, &then))
            continue;
        if (!json_object_get(w->seen, h->other)) {
            if (json_array_size(w->nodes) >= w->max_nodes) {
                w->truncated = true;
                break;
            }
            const char *kind =
                then ? json_string_value(json_object_get(then, "kind")) : h->other_kind;
            add_node(w, h->other, kind, then ? json_object_get(then, "name") : NULL, depth);
            ids_push(w->ar, next, h->other);
            if (!then)
                buf_printf(&w->rids, "%s%u", w->rids.len > 1 ? "," : "", h->other_rid);
        }
        json_object_set_new(w->crossed, h->id, json_true());
        json_array_append_new(w->edges, json_pack("{s:s, s:s, s:s, s:s}", "id", h->id, "type",
                                                  h->type, "source", out ? h->from : h->other,
                                                  "target", out ? h->other : h->from));
    }
}

/* The collections of relations, as a JSON array (malloc'd). */
static char *relation_collections(const struct model *m)
{
    json_t *v = json_array();
    for (size_t i = 0; i < model_n_collections(m); i++)
        if (model_collection_at(m, i)->type == COLL_RELATIONS)
            json_array_append_new(v, json_string(model_collection_at(m, i)->id));
    char *s = json_dumps(v, JSON_COMPACT);
    json_decref(v);
    return s;
}

/* The graph to walk: the filter index's for now, else a private one (now,
 * or as of w->at). */
static int walk_graph(struct walk *w, struct err *e)
{
    if (!w->at && fidx_ready(w->r->fidx)) {
        w->graph = fidx_graph(w->r->fidx);
        w->shared = true;
        return 0;
    }
    w->graph = relidx_new();
    bool tx = !store_in_tx(w->c); /* one snapshot for the loader's queries */
    if (tx && store_begin(w->c, false, e) < 0)
        return -1;
    int rc;
    if (w->at) {
        char *colls = relation_collections(w->r->model);
        rc = relidx_load_at(w->graph, w->c, w->at, colls, e);
        free(colls);
    } else {
        rc = relidx_load_now(w->graph, w->c, e);
    }
    if (tx)
        store_rollback(w->c);
    return rc;
}

/* The start of the walk (new ref): the record as the caller may see it,
 * now or as of w->at. */
static json_t *walk_start(struct walk *w, const char *collection, const char *id,
                          const struct registry_trace_query *q, struct err *e)
{
    json_t *start = NULL;
    int rc = q->at_set ? registry_get_at(w->r, w->a, collection, id, q->at_ms, &start, e)
                       : registry_get_visible(w->r, w->a, collection, id, &start, e);
    if (rc < 0)
        return NULL;
    if (q->at_set) /* the walk's first end, as registry_get_at has judged it */
        json_object_set(w->ends, id, start);
    return start;
}

int registry_trace(struct registry *r, const struct actor *a, const char *collection,
                   const char *id, const struct registry_trace_query *q, json_t **out,
                   struct err *e)
{
    *out = NULL;
    char at[32];
    struct walk w = {.r = r,
                     .c = store_conn(r->store),
                     .a = a,
                     .ar = arena_new(),
                     .at = q->at_set ? time_format_rfc3339(q->at_ms, at, sizeof at) : NULL,
                     .types = q->types,
                     .max_nodes = q->max_nodes ? q->max_nodes : REGISTRY_TRACE_MAX_NODES,
                     .nodes = json_array(),
                     .edges = json_array(),
                     .seen = json_object(),
                     .crossed = json_object(),
                     .orgs = json_object(),
                     .ends = json_object()};
    buf_init(&w.rids, 0);
    json_t *start = walk_start(&w, collection, id, q, e);
    int rc = start ? walk_graph(&w, e) : -1;
    if (rc == 0)
        add_node(&w, id, json_string_value(json_object_get(start, "kind")),
                 json_object_get(start, "name"), 0);
    json_decref(start);
    struct ids frontier = {0};
    ids_push(w.ar, &frontier, id);
    for (int depth = 1; rc == 0 && depth <= q->depth && frontier.n && !w.truncated; depth++) {
        struct ids next = {0};
        w.rids.len = 0;
        buf_putc(&w.rids, '[');
        if (q->out)
            walk_level(&w, &frontier, true, depth, &next);
        if (q->in && !w.truncated)
            walk_level(&w, &frontier, false, depth, &next);
        if (w.rids.len > 1)
            rc = add_names(&w, e);
        frontier = next;
    }
    if (!w.shared)
        relidx_free(w.graph);
    arena_free(w.ar);
    buf_free(&w.rids);
    json_decref(w.seen);
    json_decref(w.crossed);
    json_decref(w.orgs);
    json_decref(w.ends);
    if (rc < 0) {
        json_decref(w.nodes);
        json_decref(w.edges);
        return -1;
    }
    *out = json_pack("{s:s, s:o, s:o, s:b}", "id", id, "nodes", w.nodes, "edges", w.edges,
                     "truncated", w.truncated);
    if (w.at)
        json_object_set_new(*out, "at", json_string(w.at));
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
