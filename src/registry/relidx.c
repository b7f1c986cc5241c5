/* relidx: nodes and edges in flat arrays; ids in one string pool (offsets,
 * no allocation per string); kinds, relation types and visibility values,
 * which are few, interned once and never freed while the graph lives (so a
 * walk may keep pointers to them after the lock is released). */
#include "relidx.h"

#include "util/text.h"

#include <stdlib.h>
#include <string.h>

/* A node's edges out and in are two lists threaded through the edges
 * (edge index + 1, 0 ends a list): no allocation per node. */
struct node {
    uint32_t id;   /* offset in the pool */
    uint32_t kind; /* interned index + 1, 0: unknown */
    uint32_t rid;  /* 0: unknown */
    uint32_t first_out, first_in;
    bool live;
};

struct edge {
    uint32_t rid, id, src, dst; /* id: offset in the pool; src, dst: nodes */
    uint32_t type, vis;         /* interned index + 1 (vis 0: unknown) */
    uint32_t next_out, next_in; /* the lists of src's and dst's edges */
    bool live;
};

/* An open-addressing table of indices + 1 (0: empty slot). */
struct table {
    uint32_t *slot;
    size_t cap;
};

struct relidx {
    char *pool;
    size_t pool_len, pool_cap;
    struct node *nodes;
    size_t n_nodes, cap_nodes;
    struct table node_ids;
    struct edge *edges;
    size_t n_edges, cap_edges, live_edges;
    uint32_t *edge_of; /* by relation rid: edge index + 1 */
    size_t edge_of_cap;
    char **strs; /* interned */
    size_t n_strs, cap_strs;
    struct table str_ids;
};

/* Makes room for `need` items: `first` at first, then grown by a quarter,
 * not doubled, so that a graph sized exactly at load (reserve) takes only
 * a little more room when writes add to it. */
static void *grow(void *v, size_t *cap, size_t need, size_t size, size_t first)
{
    if (need <= *cap)
        return v;
    size_t cap2 = *cap ? *cap + *cap / 4 + 16 : first;
    if (cap2 < need)
        cap2 = need;
    if (cap2 > SIZE_MAX / size)
        fatal("relidx: too large");
    *cap = cap2;
    return xrealloc(v, cap2 * size);
}

/* Sizes an empty array for exactly n items. */
static void *reserve_exact(void *v, size_t *cap, size_t n, size_t size)
{
    if (n <= *cap)
        return v;
    if (n > SIZE_MAX / size)
        fatal("relidx: too large");
    *cap = n;
    return xrealloc(v, n * size);
}

/* --- strings ------------------------------------------------------------------- */

static uint32_t pool_add(struct relidx *g, const char *s)
{
    size_t n = strlen(s) + 1;
    if (g->pool_len + n > UINT32_MAX)
        fatal("relidx: too many ids");
    g->pool = grow(g->pool, &g->pool_cap, g->pool_len + n, 1, 4096);
    memcpy(g->pool + g->pool_len, s, n);
    uint32_t at = (uint32_t)g->pool_len;
    g->pool_len += n;
    return at;
}

/* The slot of the key in a table whose entries' names come from name_of. */
static uint32_t *table_find(const struct table *t, const char *key,
                            const char *(*name_of)(const struct relidx *, uint32_t),
                            const struct relidx *g)
{
    size_t mask = t->cap - 1;
    for (size_t i = text_hash(key, strlen(key)) & mask;; i = (i + 1) & mask) {
        uint32_t v = t->slot[i];
        if (v == 0 || strcmp(name_of(g, v - 1), key) == 0)
            return &t->slot[i];
    }
}

static void table_rehash(struct table *t, size_t n, const struct relidx *g,
                         const char *(*name_of)(const struct relidx *, uint32_t))
{
    if (t->cap && (n + 1) * 2 <= t->cap)
        return;
    size_t cap = t->cap ? t->cap * 2 : 1024;
    free(t->slot);
    t->slot = xcalloc(cap, sizeof *t->slot);
    t->cap = cap;
    for (size_t i = 0; i < n; i++)
        *table_find(t, name_of(g, (uint32_t)i), name_of, g) = (uint32_t)i + 1;
}

static const char *node_name(const struct relidx *g, uint32_t i)
{
    return g->pool + g->nodes[i].id;
}

static const char *str_name(const struct relidx *g, uint32_t i)
{
    return g->strs[i];
}

/* The interned index + 1 of s (0 for NULL). */
static uint32_t intern(struct relidx *g, const char *s)
{
    if (!s)
        return 0;
    table_rehash(&g->str_ids, g->n_strs, g, str_name);
    uint32_t *slot = table_find(&g->str_ids, s, str_name, g);
    if (*slot)
        return *slot;
    g->strs = grow(g->strs, &g->cap_strs, g->n_strs + 1, sizeof *g->strs, 64);
    g->strs[g->n_strs++] = xstrdup(s);
    *slot = (uint32_t)g->n_strs;
    return *slot;
}

static const char *interned(const struct relidx *g, uint32_t i)
{
    return i ? g->strs[i - 1] : NULL;
}

/* --- nodes and edges ----------------------------------------------------------- */

/* The index of node id, created (of unknown state) when missing. */
static uint32_t node_of(struct relidx *g, const char *id)
{
    table_rehash(&g->node_ids, g->n_nodes, g, node_name);
    uint32_t *slot = table_find(&g->node_ids, id, node_name, g);
    if (*slot)
        return *slot - 1;
    if (g->n_nodes >= UINT32_MAX - 1)
        fatal("relidx: too many nodes");
    uint32_t at = pool_add(g, id); /* before taking a node's address */
    g->nodes = grow(g->nodes, &g->cap_nodes, g->n_nodes + 1, sizeof *g->nodes, 1024);
    struct node *n = &g->nodes[g->n_nodes];
    memset(n, 0, sizeof *n);
    n->id = at;
    *slot = (uint32_t)g->n_nodes + 1;
    return (uint32_t)g->n_nodes++;
}

static const struct node *node_get(const struct relidx *g, const char *id)
{
    if (!g->node_ids.cap)
        return NULL;
    uint32_t v = *table_find(&g->node_ids, id, node_name, g);
    return v ? &g->nodes[v - 1] : NULL;
}

void relidx_set_node(struct relidx *g, const char *id, const char *kind, uint32_t rid, bool live)
{
    uint32_t i = node_of(g, id);
    uint32_t k = intern(g, kind);
    struct node *n = &g->nodes[i];
    n->kind = k;
    n->rid = rid;
    n->live = live;
}

/* Takes edge e out of the list at *head (out: the src lists, else dst). */
static void list_remove(struct relidx *g, uint32_t *head, uint32_t e, bool out)
{
    uint32_t *at = head;
    while (*at && *at != e + 1)
        at = out ? &g->edges[*at - 1].next_out : &g->edges[*at - 1].next_in;
    if (*at)
        *at = out ? g->edges[e].next_out : g->edges[e].next_in;
}

static void edge_unlink(struct relidx *g, uint32_t e)
{
    struct edge *x = &g->edges[e];
    if (!x->live)
        return;
    list_remove(g, &g->nodes[x->src].first_out, e, true);
    list_remove(g, &g->nodes[x->dst].first_in, e, false);
    x->live = false;
    g->live_edges--;
}

void relidx_set_edge(struct relidx *g, uint32_t rid, const char *id, const char *type,
                     const char *source, const char *target, const char *visible, bool live)
{
    if (rid == 0 || rid == UINT32_MAX)
        return;
    if ((size_t)rid >= g->edge_of_cap) {
        size_t had = g->edge_of_cap;
        g->edge_of = grow(g->edge_of, &g->edge_of_cap, (size_t)rid + 1, sizeof *g->edge_of, 1024);
        memset(g->edge_of + had, 0, (g->edge_of_cap - had) * sizeof *g->edge_of);
    }
    uint32_t slot = g->edge_of[rid];
    if (!slot && !id)
        return;
    if (!slot) {
        uint32_t at = pool_add(g, id);
        g->edges = grow(g->edges, &g->cap_edges, g->n_edges + 1, sizeof *g->edges, 1024);
        g->edges[g->n_edges] = (struct edge){.rid = rid, .id = at};
        slot = g->edge_of[rid] = (uint32_t)++g->n_edges;
    }
    uint32_t e = slot - 1;
    edge_unlink(g, e);
    if (!live || !source || !target)
        return;
    uint32_t src = node_of(g, source), dst = node_of(g, target); /* may move nodes */
    struct edge *x = &g->edges[e];
    x->src = src;
    x->dst = dst;
    x->type = intern(g, type);
    x->vis = intern(g, visible);
    x->live = true;
    g->live_edges++;
    x->next_out = g->nodes[src].first_out; /* order does not matter: a node's hits are sorted */
    g->nodes[src].first_out = e + 1;
    x->next_in = g->nodes[dst].first_in;
    g->nodes[dst].first_in = e + 1;
}

struct relidx *relidx_new(void)
{
    struct relidx *g = xcalloc(1, sizeof *g);
    return g;
}

void relidx_free(struct relidx *g)
{
    if (!g)
        return;
    for (size_t i = 0; i < g->n_strs; i++)
        free(g->strs[i]);
    free(g->strs);
    free(g->str_ids.slot);
    free(g->node_ids.slot);
    free(g->nodes);
    free(g->edges);
    free(g->edge_of);
    free(g->pool);
    free(g);
}

/* --- loading -------------------------------------------------------------------- */

/* The live relations: their ends are the `source` and `target` entries of
 * the attrs table, their visibility its "<collection>:_visible" entry. */
static const char EDGES_NOW_SQL[] =
    "SELECT r.rid, r.id, r.kind, s.value, t.value, v.value FROM attrs s "
    "JOIN records r ON r.rid = s.rid AND r.retired = 0 "
    "JOIN attrs t ON t.rid = r.rid AND t.field = 'target' "
    "LEFT JOIN attrs v ON v.rid = r.rid AND v.field = r.collection || ':_visible' "
    "WHERE s.field = 'source'";

static int load_edges(struct relidx *g, struct store_stmt *st, struct err *e)
{
    int rc;
    while ((rc = store_step(st, e)) == STORE_ROW) {
        int64_t rid = store_col_int64(st, 0);
        if (rid <= 0 || rid >= UINT32_MAX || store_col_null(st, 3) || store_col_null(st, 4))
            continue;
        relidx_set_edge(g, (uint32_t)rid, store_col_text(st, 1), store_col_text(st, 2),
                        store_col_text(st, 3), store_col_text(st, 4),
                        store_col_null(st, 5) ? NULL : store_col_text(st, 5), true);
    }
    store_finalize(st);
    return rc == STORE_ERROR ? -1 : 0;
}

/* Sizes the empty graph's arrays for the store's live records and
 * relations at once, exactly: grown step by step, the copies' freed blocks
 * would stay in the heap, and a capacity rounded up to a power of two
 * leaves up to half of each array unused. */
static int reserve(struct relidx *g, struct store_conn *c, struct err *e)
{
    struct store_stmt *st = store_prepare(
        c,
        "SELECT count(*), coalesce(max(rid), 0), coalesce(sum(length(id)), 0), "
        "(SELECT count(*) FROM attrs WHERE field = 'source') FROM records WHERE retired = 0",
        false, e);
    if (!st)
        return -1;
    int rc = store_step(st, e);
    if (rc == STORE_ROW) {
        size_t n = (size_t)store_col_int64(st, 0), max_rid = (size_t)store_col_int64(st, 1);
        size_t bytes = (size_t)store_col_int64(st, 2) + n, rels = (size_t)store_col_int64(st, 3);
        if (n && rels <= n && max_rid < UINT32_MAX && bytes < UINT32_MAX) {
            g->nodes = reserve_exact(g->nodes, &g->cap_nodes, n - rels + 1, sizeof *g->nodes);
            g->edges = reserve_exact(g->edges, &g->cap_edges, rels + 1, sizeof *g->edges);
            g->pool = reserve_exact(g->pool, &g->pool_cap, bytes, 1);
            size_t had = g->edge_of_cap;
            g->edge_of =
                reserve_exact(g->edge_of, &g->edge_of_cap, max_rid + 1, sizeof *g->edge_of);
            memset(g->edge_of + had, 0, (g->edge_of_cap - had) * sizeof *g->edge_of);
        }
    }
    store_finalize(st);
    return rc == STORE_ERROR ? -1 : 0;
}

int relidx_load_now(struct relidx *g, struct store_conn *c, struct err *e)
{
    if (g->n_nodes == 0 && g->n_edges == 0 && reserve(g, c, e) < 0)
        return -1;
    struct store_stmt *st = store_prepare(c, EDGES_NOW_SQL, false, e);
    if (!st || load_edges(g, st, e) < 0)
        return -1;
    st = store_prepare(c, "SELECT rid, id, kind FROM records WHERE retired = 0", false, e);
    if (!st)
        return -1;
    int rc;
    while ((rc = store_step(st, e)) == STORE_ROW) {
        int64_t rid = store_col_int64(st, 0);
        if (rid <= 0 || rid >= UINT32_MAX ||
            ((size_t)rid < g->edge_of_cap && g->edge_of[rid])) /* a relation */
            continue;
        relidx_set_node(g, store_col_text(st, 1), store_col_text(st, 2), (uint32_t)rid, true);
    }
    store_finalize(st);
    return rc == STORE_ERROR ? -1 : 0;
}

int relidx_load_changed(struct relidx *g, struct store_conn *c, const char *at,
                        const char *collections, struct err *e)
{
    /* records_updated walks only the relations written after `at` */
    struct store_stmt *st = store_prepare(
        c,
        "SELECT r.rid, r.id, r.kind, json_extract(v.data, '$.source'), "
        "json_extract(v.data, '$.target'), json_type(v.data, '$.retired_at'), v.rid "
        "FROM records r LEFT JOIN revisions v ON v.rid = r.rid AND v.revision = "
        "(SELECT MAX(w.revision) FROM revisions w WHERE w.rid = r.rid AND w.at <= $1) "
        "WHERE r.collection IN (SELECT value FROM json_each($2)) AND r.retired IN (0, 1) "
        "AND r.updated_at > $1",
        false, e);
    if (!st)
        return -1;
    store_bind_text(st, 1, at);
    store_bind_text(st, 2, collections);
    int rc;
    while ((rc = store_step(st, e)) == STORE_ROW) {
        int64_t rid = store_col_int64(st, 0);
        if (rid <= 0 || rid >= UINT32_MAX)
            continue;
        bool live = !store_col_null(st, 6) && store_col_null(st, 5) && !store_col_null(st, 3) &&
                    !store_col_null(st, 4);
        relidx_set_edge(g, (uint32_t)rid, store_col_text(st, 1), store_col_text(st, 2),
                        live ? store_col_text(st, 3) : NULL, live ? store_col_text(st, 4) : NULL,
                        NULL, live);
    }
    store_finalize(st);
    return rc == STORE_ERROR ? -1 : 0;
}

bool relidx_has_edge(const struct relidx *g, uint32_t rid)
{
    return rid < g->edge_of_cap && g->edge_of[rid];
}

/* --- reading --------------------------------------------------------------------- */

bool relidx_node(const struct relidx *g, const char *id, uint32_t *rid, const char **kind,
                 bool *live)
{
    const struct node *n = node_get(g, id);
    if (!n)
        return false;
    *rid = n->rid;
    *kind = interned(g, n->kind);
    *live = n->live;
    return true;
}

uint32_t relidx_node_at(const struct relidx *g, const char *id)
{
    const struct node *n = node_get(g, id);
    return n ? (uint32_t)(n - g->nodes) + 1 : 0;
}

static int cmp_hit(const void *a, const void *b)
{
    uint32_t x = ((const struct relidx_hit *)a)->rid, y = ((const struct relidx_hit *)b)->rid;
    return x < y ? -1 : x > y;
}

/* Orders one node's hits by row id: a few, mostly (insertion), else qsort. */
static void sort_hits(struct relidx_hit *v, size_t n)
{
    if (n > 16) {
        qsort(v, n, sizeof *v, cmp_hit);
        return;
    }
    for (size_t i = 1; i < n; i++) {
        struct relidx_hit x = v[i];
        size_t j = i;
        for (; j > 0 && v[j - 1].rid > x.rid; j--)
            v[j] = v[j - 1];
        v[j] = x;
    }
}

/* The hits of node x (NULL: none) in v (k so far, room for cap, grown in
 * the arena), sorted; from is the caller's name for it. */
static struct relidx_hit *node_hits(const struct relidx *g, struct arena *a, const struct node *x,
                                    const char *from, bool out, relidx_keep_fn keep, void *ctx,
                                    struct relidx_hit *v, size_t *k, size_t *cap)
{
    size_t first = *k;
    for (uint32_t e = x ? (out ? x->first_out : x->first_in) : 0; e;
         e = out ? g->edges[e - 1].next_out : g->edges[e - 1].next_in) {
        const struct edge *ed = &g->edges[e - 1];
        if (keep && !keep(ctx, ed->rid, interned(g, ed->type)))
            continue;
        if (*k == *cap) {
            struct relidx_hit *w = arena_alloc(a, 2 * *cap * sizeof *w);
            memcpy(w, v, *k * sizeof *v);
            v = w;
            *cap *= 2;
        }
        uint32_t other = out ? ed->dst : ed->src;
        const struct node *o = &g->nodes[other];
        v[(*k)++] = (struct relidx_hit){.rid = ed->rid,
                                        .id = g->pool + ed->id,
                                        .type = interned(g, ed->type),
                                        .visible = interned(g, ed->vis),
                                        .from = from,
                                        .other = g->pool + o->id,
                                        .other_kind = interned(g, o->kind),
                                        .other_rid = o->rid,
                                        .other_live = o->live,
                                        .other_node = other + 1};
    }
    sort_hits(v + first, *k - first);
    return v;
}

/* Room at first for as many hits as n nodes have, mostly (sixteen a
 * node, but no more than the graph's edges can give): the array grows by
 * doubling and copying, and only what is written of it is touched. */
static size_t hits_cap(const struct relidx *g, size_t n)
{
    size_t most = 2 * g->n_edges + 64;
    return n < 4 ? 64 : 16 * n < most ? 16 * n : most;
}

/* One pass over each node's list (the edges lie all over the graph's
 * memory: reading each once, and only the kept ones' other ends, is most
 * of the cost), into an array grown in the arena. */
size_t relidx_hits(const struct relidx *g, struct arena *a, const char *const *ids, size_t n,
                   bool out, relidx_keep_fn keep, void *ctx, struct relidx_hit **hits)
{
    size_t k = 0, cap = hits_cap(g, n);
    struct relidx_hit *v = arena_alloc(a, cap * sizeof *v);
    for (size_t i = 0; i < n; i++)
        v = node_hits(g, a, node_get(g, ids[i]), ids[i], out, keep, ctx, v, &k, &cap);
    *hits = v;
    return k;
}

/* The hits of the n nodes (known, or looked up by their ids when nodes is
 * NULL or a node 0) into v (k so far, room for cap). */
static struct relidx_hit *nodes_hits(const struct relidx *g, struct arena *a,
                                     const uint32_t *nodes, const char *const *ids, size_t n,
                                     bool out, relidx_keep_fn keep, void *ctx,
                                     struct relidx_hit *v, size_t *k, size_t *cap)
{
    for (size_t i = 0; i < n; i++) {
        /* the nodes ahead and their first edges asked for from memory
         * while this one's are read: thousands of nodes lie all over it */
        if (nodes && i + 8 < n && nodes[i + 8] && nodes[i + 8] <= g->n_nodes)
            __builtin_prefetch(&g->nodes[nodes[i + 8] - 1]);
        if (nodes && i + 4 < n && nodes[i + 4] && nodes[i + 4] <= g->n_nodes) {
            const struct node *y = &g->nodes[nodes[i + 4] - 1];
            uint32_t e = out ? y->first_out : y->first_in;
            if (e)
                __builtin_prefetch(&g->edges[e - 1]);
        }
        /* a node stays where it is while the graph lives (none is ever
         * removed); one unknown is looked up by its id */
        const struct node *x = nodes && nodes[i] && nodes[i] <= g->n_nodes
                                   ? &g->nodes[nodes[i] - 1]
                                   : node_get(g, ids[i]);
        v = node_hits(g, a, x, ids[i], out, keep, ctx, v, k, cap);
    }
    return v;
}

size_t relidx_hits_into(const struct relidx *g, struct arena *a, const uint32_t *nodes,
                        const char *const *ids, size_t n, bool out, relidx_keep_fn keep,
                        void *ctx, struct relidx_hit **v, size_t *cap)
{
    size_t k = 0;
    if (!*v || !*cap) {
        *cap = hits_cap(g, n);
        *v = arena_alloc(a, *cap * sizeof **v);
    }
    *v = nodes_hits(g, a, nodes, ids, n, out, keep, ctx, *v, &k, cap);
    return k;
}

void relidx_hits_copy(struct arena *a, struct relidx_hit *hits, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        hits[i].id = arena_strdup(a, hits[i].id);
        hits[i].other = arena_strdup(a, hits[i].other);
    }
}

void relidx_size(const struct relidx *g, size_t *nodes, size_t *edges, size_t *bytes)
{
    size_t b = g->pool_cap + g->cap_nodes * sizeof *g->nodes + g->cap_edges * sizeof *g->edges +
               g->edge_of_cap * sizeof *g->edge_of + (g->node_ids.cap + g->str_ids.cap) * 4;
    *nodes = g->n_nodes;
    *edges = g->live_edges;
    *bytes = b;
}
