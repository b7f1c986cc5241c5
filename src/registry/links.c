/* links: many records' relations of one type at once, from the relations
 * graph the filter index keeps in memory (relidx.h), for the views drawn
 * over thousands of records (the capability map, its matrices): a few
 * array reads per record instead of an SQL join that reads each relation's
 * stored data. A relation is kept when the reader may read it, as a walk
 * decides (its visibility, else its stored ends). */
#include "fidx.h"
#include "internal.h"
#include "relidx.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* May the reader read a relation of visibility vis, as far as that says
 * alone: 1 or 0, or -1 when it takes the reader's organisation's rights
 * or the relation's stored ends (reg_relation_readable). */
static int readable_by_visibility(const struct actor *a, bool reads_all, const char *vis)
{
    if (reads_all || (vis && strcmp(vis, REG_VISIBLE_PUBLIC) == 0))
        return 1;
    if (vis && strcmp(vis, REG_VISIBLE_SIGNED_IN) == 0)
        return a->system || a->user[0]; /* no end unpublished, some only for the signed-in */
    return -1;
}

bool reg_relation_readable(struct registry *r, struct store_conn *c, const struct actor *a,
                           bool reads_all, json_t *orgs, const char *id, const char *vis)
{
    int by_vis = readable_by_visibility(a, reads_all, vis);
    if (by_vis >= 0)
        return by_vis;
    if (vis && *vis != ':') {
        json_t *may = json_object_get(orgs, vis);
        if (!may)
            json_object_set_new(orgs, vis, may = json_boolean(reg_reads_unpublished_ends(r, a, vis)));
        if (json_is_true(may))
            return true;
    }
    struct rec_row row;
    struct err e = ERR_INIT;
    if (rec_load(c, NULL, id, &row, &e) <= 0)
        return false;
    json_t *rel = json_loads(row.data, 0, NULL);
    rec_row_free(&row);
    bool ok = rel && registry_may_read(r, a, rel);
    json_decref(rel);
    return ok;
}

bool reg_of_type(void *ctx, uint32_t rid, const char *type)
{
    (void)rid;
    return strcmp(type, ctx) == 0;
}

/* The other ends met, each copied once: the graph's pointers (one per
 * record) to their copies in the arena, by open addressing. */
struct ends_copied {
    const char **key, **copy;
    size_t mask;
};

static const char *end_copy(struct arena *ar, struct ends_copied *t, const char *end)
{
    size_t i = (size_t)(((uintptr_t)end * UINT64_C(0x9E3779B97F4A7C15)) >> 20) & t->mask;
    while (t->key[i] && t->key[i] != end)
        i = (i + 1) & t->mask;
    if (!t->key[i]) {
        t->key[i] = end;
        t->copy[i] = arena_strdup(ar, end);
    }
    return t->copy[i];
}

/* How many records' relations are read from the graph at once, into one
 * array reused batch after batch: a whole map's 70,000 hits (72 bytes
 * each) were one array of 5 MB, mapped anew and faulted in page by page
 * at each request (malloc maps blocks of 128 kB or more, cmd_serve). */
#define LINKS_BATCH 64

/* The links kept, their relations' ids when undecided, and room for more:
 * grown by doubling (rarely: room for sixteen a record at first, of which
 * only what is written is touched). */
struct links_out {
    struct registry_link *v;
    const char **undecided, **vis;
    size_t k, cap;
};

static void links_room(struct arena *ar, struct links_out *o)
{
    if (o->k < o->cap)
        return;
    size_t cap = 2 * o->cap;
    struct registry_link *v = arena_alloc(ar, cap * sizeof *v);
    memcpy(v, o->v, o->k * sizeof *v);
    o->v = v;
    if (o->undecided) {
        const char **u = arena_calloc(ar, cap, sizeof *u),
                   **vis = arena_calloc(ar, cap, sizeof *vis);
        memcpy(u, o->undecided, o->k * sizeof *u);
        memcpy(vis, o->vis, o->k * sizeof *vis);
        o->undecided = u;
        o->vis = vis;
    }
    o->cap = cap;
}

/* The hits kept as links (their other ends the graph's strings, copied
 * after), and an undecided one's relation id and visibility. */
static void links_add(struct arena *ar, struct links_out *o, const struct actor *a, bool reads_all,
                      const struct relidx_hit *hits, size_t n_hits)
{
    for (size_t i = 0; i < n_hits; i++) {
        const struct relidx_hit *h = &hits[i];
        int ok = h->other_live ? readable_by_visibility(a, reads_all, h->visible) : 0;
        if (ok == 0)
            continue;
        links_room(ar, o);
        if (ok < 0) {
            if (!o->undecided) {
                o->undecided = arena_calloc(ar, o->cap, sizeof *o->undecided);
                o->vis = arena_calloc(ar, o->cap, sizeof *o->vis);
            }
            o->undecided[o->k] = arena_strdup(ar, h->id);
            o->vis[o->k] = h->visible; /* interned: lives as long as the graph */
        }
        o->v[o->k++] =
            (struct registry_link){h->from, h->other, h->other_kind, h->other_rid, h->other_node};
    }
}

/* registry_links, from the nodes known (NULL: none; relidx_hits_into). */
static long links_kept(struct registry *r, const struct actor *a, struct arena *ar,
                       const char *type, bool out, const uint32_t *nodes, const char *const *ids,
                       size_t n, struct registry_link **links)
{
    *links = NULL;
    if (!fidx_ready(r->fidx))
        return -1;
    bool reads_all = a->system || (a->user[0] && reg_reads_unpublished_ends(r, a, NULL));
    struct links_out o = {.cap = 16 * n + 64};
    o.v = arena_alloc(ar, o.cap * sizeof *o.v);
    /* under the lock, the links kept copied out of the graph: each other
     * end once, and the relation's id only when its visibility alone does
     * not decide (undecided[k], read from the store after); the graph's
     * hits a batch of records at a time */
    fidx_read_lock(r->fidx);
    struct relidx *g = fidx_graph(r->fidx);
    struct relidx_hit *hits = NULL;
    size_t room = 0;
    for (size_t at = 0; at < n; at += LINKS_BATCH) {
        size_t m = n - at < LINKS_BATCH ? n - at : LINKS_BATCH;
        size_t n_hits = relidx_hits_into(g, ar, nodes ? nodes + at : NULL, ids + at, m, out,
                                         reg_of_type, (void *)type, &hits, &room);
        links_add(ar, &o, a, reads_all, hits, n_hits);
    }
    struct ends_copied ends;
    /* a free slot always (far fewer ends than links, mostly) */
    size_t cap = 16;
    while (cap < o.k + o.k / 4 + 1)
        cap <<= 1;
    ends.key = arena_calloc(ar, cap, sizeof *ends.key);
    ends.copy = arena_calloc(ar, cap, sizeof *ends.copy);
    ends.mask = cap - 1;
    for (size_t i = 0; i < o.k; i++)
        o.v[i].other = end_copy(ar, &ends, o.v[i].other);
    fidx_read_unlock(r->fidx);
    size_t k = o.k;
    if (o.undecided) {
        json_t *orgs = json_object();
        struct store_conn *c = store_conn(r->store);
        size_t kept = 0;
        for (size_t i = 0; i < k; i++)
            if (!o.undecided[i] ||
                reg_relation_readable(r, c, a, reads_all, orgs, o.undecided[i], o.vis[i]))
                o.v[kept++] = o.v[i];
        k = kept;
        json_decref(orgs);
    }
    *links = o.v;
    return (long)k;
}

long registry_links(struct registry *r, const struct actor *a, struct arena *ar, const char *type,
                    bool out, const char *const *ids, size_t n, struct registry_link **links)
{
    return links_kept(r, a, ar, type, out, NULL, ids, n, links);
}

long registry_links_of(struct registry *r, const struct actor *a, struct arena *ar,
                       const char *type, bool out, const uint32_t *nodes, const char *const *ids,
                       size_t n, struct registry_link **links)
{
    return links_kept(r, a, ar, type, out, nodes, ids, n, links);
}

int registry_field_has(struct registry *r, const char *collection, const char *field,
                       const char *value, uint32_t rid)
{
    if (!fidx_ready(r->fidx) || !reg_field_in_memory(r->model, collection, field))
        return -1;
    struct arena *ar = arena_new();
    char *key = fidx_key_field(ar, arena_printf(ar, "%s:%s", collection, field), value);
    fidx_read_lock(r->fidx);
    bool has = rids_has(fidx_get(r->fidx, key), rid);
    fidx_read_unlock(r->fidx);
    arena_free(ar);
    return has;
}

int registry_names(struct registry *r, json_t *recs, struct err *e)
{
    if (json_object_size(recs) == 0)
        return 0;
    json_t *rids = json_array(), *v;
    const char *id;
    json_object_foreach (recs, id, v)
        json_array_append_new(rids, json_integer(json_integer_value(json_object_get(v, "rid"))));
    char *text = json_dumps(rids, JSON_COMPACT);
    json_decref(rids);
    struct store_conn *c = store_conn(r->store);
    char ints[128], sql[256];
    snprintf(ints, sizeof ints, store_sql(c, STORE_SQL_JSON_INTS), 1);
    snprintf(sql, sizeof sql,
             "SELECT r.id, n.name FROM records r JOIN record_names n ON n.rid = r.rid "
             "WHERE r.rid IN (SELECT value FROM %s)",
             ints);
    struct store_stmt *st = store_prepare(c, sql, true, e);
    if (!st) {
        free(text);
        return -1;
    }
    store_bind_text(st, 1, text);
    int rc;
    while ((rc = store_step(st, e)) == STORE_ROW) {
        json_t *rec = json_object_get(recs, store_col_text(st, 0));
        const char *name = rec && !store_col_null(st, 1) ? store_col_text(st, 1) : NULL;
        json_t *parsed = name ? json_loads(name, JSON_DECODE_ANY, NULL) : NULL;
        if (parsed)
            json_object_set_new(rec, "name", parsed);
    }
    store_reset(st);
    free(text);
    return rc == STORE_ERROR ? -1 : 0;
}
