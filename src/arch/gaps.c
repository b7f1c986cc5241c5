/* gaps: the target architecture and its gap report (issue 16, REQ ARC-11,
 * ARC-12): the as-is with the initiatives applied, derived from the
 * records, never a copy. An element no initiative affects is kept; one an
 * initiative changes is enhanced, replaced or removed as the initiative's
 * type says (the model's gap_analysis); one an initiative brings is new.
 * TOGAF's gap matrix, element by element: what changes, by which
 * initiatives, replaced by what. Only what the reader may read: an
 * initiative, a relation and an element alike. */
#include "arch/arch.h"

#include "store/store.h"
#include "util/arena.h"

#include <stdlib.h>
#include <string.h>

static int rank(const char *effect)
{
    for (int i = 0; MODEL_GAP_EFFECTS[i]; i++)
        if (strcmp(MODEL_GAP_EFFECTS[i], effect) == 0)
            return i;
    return 99;
}

bool arch_gap_effect_known(const char *effect)
{
    return effect && rank(effect) < 99;
}

/* The initiatives the reader may read, not excluded, of the domain when
 * one is given: id -> record. */
static int initiatives(struct registry *r, const struct actor *a,
                       const struct model_gap_analysis *g, const char *domain, json_t *into,
                       struct err *e)
{
    struct store_stmt *st =
        store_prepare(store_conn(registry_store(r)),
                      "SELECT d.data FROM records x JOIN record_data d ON d.rid = x.rid "
                      "WHERE x.collection = $2 AND x.retired = 0 AND x.kind = $1 ORDER BY x.rid",
                      true, e);
    if (!st)
        return -1;
    /* by its collection too: the index of (collection, retired, kind), not
     * a scan of every record (most of a national report's time) */
    store_bind_text(st, 1, g->kind->id);
    store_bind_text(st, 2, g->kind->collection);
    int rc;
    while ((rc = store_step(st, e)) == STORE_ROW) {
        json_t *rec = json_loads(store_col_text(st, 0), 0, NULL);
        const char *id = json_string_value(json_object_get(rec, "id"));
        const char *dom = g->domain ? json_string_value(json_object_get(rec, g->domain)) : NULL;
        bool keep =
            id && registry_may_read(r, a, rec) &&
            (!g->exclude.n_terms || !model_cond_holds(&g->exclude, rec, registry_today(r))) &&
            (!domain || (dom && strcmp(dom, domain) == 0));
        if (keep)
            json_object_set_new(into, id, rec);
        else
            json_decref(rec);
    }
    store_reset(st);
    return rc == STORE_ERROR ? -1 : 0;
}

/* The relations of g's type out of the initiatives, with their far ends,
 * both readable: [{rel, element}]. */
static int affected(struct registry *r, const struct actor *a, const struct model_gap_analysis *g,
                    const json_t *inits, json_t *out, struct err *e)
{
    struct store_stmt *st = store_prepare(
        store_conn(registry_store(r)),
        "SELECT rd.data, xd.data FROM records rel JOIN record_data rd ON rd.rid = rel.rid "
        "JOIN attrs s ON s.rid = rel.rid AND s.field = 'source' "
        "JOIN attrs t ON t.rid = rel.rid AND t.field = 'target' "
        "JOIN records x ON x.id = t.value AND x.retired = 0 JOIN record_data xd ON xd.rid = x.rid "
        "WHERE rel.collection = $2 AND rel.retired = 0 AND rel.kind = $1 ORDER BY rel.rid",
        true, e);
    if (!st)
        return -1;
    store_bind_text(st, 1, g->relation->id);
    store_bind_text(st, 2, g->relation->collection);
    int rc;
    while ((rc = store_step(st, e)) == STORE_ROW) {
        json_t *rel = json_loads(store_col_text(st, 0), 0, NULL);
        json_t *el = json_loads(store_col_text(st, 1), 0, NULL);
        const char *src = json_string_value(json_object_get(rel, "source"));
        if (rel && el && src && json_object_get(inits, src) && registry_may_read(r, a, rel) &&
            registry_may_read(r, a, el))
            json_array_append_new(out, json_pack("{s:o, s:o}", "rel", rel, "element", el));
        else {
            json_decref(rel);
            json_decref(el);
        }
    }
    store_reset(st);
    return rc == STORE_ERROR ? -1 : 0;
}

static json_t *ref_of(const struct model *m, const json_t *rec)
{
    const char *kind = json_string_value(json_object_get(rec, "kind"));
    const struct model_kind *k = model_kind(m, kind ? kind : "");
    json_t *o = json_pack("{s:O?, s:s?, s:s?, s:O?, s:O?}", "id", json_object_get(rec, "id"),
                          "kind", kind, "collection", k ? k->collection : NULL, "name",
                          json_object_get(rec, "name"), "owner", json_object_get(rec, "owner"));
    return o;
}

static const char *text(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/* Rows most changed first (remove, replace, enhance, new), then by their
 * first initiative's order in the list, then by id. */
static int cmp_rows(const void *pa, const void *pb)
{
    const json_t *a = *(const json_t *const *)pa, *b = *(const json_t *const *)pb;
    int ra = rank(text(a, "effect")), rb = rank(text(b, "effect"));
    if (ra != rb)
        return ra < rb ? -1 : 1;
    json_int_t oa = json_integer_value(json_object_get(a, "order"));
    json_int_t ob = json_integer_value(json_object_get(b, "order"));
    if (oa != ob)
        return oa < ob ? -1 : 1;
    return strcmp(text(json_object_get(a, "element"), "id"),
                  text(json_object_get(b, "element"), "id"));
}

/* The target's rows (element id -> {element, effect, initiatives,
 * replaced_by, order}: each element the initiatives of `domain` (NULL:
 * all) affect, of collection `only` (NULL: all), with the strongest effect
 * of its initiatives) and those initiatives (*inits: id -> record), as the
 * reader a may read them. */
static int derive(struct registry *r, const struct actor *a, const struct model_gap_analysis *g,
                  const char *domain, const struct model_collection *only, json_t **rows_out,
                  json_t **inits_out, struct err *e)
{
    const struct model *m = registry_model(r);
    json_t *inits = json_object(), *links = json_array();
    if (initiatives(r, a, g, domain, inits, e) < 0 || affected(r, a, g, inits, links, e) < 0) {
        json_decref(inits);
        json_decref(links);
        return -1;
    }
    /* the initiatives in their order of listing, by priority's enum order
     * when the kind has one: the order of their records (creation) here */
    json_t *order = json_object();
    size_t i;
    json_t *l;
    json_int_t n_init = 0;
    const char *iid;
    json_t *init;
    json_object_foreach (inits, iid, init)
        json_object_set_new(order, iid, json_integer(n_init++));
    /* each initiative's results, for what it replaces */
    json_t *results = json_object();
    json_array_foreach (links, i, l) {
        const json_t *rel = json_object_get(l, "rel");
        const char *role = text(rel, g->role);
        if (role && strcmp(role, g->result) == 0) {
            const char *src = text(rel, "source");
            json_t *list = json_object_get(results, src);
            if (!list)
                json_object_set_new(results, src, list = json_array());
            json_array_append_new(list, ref_of(m, json_object_get(l, "element")));
        }
    }
    json_t *rows = json_object();
    json_array_foreach (links, i, l) {
        const json_t *rel = json_object_get(l, "rel"), *el = json_object_get(l, "element");
        const char *src = text(rel, "source"), *role = text(rel, g->role);
        const json_t *ini = json_object_get(inits, src);
        bool brought = role && strcmp(role, g->result) == 0;
        const char *effect = brought ? "new" : model_gap_effect(g, text(ini, g->type));
        const char *eid = text(el, "id");
        const struct model_kind *ek = model_kind(m, text(el, "kind") ? text(el, "kind") : "");
        if (!effect || !eid ||
            (only && (!ek || !ek->collection || strcmp(ek->collection, only->id) != 0)))
            continue;
        json_t *row = json_object_get(rows, eid);
        if (!row) {
            row =
                json_pack("{s:o, s:s, s:[], s:[], s:O}", "element", ref_of(m, el), "effect", effect,
                          "initiatives", "replaced_by", "order", json_object_get(order, src));
            json_object_set_new(rows, eid, row);
        } else if (rank(effect) < rank(text(row, "effect"))) {
            json_object_set_new(row, "effect", json_string(effect));
        }
        json_t *ir = json_pack("{s:s, s:O?, s:O?, s:s, s:s}", "id", src, "name",
                               json_object_get(ini, "name"), "type", json_object_get(ini, g->type),
                               "effect", effect, "role", role);
        json_array_append_new(json_object_get(row, "initiatives"), ir);
        if (strcmp(effect, "replace") == 0) {
            size_t j;
            json_t *res;
            json_array_foreach (json_object_get(results, src), j, res)
                json_array_append(json_object_get(row, "replaced_by"), res);
        }
    }
    json_decref(links);
    json_decref(results);
    json_decref(order);
    *rows_out = rows;
    *inits_out = inits;
    return 0;
}

int arch_gaps(struct registry *r, const struct actor *a, const struct arch_gap_query *q,
              json_t **out, struct err *e)
{
    *out = NULL;
    const struct model *m = registry_model(r);
    const struct model_gap_analysis *g = model_gap_analysis(m);
    if (!g) {
        err_not_found(e, "the model has no gap analysis");
        return -1;
    }
    const struct model_collection *only = q->collection ? model_collection(m, q->collection) : NULL;
    if (q->collection && !only) {
        err_set(e, 400, "bad-request", "collection", "no collection '%.60s'", q->collection);
        return -1;
    }
    if (q->effect && !arch_gap_effect_known(q->effect)) {
        err_set(e, 400, "bad-request", "effect", "'effect' is remove, replace, enhance or new");
        return -1;
    }
    json_t *rows, *inits, *init;
    const char *iid;
    if (derive(r, a, g, q->domain, only, &rows, &inits, e) < 0)
        return -1;
    size_t n = json_object_size(rows), k = 0;
    json_t **v = calloc(n ? n : 1, sizeof *v);
    if (!v)
        abort();
    json_t *counts =
        json_pack("{s:i, s:i, s:i, s:i}", "remove", 0, "replace", 0, "enhance", 0, "new", 0);
    json_t *row;
    json_object_foreach (rows, iid, row) {
        const char *effect = text(row, "effect");
        json_object_set_new(counts, effect,
                            json_integer(json_integer_value(json_object_get(counts, effect)) + 1));
        if (!q->effect || strcmp(q->effect, effect) == 0)
            v[k++] = json_incref(row);
    }
    qsort(v, k, sizeof *v, cmp_rows);
    json_t *items = json_array();
    for (size_t j = 0; j < k; j++) {
        json_object_del(v[j], "order");
        if (!json_array_size(json_object_get(v[j], "replaced_by")))
            json_object_del(v[j], "replaced_by");
        json_array_append_new(items, v[j]);
    }
    free(v);
    json_decref(rows);
    json_t *inits_out = json_array();
    json_object_foreach (inits, iid, init) {
        json_t *o = ref_of(m, init);
        json_object_set(o, "type", json_object_get(init, g->type));
        json_array_append_new(inits_out, o);
    }
    json_decref(inits);
    *out = json_pack("{s:o, s:o, s:o}", "items", items, "counts", counts, "initiatives", inits_out);
    if (q->collection)
        json_object_set_new(*out, "collection", json_string(q->collection));
    if (q->domain)
        json_object_set_new(*out, "domain", json_string(q->domain));
    if (q->effect)
        json_object_set_new(*out, "effect", json_string(q->effect));
    return 0;
}

int arch_gap_effects(struct registry *r, const struct actor *a, json_t **out, struct err *e)
{
    *out = json_object();
    const struct model_gap_analysis *g = model_gap_analysis(registry_model(r));
    json_t *rows, *inits, *row;
    const char *id;
    if (!g) /* no initiatives: the target is the as-is */
        return 0;
    if (derive(r, a, g, NULL, NULL, &rows, &inits, e) < 0) {
        json_decref(*out);
        *out = NULL;
        return -1;
    }
    json_object_foreach (rows, id, row)
        json_object_set(*out, id, json_object_get(row, "effect"));
    json_decref(rows);
    json_decref(inits);
    return 0;
}
