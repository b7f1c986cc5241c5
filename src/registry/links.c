/* links: many records' relations of one type at once, from the relations
 * graph the filter index keeps in memory (relidx.h), for the views drawn
 * over thousands of records (the capability map, its matrices): a few
 * array reads per record instead of an SQL join that reads each relation's
 * stored data. A relation is kept when the reader may read it, as a walk
 * decides (its visibility, else its stored ends). */
#include "fidx.h"
#include "internal.h"
#include "relidx.h"

#include <stdlib.h>
#include <string.h>

bool reg_relation_readable(struct registry *r, struct store_conn *c, const struct actor *a,
                           bool reads_all, json_t *orgs, const char *id, const char *vis)
{
    bool signed_in = a->system || a->user[0];
    if (reads_all || (vis && strcmp(vis, REG_VISIBLE_PUBLIC) == 0))
        return true;
    if (vis && strcmp(vis, REG_VISIBLE_SIGNED_IN) == 0)
        return signed_in; /* no end unpublished, some only for the signed-in */
    if (vis && *vis != ':') {
        json_t *may = json_object_get(orgs, vis);
        if (!may)
            json_object_set_new(orgs, vis, may = json_boolean(reg_reads_unpublished(r, a, vis)));
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

static bool of_type(void *ctx, uint32_t rid, const char *type)
{
    (void)rid;
    return strcmp(type, ctx) == 0;
}

long registry_links(struct registry *r, const struct actor *a, struct arena *ar, const char *type,
                    bool out, const char *const *ids, size_t n, struct registry_link **links)
{
    *links = NULL;
    if (!fidx_ready(r->fidx))
        return -1;
    struct relidx_hit *hits;
    fidx_read_lock(r->fidx);
    size_t n_hits = relidx_hits(fidx_graph(r->fidx), ar, ids, n, out, of_type, (void *)type, &hits);
    fidx_read_unlock(r->fidx);
    bool reads_all = a->system || (a->user[0] && reg_reads_unpublished(r, a, NULL));
    json_t *orgs = json_object();
    struct store_conn *c = store_conn(r->store);
    struct registry_link *v = arena_calloc(ar, n_hits + 1, sizeof *v);
    size_t k = 0;
    for (size_t i = 0; i < n_hits; i++) {
        const struct relidx_hit *h = &hits[i];
        if (!h->other_live || !reg_relation_readable(r, c, a, reads_all, orgs, h->id, h->visible))
            continue;
        v[k++] = (struct registry_link){h->from, h->other, h->other_kind, h->other_rid};
    }
    json_decref(orgs);
    *links = v;
    return (long)k;
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
    struct store_stmt *st = store_prepare(store_conn(r->store),
                                          "SELECT r.id, d.data FROM records r JOIN record_data d "
                                          "ON d.rid = r.rid WHERE r.rid IN (SELECT value FROM "
                                          "json_each($1))",
                                          true, e);
    if (!st) {
        free(text);
        return -1;
    }
    store_bind_text(st, 1, text);
    struct arena *ar = arena_new();
    int rc;
    while ((rc = store_step(st, e)) == STORE_ROW) {
        json_t *rec = json_object_get(recs, store_col_text(st, 0));
        const char *name =
            rec && !store_col_null(st, 1) ? reg_stored_name(ar, store_col_text(st, 1)) : NULL;
        json_t *parsed = name ? json_loads(name, JSON_DECODE_ANY, NULL) : NULL;
        if (parsed)
            json_object_set_new(rec, "name", parsed);
    }
    store_reset(st);
    arena_free(ar);
    free(text);
    return rc == STORE_ERROR ? -1 : 0;
}
