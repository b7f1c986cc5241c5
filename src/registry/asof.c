/* asof: records as they were at an instant, as a reader may see them then
 * (REQ ARC-12), for the walks as of a date: the traceability walk
 * (trace.c) and the paths of the views (walk.c, views.c).
 *
 * A record is there at the instant when it existed then (its last
 * revision at or before it), was not retired then, and the reader may read
 * it both as it was and as it is, as a GET of the record ?at= decides (a
 * relation: both its ends now, and as it was). Each record is looked up
 * once a walk. */
#include "fidx.h"
#include "internal.h"
#include "relidx.h"

#include "util/timeutil.h"

#include <stdlib.h>
#include <string.h>

void reg_asof_init(struct reg_asof *s, struct registry *r, const struct actor *a, const char *at)
{
    *s = (struct reg_asof){r, store_conn(r->store), a, at, json_object()};
}

void reg_asof_free(struct reg_asof *s)
{
    json_decref(s->seen);
    s->seen = NULL;
}

/* {rid, rec}: the record id as of s->at (rec null when it is not there
 * then, rid 0 when it does not exist), or NULL on a store error. */
static json_t *look_up(struct reg_asof *s, const char *id, struct err *e)
{
    struct rec_row row;
    int found = rec_load(s->c, NULL, id, &row, e);
    if (found <= 0)
        return found < 0 ? NULL : json_pack("{s:I, s:n}", "rid", (json_int_t)0, "rec");
    json_t *now = json_loads(row.data, 0, NULL), *then = NULL;
    int64_t rev = 0;
    char *data = NULL;
    int rc = 0;
    if (now && registry_may_read(s->r, s->a, now)) {
        /* unchanged since: as it was then is as it is (read as such) */
        const char *upd = json_string_value(json_object_get(now, "updated_at"));
        if (upd && strcmp(upd, s->at) <= 0)
            then = json_incref(now);
        else if ((rc = reg_revision_at(s->c, row.rid, s->at, &rev, &data, e)) == 0 && data)
            then = json_loads(data, 0, NULL);
    }
    if (then && (json_object_get(then, "retired_at") ||
                 (then != now && !registry_may_read(s->r, s->a, then)))) {
        json_decref(then);
        then = NULL;
    }
    free(data);
    json_decref(now);
    int64_t rid = row.rid;
    rec_row_free(&row);
    if (rc < 0) {
        json_decref(then);
        return NULL;
    }
    return json_pack("{s:I, s:o?}", "rid", (json_int_t)rid, "rec", then);
}

int reg_asof_record(struct reg_asof *s, const char *id, json_t **then, int64_t *rid, struct err *e)
{
    *then = NULL;
    json_t *v = json_object_get(s->seen, id);
    if (!v) {
        v = look_up(s, id, e);
        if (!v)
            return -1;
        json_object_set_new(s->seen, id, v);
    }
    json_t *rec = json_object_get(v, "rec");
    *then = json_is_null(rec) ? NULL : rec;
    if (rid)
        *rid = json_integer_value(json_object_get(v, "rid"));
    return 0;
}

void reg_asof_put(struct reg_asof *s, const char *id, int64_t rid, json_t *rec)
{
    json_object_set_new(s->seen, id, json_pack("{s:I, s:O?}", "rid", (json_int_t)rid, "rec", rec));
}

char *reg_kinds_collections(const struct model *m, const char *const *kinds, size_t n)
{
    json_t *v = json_array(), *seen = json_object();
    for (size_t i = 0; i < n; i++) {
        const struct model_kind *k = model_kind(m, kinds[i]);
        if (k && k->collection && !json_object_get(seen, k->collection)) {
            json_object_set_new(seen, k->collection, json_true());
            json_array_append_new(v, json_string(k->collection));
        }
    }
    char *s = json_dumps(v, JSON_COMPACT);
    json_decref(v);
    json_decref(seen);
    return s;
}

char *reg_strings_json(const char *const *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(v[i]));
    char *s = json_dumps(a, JSON_COMPACT);
    json_decref(a);
    return s;
}

char *reg_kind_collections_json(const struct model *m, const char *const *kinds, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) {
        const struct model_kind *k = model_kind(m, kinds[i]);
        const char *coll = k ? k->collection : NULL;
        size_t at, had = json_array_size(a);
        for (at = 0; coll && at < had; at++)
            if (!strcmp(json_string_value(json_array_get(a, at)), coll))
                break;
        if (coll && at == had)
            json_array_append_new(a, json_string(coll));
    }
    char *s = json_dumps(a, JSON_COMPACT);
    json_decref(a);
    return s;
}

json_t *reg_first_column(struct store_stmt *q, struct err *e)
{
    json_t *out = json_array();
    int rc;
    while ((rc = store_step(q, e)) == STORE_ROW)
        json_array_append_new(out, json_string(store_col_text(q, 0)));
    store_reset(q);
    if (rc == STORE_ERROR) {
        json_decref(out);
        return NULL;
    }
    return out;
}

/* ---- a reader's view of an instant, for the maps drawn as of a date ---------------- */

struct registry_at {
    struct reg_asof s;
    char at[32];
    json_t *changed; /* ids of the records written since (any collection), once asked */
};

struct registry_at *registry_at_open(struct registry *r, const struct actor *a, int64_t at_ms)
{
    struct registry_at *v = calloc(1, sizeof *v);
    if (!v)
        fatal("out of memory");
    time_format_rfc3339(at_ms, v->at, sizeof v->at);
    reg_asof_init(&v->s, r, a, v->at);
    return v;
}

void registry_at_close(struct registry_at *v)
{
    if (!v)
        return;
    reg_asof_free(&v->s);
    json_decref(v->changed);
    free(v);
}

const char *registry_at_instant(const struct registry_at *v)
{
    return v->at;
}

const json_t *registry_at_record(struct registry_at *v, const char *id, struct err *e)
{
    json_t *then = NULL;
    return reg_asof_record(&v->s, id, &then, NULL, e) == 0 ? then : NULL;
}

int reg_cmp_reached(const void *a, const void *b)
{
    const struct reg_reached *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : (x->rid > y->rid) - (x->rid < y->rid);
}

int registry_at_collection(struct registry_at *v, const char *collection, json_t *into,
                           json_t *order, struct err *e)
{
    /* every record the collection ever held; each judged on its state then */
    struct store_stmt *q = store_prepare(
        v->s.c, "SELECT id FROM records WHERE collection = $1 ORDER BY rid", true, e);
    if (!q)
        return -1;
    store_bind_text(q, 1, collection);
    json_t *ids = reg_first_column(q, e);
    if (!ids)
        return -1;
    size_t n = json_array_size(ids), k = 0;
    struct reg_reached *names = calloc(n + 1, sizeof *names);
    if (!names)
        fatal("out of memory");
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const char *id = json_string_value(json_array_get(ids, i));
        json_t *then = NULL;
        int64_t rid = 0;
        rc = reg_asof_record(&v->s, id, &then, &rid, e);
        if (rc == 0 && then) {
            json_object_set(into, id, then);
            names[k++] = (struct reg_reached){reg_sort_name(then), rid, then};
        }
    }
    qsort(names, k, sizeof *names, reg_cmp_reached);
    for (size_t i = 0; i < k; i++) {
        if (order && rc == 0)
            json_array_append(order, json_object_get(names[i].rec, "id"));
        free(names[i].key);
    }
    free(names);
    json_decref(ids);
    return rc;
}

/* The ids of the records written since the instant, in any collection
 * (borrowed; NULL on a store error). */
static const json_t *changed_since(struct registry_at *v, struct err *e)
{
    if (v->changed)
        return v->changed;
    const struct model *m = v->s.r->model;
    json_t *colls = json_array();
    for (size_t i = 0; i < model_n_collections(m); i++)
        json_array_append_new(colls, json_string(model_collection_at(m, i)->id));
    char *list = json_dumps(colls, JSON_COMPACT);
    json_decref(colls);
    struct store_stmt *q = store_prepare(
        v->s.c,
        "SELECT id FROM records WHERE collection IN (SELECT value FROM json_each($1)) "
        "AND retired IN (0, 1) AND updated_at > $2",
        true, e);
    json_t *ids = NULL;
    if (q) {
        store_bind_text(q, 1, list);
        store_bind_text(q, 2, v->at);
        ids = reg_first_column(q, e);
    }
    free(list);
    if (!ids)
        return NULL;
    v->changed = json_object();
    size_t i;
    json_t *x;
    json_array_foreach (ids, i, x)
        json_object_set_new(v->changed, json_string_value(x), json_true());
    json_decref(ids);
    return v->changed;
}

/* A link met, with its relation's row id (the order of the answer). */
struct link_at {
    uint32_t rel_rid;
    struct registry_link l;
};

static int cmp_link_at(const void *a, const void *b)
{
    uint32_t x = ((const struct link_at *)a)->rel_rid, y = ((const struct link_at *)b)->rel_rid;
    return x < y ? -1 : x > y;
}

/* Appends to vec relation rel_rid's link from `from` to `other` (strings
 * in the arena) when `other` was there then, with its kind then. */
static int far_then(struct registry_at *v, struct arena *ar, uint32_t rel_rid, const char *from,
                    const char *other, struct link_at *vec, size_t *k, struct err *e)
{
    json_t *far = NULL;
    int64_t far_rid = 0;
    if (reg_asof_record(&v->s, other, &far, &far_rid, e) < 0)
        return -1;
    if (!far)
        return 0;
    const char *kind = json_string_value(json_object_get(far, "kind"));
    vec[(*k)++] = (struct link_at){
        rel_rid, {from, other, kind ? arena_strdup(ar, kind) : NULL, (uint32_t)far_rid, 0}};
    return 0;
}

/* Appends to vec the link that relation `id` (of `type`, row id rel_rid)
 * made then from one of `near` to a record there then, judged on the
 * states then. */
static int link_then(struct registry_at *v, struct arena *ar, const char *type, bool out,
                     const json_t *near, const char *id, uint32_t rel_rid, struct link_at *vec,
                     size_t *k, struct err *e)
{
    json_t *rel = NULL;
    if (reg_asof_record(&v->s, id, &rel, NULL, e) < 0)
        return -1;
    if (!rel)
        return 0;
    const char *t = json_string_value(json_object_get(rel, "type"));
    const char *from = json_string_value(json_object_get(rel, out ? "source" : "target"));
    const char *other = json_string_value(json_object_get(rel, out ? "target" : "source"));
    if (!t || strcmp(t, type) != 0 || !from || !json_object_get(near, from) || !other)
        return 0;
    return far_then(v, ar, rel_rid, arena_strdup(ar, from), arena_strdup(ar, other), vec, k, e);
}

/* The relations of type $1 (in collection $2) written since $3 (live or
 * retired now): judged on their states then. */
static const char WRITTEN_SINCE_SQL[] =
    "SELECT id, rid FROM records WHERE collection = $2 AND retired IN (0, 1) AND updated_at > $3 "
    "AND kind = $1";
/* Without the graph in memory: those unchanged since whose near end ($4,
 * a JSON array) is listed, through the index of ends, and those written
 * since. */
static const char LINKS_AT_SQL[] =
    "SELECT r.id, r.rid FROM attrs a JOIN records r ON r.rid = a.rid AND r.retired = 0 "
    "AND r.kind = $1 AND r.updated_at <= $3 "
    "WHERE a.field = $5 AND a.value IN (SELECT value FROM json_each($4)) "
    "UNION SELECT r.id, r.rid FROM records r WHERE r.collection = $2 AND r.retired IN (0, 1) "
    "AND r.updated_at > $3 AND r.kind = $1";

bool registry_at_unchanged(struct registry_at *v, const char *id)
{
    struct err e = ERR_INIT;
    const json_t *changed = changed_since(v, &e);
    return changed && !json_object_get(changed, id);
}

long registry_at_links(struct registry_at *v, struct arena *ar, const char *type, bool out,
                       const char *const *ids, size_t n, struct registry_link **links,
                       struct err *e)
{
    struct registry *r = v->s.r;
    const struct model_kind *rk = model_kind(r->model, type);
    *links = arena_calloc(ar, 1, sizeof **links);
    if (!rk || !rk->is_relation || n == 0)
        return 0;
    json_t *near = json_object();
    for (size_t i = 0; i < n; i++)
        json_object_set_new(near, ids[i], json_true());
    /* the relations unchanged since are those of the graph now: crossed
     * as now when their far end is unchanged too, else with it as it was;
     * those written since are each judged on their state then */
    bool graph = fidx_ready(r->fidx);
    const json_t *changed = graph ? changed_since(v, e) : NULL;
    struct relidx_hit *hits = NULL;
    size_t n_hits = 0;
    if (changed) {
        fidx_read_lock(r->fidx);
        n_hits = relidx_hits(fidx_graph(r->fidx), ar, ids, n, out, reg_of_type, (void *)type, &hits);
        relidx_hits_copy(ar, hits, n_hits);
        fidx_read_unlock(r->fidx);
    }
    struct store_stmt *q = store_prepare(v->s.c, changed ? WRITTEN_SINCE_SQL : LINKS_AT_SQL, true, e);
    json_t *cands = NULL; /* [[id, rid], …] */
    int rc = q ? 0 : -1;
    if (q) {
        char *list = changed ? NULL : reg_strings_json(ids, n);
        store_bind_text(q, 1, type);
        store_bind_text(q, 2, rk->collection ? rk->collection : "");
        store_bind_text(q, 3, v->at);
        if (!changed) {
            store_bind_text(q, 4, list);
            store_bind_text(q, 5, out ? "source" : "target");
        }
        cands = json_array();
        while ((rc = store_step(q, e)) == STORE_ROW)
            json_array_append_new(cands, json_pack("[s, I]", store_col_text(q, 0),
                                                   (json_int_t)store_col_int64(q, 1)));
        store_reset(q);
        rc = rc == STORE_ERROR ? -1 : 0;
        free(list);
    }
    size_t m = json_array_size(cands), k = 0;
    struct link_at *got = arena_calloc(ar, n_hits + m + 1, sizeof *got);
    bool reads_all = v->s.a->system || (v->s.a->user[0] && reg_reads_unpublished(r, v->s.a, NULL));
    json_t *orgs = json_object();
    for (size_t i = 0; rc == 0 && i < n_hits; i++) {
        const struct relidx_hit *h = &hits[i];
        if (json_object_get(changed, h->id))
            continue; /* written since: among the candidates */
        if (!json_object_get(changed, h->other)) {
            if (h->other_live && reg_relation_readable(r, v->s.c, v->s.a, reads_all, orgs, h->id,
                                                       h->visible))
                got[k++] = (struct link_at){h->rid, {h->from, h->other, h->other_kind, h->other_rid, 0}};
            continue;
        }
        rc = far_then(v, ar, h->rid, h->from, h->other, got, &k, e);
    }
    for (size_t i = 0; rc == 0 && i < m; i++) {
        const json_t *c = json_array_get(cands, i);
        rc = link_then(v, ar, type, out, near, json_string_value(json_array_get(c, 0)),
                       (uint32_t)json_integer_value(json_array_get(c, 1)), got, &k, e);
    }
    /* in the order of the relations' row ids, as the graph and the store
     * give them now */
    qsort(got, k, sizeof *got, cmp_link_at);
    struct registry_link *vec = arena_calloc(ar, k + 1, sizeof *vec);
    for (size_t i = 0; i < k; i++)
        vec[i] = got[i].l;
    json_decref(orgs);
    json_decref(cands);
    json_decref(near);
    *links = vec;
    return rc < 0 ? -1 : (long)k;
}
