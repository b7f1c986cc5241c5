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
 * stored state. The met records' names come from one SQL query per level
 * (the narrow record_names table).
 *
 * As of an instant (REQ ARC-12): a private graph of the relations as they
 * were then (their revisions), and each end as it was then: it must have
 * existed, not been retired, and be readable by the caller both as it was
 * and as it is (as a GET of a record ?at= decides). */
#include "fidx.h"
#include "internal.h"
#include "relidx.h"

#include "util/buf.h"
#include "util/text.h"
#include "util/timeutil.h"

#include <string.h>

/* The names of the records listed (a JSON array of row ids, $1, in the
 * store's table of integers), as JSON. */
static const char NAMES_SQL[] = "SELECT rid, name FROM record_names WHERE rid IN "
                                "(SELECT value FROM %s)";

/* A growing list of ids in the walk's arena. */
struct ids {
    const char **v;
    size_t n, cap;
};

/* A node of the answer. */
struct wnode {
    const char *id, *kind;
    const char *name; /* JSON text, NULL: null */
    int depth;
};

/* An edge of the answer. */
struct wedge {
    const char *id, *type, *source, *target;
};

/* Open-addressing sets in the walk's arena: of node ids (value: index in
 * nodes + 1) and of relation row ids (crossed). */
struct idmap {
    const char **keys;
    size_t *vals;
    size_t n, cap;
};

struct ridset {
    uint32_t *v; /* 0: empty (no row id is 0) */
    size_t *val; /* a value per row id */
    size_t n, cap;
};

struct walk {
    struct registry *r;
    struct store_conn *c;
    const struct actor *a;
    struct arena *ar;
    struct relidx *graph;      /* the relations now */
    struct relidx *then;       /* as of `at`: those written since, as they were then */
    bool shared;               /* graph is the filter index's: read it under its lock */
    const char *at;            /* NULL: now */
    const char *const *types;  /* NULL-terminated, or NULL: every type */
    const unsigned char *ways; /* per type: REGISTRY_TRACE_OUT | _IN; NULL: both */
    bool going_out;            /* the way of the level's half being walked */
    size_t max_nodes;
    struct wnode *nodes;
    size_t n_nodes, cap_nodes;
    struct wedge *edges;
    size_t n_edges, cap_edges;
    struct idmap seen;
    struct ridset crossed;
    struct ridset named;  /* a level's new nodes: row id -> index in nodes + 1 */
    bool reads_all;       /* the caller reads every relation (as lists decide) */
    json_t *orgs;         /* organisation id: may the caller read its unpublished records */
    struct reg_asof ends; /* as of `at`: the records met as they were then */
    struct buf rids;      /* the row ids of a level's new nodes, as a JSON array */
    bool truncated;
};

static void *arena_grow(struct arena *a, void *v, size_t n, size_t *cap, size_t size)
{
    if (n < *cap)
        return v;
    size_t cap2 = *cap ? *cap * 2 : 64;
    void *w = arena_alloc(a, cap2 * size);
    if (n)
        memcpy(w, v, n * size);
    *cap = cap2;
    return w;
}

static void ids_push(struct arena *a, struct ids *l, const char *id)
{
    l->v = arena_grow(a, l->v, l->n, &l->cap, sizeof *l->v);
    l->v[l->n++] = id;
}

/* The slot of key in the map (its capacity a power of two, never full). */
static size_t idmap_slot(const struct idmap *m, const char *key)
{
    size_t mask = m->cap - 1;
    size_t i = text_hash(key, strlen(key)) & mask;
    while (m->keys[i] && strcmp(m->keys[i], key) != 0)
        i = (i + 1) & mask;
    return i;
}

static size_t idmap_get(const struct idmap *m, const char *key)
{
    return m->cap ? m->vals[idmap_slot(m, key)] : 0;
}

static void idmap_put(struct arena *a, struct idmap *m, const char *key, size_t val)
{
    if ((m->n + 1) * 2 > m->cap) {
        struct idmap old = *m;
        m->cap = old.cap ? old.cap * 2 : 256;
        m->keys = arena_calloc(a, m->cap, sizeof *m->keys);
        m->vals = arena_calloc(a, m->cap, sizeof *m->vals);
        for (size_t i = 0; i < old.cap; i++)
            if (old.keys[i]) {
                size_t j = idmap_slot(m, old.keys[i]);
                m->keys[j] = old.keys[i];
                m->vals[j] = old.vals[i];
            }
    }
    size_t i = idmap_slot(m, key);
    m->n += !m->keys[i];
    m->keys[i] = key;
    m->vals[i] = val;
}

static size_t ridset_slot(const struct ridset *s, uint32_t rid)
{
    size_t mask = s->cap - 1;
    size_t i = (rid * (size_t)2654435761u) & mask;
    while (s->v[i] && s->v[i] != rid)
        i = (i + 1) & mask;
    return i;
}

/* Adds rid (with val) to the set; false when it was there. */
static bool ridset_add(struct arena *a, struct ridset *s, uint32_t rid, size_t val)
{
    if ((s->n + 1) * 2 > s->cap) {
        struct ridset old = *s;
        s->cap = old.cap ? old.cap * 2 : 256;
        s->v = arena_calloc(a, s->cap, sizeof *s->v);
        s->val = arena_calloc(a, s->cap, sizeof *s->val);
        s->n = 0;
        for (size_t i = 0; i < old.cap; i++)
            if (old.v[i])
                ridset_add(a, s, old.v[i], old.val[i]);
    }
    size_t i = ridset_slot(s, rid);
    if (s->v[i])
        return false;
    s->v[i] = rid;
    s->val[i] = val;
    s->n++;
    return true;
}

/* rid's value, 0 when it is not in the set. */
static size_t ridset_get(const struct ridset *s, uint32_t rid)
{
    if (!s->cap)
        return 0;
    size_t i = ridset_slot(s, rid);
    return s->v[i] == rid ? s->val[i] : 0;
}

int registry_trace_types(const struct model *m, struct arena *ar, const char *v,
                         const char *const **out, const unsigned char **ways, struct err *e)
{
    *out = NULL;
    *ways = NULL;
    if (!v)
        return 0;
    size_t n = 1;
    for (const char *p = v; *p; p++)
        n += *p == ',';
    const char **types = arena_calloc(ar, n + 1, sizeof *types);
    unsigned char *way = arena_calloc(ar, n + 1, sizeof *way);
    bool any_way = false;
    for (size_t i = 0; i < n; i++) {
        size_t len = strcspn(v, ",");
        char *t = arena_strndup(ar, v, len), *colon = strchr(t, ':');
        way[i] = REGISTRY_TRACE_OUT | REGISTRY_TRACE_IN;
        if (colon) {
            *colon = '\0';
            any_way = true;
            if (strcmp(colon + 1, "out") == 0)
                way[i] = REGISTRY_TRACE_OUT;
            else if (strcmp(colon + 1, "in") == 0)
                way[i] = REGISTRY_TRACE_IN;
            else {
                err_bad_request(e, "types", "'%.60s': a type's way is :out or :in", colon + 1);
                return -1;
            }
        }
        types[i] = t;
        const struct model_kind *k = model_kind(m, t);
        if (!k || !k->is_relation) {
            err_bad_request(e, "types", "'%.60s' is not a relation type", t);
            return -1;
        }
        v += len + (v[len] == ',');
    }
    *out = types;
    *ways = any_way ? way : NULL;
    return 0;
}

static bool wanted_type(const struct walk *w, const char *type)
{
    unsigned way = w->going_out ? REGISTRY_TRACE_OUT : REGISTRY_TRACE_IN;
    for (size_t i = 0; w->types && w->types[i]; i++)
        if (strcmp(w->types[i], type) == 0 && (!w->ways || (w->ways[i] & way)))
            return true;
    return !w->types;
}

/* May the caller read the relation `id`, whose visibility is vis? */
static bool relation_readable(struct walk *w, const char *id, const char *vis)
{
    return reg_relation_readable(w->r, w->c, w->a, w->reads_all, w->orgs, id, vis);
}

/* The record id as of w->at if the caller may see it then (asof.c), its
 * state then (borrowed), else NULL. */
static json_t *end_at(struct walk *w, const char *id)
{
    json_t *then = NULL;
    struct err e = ERR_INIT;
    return reg_asof_record(&w->ends, id, &then, NULL, &e) == 0 ? then : NULL;
}

/* A name as JSON text in the arena (NULL for none). */
static const char *name_text(struct arena *a, const json_t *name)
{
    if (!name)
        return NULL;
    char *s = json_dumps(name, JSON_COMPACT | JSON_ENCODE_ANY);
    const char *out = s ? arena_strdup(a, s) : NULL;
    free(s);
    return out;
}

/* A node (ids and kinds are arena or interned strings); its name comes
 * later (add_names) unless given. */
static void add_node(struct walk *w, const char *id, const char *kind, const char *name, int depth)
{
    w->nodes = arena_grow(w->ar, w->nodes, w->n_nodes, &w->cap_nodes, sizeof *w->nodes);
    w->nodes[w->n_nodes++] = (struct wnode){id, kind ? kind : "", name, depth};
    idmap_put(w->ar, &w->seen, id, w->n_nodes);
}

/* The names of the nodes whose row ids are in w->rids. */
static int add_names(struct walk *w, struct err *e)
{
    if (buf_putc(&w->rids, ']') < 0 || buf_putc(&w->rids, '\0') < 0) {
        err_internal(e, "a walk too large");
        return -1;
    }
    char ints[128], sql[256];
    snprintf(ints, sizeof ints, store_sql(w->c, STORE_SQL_JSON_INTS), 1);
    snprintf(sql, sizeof sql, NAMES_SQL, ints);
    struct store_stmt *st = store_prepare(w->c, sql, true, e);
    if (!st)
        return -1;
    store_bind_text(st, 1, w->rids.p);
    int rc;
    while ((rc = store_step(st, e)) == STORE_ROW) {
        int64_t rid = store_col_int64(st, 0);
        size_t at = rid > 0 && rid < UINT32_MAX ? ridset_get(&w->named, (uint32_t)rid) : 0;
        if (at && !store_col_null(st, 1))
            w->nodes[at - 1].name = arena_strdup(w->ar, store_col_text(st, 1));
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
    if (ridset_get(&w->crossed, h->rid) || !wanted_type(w, h->type))
        return false;
    if (!w->at)
        return h->other_live && relation_readable(w, h->id, h->visible);
    /* as of then: both ends as they were, readable then and now */
    return end_at(w, h->from) && (*then = end_at(w, h->other)) != NULL;
}

static int cmp_hit(const void *a, const void *b)
{
    uint32_t x = ((const struct relidx_hit *)a)->rid, y = ((const struct relidx_hit *)b)->rid;
    return x < y ? -1 : x > y;
}

/* A relation of a type the walk follows and not crossed yet. */
static bool wanted(void *ctx, uint32_t rid, const char *type)
{
    struct walk *w = ctx;
    return !ridset_get(&w->crossed, rid) && wanted_type(w, type);
}

/* The relations of the frontier out of it (out) or into it: now, or as of
 * w->at (those written since as they were then, the others as they are),
 * ordered by row id. */
static size_t level_hits(struct walk *w, const struct ids *frontier, bool out,
                         struct relidx_hit **hits)
{
    w->going_out = out;
    if (w->shared)
        fidx_read_lock(w->r->fidx);
    size_t n = relidx_hits(w->graph, w->ar, frontier->v, frontier->n, out, wanted, w, hits);
    relidx_hits_copy(w->ar, *hits, n);
    if (w->shared)
        fidx_read_unlock(w->r->fidx);
    if (!w->then) {
        qsort(*hits, n, sizeof **hits, cmp_hit);
        return n;
    }
    struct relidx_hit *old;
    size_t n_old = relidx_hits(w->then, w->ar, frontier->v, frontier->n, out, wanted, w, &old);
    relidx_hits_copy(w->ar, old, n_old);
    struct relidx_hit *v = arena_calloc(w->ar, n + n_old + 1, sizeof *v);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (!relidx_has_edge(w->then, (*hits)[i].rid))
            v[k++] = (*hits)[i];
    memcpy(v + k, old, n_old * sizeof *v);
    qsort(v, k + n_old, sizeof *v, cmp_hit);
    *hits = v;
    return k + n_old;
}

/* One level from the frontier, along relations out of it (out) or into
 * it; the nodes met for the first time join `next` at depth `depth`. */
static void walk_level(struct walk *w, const struct ids *frontier, bool out, int depth,
                       struct ids *next)
{
    struct relidx_hit *hits;
    size_t n = level_hits(w, frontier, out, &hits);
    for (size_t i = 0; i < n && !w->truncated; i++) {
        const struct relidx_hit *h = &hits[i];
        json_t *then;
        if (!may_cross(w, h, &then))
            continue;
        if (!idmap_get(&w->seen, h->other)) {
            if (w->n_nodes >= w->max_nodes) {
                w->truncated = true;
                break;
            }
            if (then)
                add_node(w, h->other,
                         arena_strdup(w->ar, json_string_value(json_object_get(then, "kind"))),
                         name_text(w->ar, json_object_get(then, "name")), depth);
            else
                add_node(w, h->other, h->other_kind, NULL, depth);
            ids_push(w->ar, next, h->other);
            if (!then && h->other_rid) {
                char t[24], *d = text_digits(h->other_rid, t + sizeof t);
                if (w->rids.len > 1)
                    *--d = ',';
                buf_append(&w->rids, d, (size_t)(t + sizeof t - d));
                ridset_add(w->ar, &w->named, h->other_rid, w->n_nodes);
            }
        }
        ridset_add(w->ar, &w->crossed, h->rid, 1);
        w->edges = arena_grow(w->ar, w->edges, w->n_edges, &w->cap_edges, sizeof *w->edges);
        w->edges[w->n_edges++] =
            (struct wedge){h->id, h->type, out ? h->from : h->other, out ? h->other : h->from};
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

/* The graphs to walk: the filter index's for now (else a private one
 * loaded for the walk), and as of w->at the relations written since. */
static int walk_graph(struct walk *w, struct err *e)
{
    if (fidx_ready(w->r->fidx)) {
        w->graph = fidx_graph(w->r->fidx);
        w->shared = true;
    }
    if (w->shared && !w->at)
        return 0;
    bool tx = !store_in_tx(w->c); /* one snapshot for the loaders' queries */
    if (tx && store_begin(w->c, false, e) < 0)
        return -1;
    int rc = 0;
    if (!w->shared) {
        w->graph = relidx_new();
        rc = relidx_load_now(w->graph, w->c, e);
    }
    if (rc == 0 && w->at) {
        char *colls = relation_collections(w->r->model);
        w->then = relidx_new();
        rc = relidx_load_changed(w->then, w->c, w->at, colls, e);
        free(colls);
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
        reg_asof_put(&w->ends, id, 0, start);
    return start;
}

/* A JSON string (ids, kinds and types are plain, but quote anyway). */
static void put_str(struct buf *b, const char *s)
{
    buf_putc(b, '"');
    for (;;) {
        size_t n = 0;
        while (s[n] && s[n] != '"' && s[n] != '\\' && (unsigned char)s[n] >= 0x20)
            n++;
        buf_append(b, s, n);
        s += n;
        if (!*s)
            break;
        buf_printf(b, "\\u%04x", (unsigned char)*s++);
    }
    buf_putc(b, '"');
}

/* The answer is written piece by piece into room reserved for a whole node
 * or edge at once: thousands of them, each a few short strings, where an
 * append per piece cost a sixth of a domain's walk. */
struct piece {
    const char *s;
    size_t n;
    bool quote; /* a string to write as JSON (else text as it is) */
};

#define LIT(t) ((struct piece){(t), sizeof(t) - 1, false})

static bool plain(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] == '"' || s[i] == '\\' || (unsigned char)s[i] < 0x20)
            return false;
    return true;
}

static void put_pieces(struct buf *b, struct piece *v, size_t n)
{
    size_t need = 0;
    bool fast = true;
    for (size_t i = 0; i < n; i++) {
        if (v[i].quote) {
            v[i].n = strlen(v[i].s);
            fast = fast && plain(v[i].s, v[i].n);
            need += 2;
        }
        need += v[i].n;
    }
    if (!fast || buf_reserve(b, need) < 0) {
        for (size_t i = 0; i < n; i++)
            if (v[i].quote)
                put_str(b, v[i].s);
            else
                buf_append(b, v[i].s, v[i].n);
        return;
    }
    char *p = b->p + b->len;
    for (size_t i = 0; i < n; i++) {
        if (v[i].quote)
            *p++ = '"';
        memcpy(p, v[i].s, v[i].n);
        p += v[i].n;
        if (v[i].quote)
            *p++ = '"';
    }
    b->len += need;
    b->p[b->len] = '\0';
}

/* The answer: {id, nodes, edges, truncated[, at]}. */
static void walk_text(const struct walk *w, const char *id, struct buf *b)
{
    buf_puts(b, "{\"id\":");
    put_str(b, id);
    buf_puts(b, ",\"nodes\":[");
    for (size_t i = 0; i < w->n_nodes; i++) {
        const struct wnode *n = &w->nodes[i];
        char depth[24];
        char *d = text_digits(n->depth > 0 ? (unsigned)n->depth : 0, depth + sizeof depth);
        struct piece v[] = {i ? LIT(",{\"id\":") : LIT("{\"id\":"),
                            {n->id, 0, true},
                            LIT(",\"kind\":"),
                            {n->kind, 0, true},
                            LIT(",\"name\":"),
                            n->name ? (struct piece){n->name, strlen(n->name), false} : LIT("null"),
                            LIT(",\"depth\":"),
                            {d, (size_t)(depth + sizeof depth - d), false},
                            LIT("}")};
        put_pieces(b, v, sizeof v / sizeof *v);
    }
    buf_puts(b, "],\"edges\":[");
    for (size_t i = 0; i < w->n_edges; i++) {
        const struct wedge *x = &w->edges[i];
        struct piece v[] = {i ? LIT(",{\"id\":") : LIT("{\"id\":"),
                            {x->id, 0, true},
                            LIT(",\"type\":"),
                            {x->type, 0, true},
                            LIT(",\"source\":"),
                            {x->source, 0, true},
                            LIT(",\"target\":"),
                            {x->target, 0, true},
                            LIT("}")};
        put_pieces(b, v, sizeof v / sizeof *v);
    }
    buf_printf(b, "],\"truncated\":%s", w->truncated ? "true" : "false");
    if (w->at) {
        buf_puts(b, ",\"at\":");
        put_str(b, w->at);
    }
    buf_putc(b, '}');
}

int registry_trace_text(struct registry *r, const struct actor *a, const char *collection,
                        const char *id, const struct registry_trace_query *q, char **out,
                        size_t *len, struct err *e)
{
    *out = NULL;
    *len = 0;
    char at[32];
    struct walk w = {.r = r,
                     .c = store_conn(r->store),
                     .a = a,
                     .ar = arena_new(),
                     .at = q->at_set ? time_format_rfc3339(q->at_ms, at, sizeof at) : NULL,
                     .types = q->types,
                     .ways = q->type_ways,
                     .max_nodes = q->max_nodes ? q->max_nodes : REGISTRY_TRACE_MAX_NODES,
                     .orgs = json_object()};
    reg_asof_init(&w.ends, r, a, w.at);
    buf_init(&w.rids, 0);
    /* as a list of relations scopes them: the system, and a signed-in
     * reader of every organisation's unpublished records, read them all */
    w.reads_all = a->system || (a->user[0] && reg_reads_unpublished_ends(r, a, NULL));
    json_t *start = walk_start(&w, collection, id, q, e);
    int rc = start ? walk_graph(&w, e) : -1;
    const char *start_id = arena_strdup(w.ar, id);
    if (rc == 0)
        add_node(&w, start_id,
                 arena_strdup(w.ar, json_string_value(json_object_get(start, "kind"))),
                 name_text(w.ar, json_object_get(start, "name")), 0);
    json_decref(start);
    struct ids frontier = {0};
    ids_push(w.ar, &frontier, start_id);
    for (int depth = 1; rc == 0 && depth <= q->depth && frontier.n && !w.truncated; depth++) {
        struct ids next = {0};
        w.named = (struct ridset){0};
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
    if (rc == 0) {
        struct buf b;
        buf_init(&b, 0);
        walk_text(&w, id, &b);
        *out = buf_steal(&b, len);
    }
    if (!w.shared)
        relidx_free(w.graph);
    relidx_free(w.then);
    arena_free(w.ar);
    buf_free(&w.rids);
    json_decref(w.orgs);
    reg_asof_free(&w.ends);
    return rc;
}

int registry_trace(struct registry *r, const struct actor *a, const char *collection,
                   const char *id, const struct registry_trace_query *q, json_t **out,
                   struct err *e)
{
    char *text;
    size_t len;
    *out = NULL;
    if (registry_trace_text(r, a, collection, id, q, &text, &len, e) < 0)
        return -1;
    *out = json_loadb(text, len, 0, NULL);
    free(text);
    if (!*out) {
        err_internal(e, "a walk's answer is not valid JSON");
        return -1;
    }
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
