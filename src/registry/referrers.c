/* referrers: the records that name a record through their ref fields (a
 * ref, a list of refs, a ref sub-field of an object or of a list's items),
 * grouped by kind and field, as the reader may read them: what the card
 * shows as "referred to by" (a system named as the storage source of
 * master data's attributes, a domain named by its functions).
 *
 * One SQL query over the filter index's `_ref` entries finds them; each is
 * kept when the reader may read it, and judged after its restricted fields
 * are removed, so a field the reader may not see never shows a link. The
 * owner (the envelope, which the organisation's own section shows) and
 * relations (they have no card; the card's relations show them) are left
 * out. */
#include "internal.h"

#include <string.h>

static const char REFERRERS_SQL[] =
    "SELECT r.kind, r.owner, d.data FROM attrs a JOIN records r ON r.rid = a.rid AND r.retired = 0 "
    "JOIN record_data d ON d.rid = r.rid WHERE a.field = '_ref' AND a.value = $1 "
    "AND r.id <> $1 ORDER BY r.kind, r.sort_name, r.rid";

/* Does the stored text name id (as a JSON string) once at most? */
static bool only_once(const char *text, const char *id)
{
    char quoted[256];
    int n = snprintf(quoted, sizeof quoted, "\"%s\"", id);
    if (n < 0 || (size_t)n >= sizeof quoted)
        return false;
    const char *at = strstr(text, quoted);
    return !at || !strstr(at + n, quoted);
}

/* Does v (a ref's value) name id? */
static bool names(const json_t *v, const char *id)
{
    return json_is_string(v) && strcmp(json_string_value(v), id) == 0;
}

/* Does sub-field s of the object obj name id? */
static bool sub_names(const struct model_field *s, const json_t *obj, const char *id)
{
    return s->type == FT_REF && names(json_object_get(obj, s->name), id);
}

/* Does the member v of field f name id through f itself (sub NULL) or
 * through its sub-field sub (of an object, or of a list's items)? */
static bool field_names(const struct model_field *f, const struct model_field *sub, const json_t *v,
                        const char *id)
{
    size_t i;
    const json_t *x;
    if (!sub && f->type == FT_REF)
        return names(v, id);
    if (!sub && f->type == FT_LIST && f->item && f->item->type == FT_REF) {
        json_array_foreach (v, i, x)
            if (names(x, id))
                return true;
        return false;
    }
    if (sub && f->type == FT_OBJECT)
        return sub_names(sub, v, id);
    if (sub && f->type == FT_LIST && f->item && f->item->type == FT_OBJECT) {
        json_array_foreach (v, i, x)
            if (sub_names(sub, x, id))
                return true;
    }
    return false;
}

/* The group of kind k's field f (sub: its sub-field, or NULL) in groups,
 * made when new. */
static json_t *group_of(json_t *groups, const struct model_kind *k, const struct model_field *f,
                        const struct model_field *sub)
{
    size_t i;
    json_t *g;
    json_array_foreach (groups, i, g) {
        const char *gs = json_string_value(json_object_get(g, "sub"));
        if (strcmp(json_string_value(json_object_get(g, "kind")), k->id) == 0 &&
            strcmp(json_string_value(json_object_get(g, "field")), f->name) == 0 &&
            (sub ? gs && strcmp(gs, sub->name) == 0 : !gs))
            return g;
    }
    g = json_pack("{s:s, s:s, s:s, s:i, s:[]}", "kind", k->id, "collection", k->collection, "field",
                  f->name, "count", 0, "items");
    if (sub)
        json_object_set_new(g, "sub", json_string(sub->name));
    json_array_append_new(groups, g);
    return g;
}

/* Counts rec (of kind k, readable, redacted) in the group of each of its
 * fields that names id, listing it while the group has fewer than max. */
static void add_referrer(json_t *groups, const struct model_kind *k, const json_t *rec,
                         const char *id, size_t max)
{
    for (size_t i = 0; i < k->n_fields; i++) {
        const struct model_field *f = &k->fields[i];
        const json_t *v = json_object_get(rec, f->name);
        const struct model_field *subs = f->type == FT_OBJECT            ? f->sub
                                         : f->type == FT_LIST && f->item ? f->item->sub
                                                                         : NULL;
        size_t n_sub = f->type == FT_OBJECT            ? f->n_sub
                       : f->type == FT_LIST && f->item ? f->item->n_sub
                                                       : 0;
        for (size_t s = 0; s <= n_sub; s++) {
            const struct model_field *sub = s < n_sub ? &subs[s] : NULL;
            if (!v || !field_names(f, sub, v, id))
                continue;
            json_t *g = group_of(groups, k, f, sub);
            json_t *items = json_object_get(g, "items");
            json_object_set_new(g, "count",
                                json_integer(json_integer_value(json_object_get(g, "count")) + 1));
            if (json_array_size(items) < max)
                json_array_append_new(items,
                                      json_pack("{s:O, s:O?}", "id", json_object_get(rec, "id"),
                                                "name", json_object_get(rec, "name")));
        }
    }
}

int registry_referrers(struct registry *r, const struct actor *a, const char *id, size_t max,
                       json_t **out, struct err *e)
{
    *out = NULL;
    struct store_stmt *st = store_prepare(store_conn(r->store), REFERRERS_SQL, true, e);
    if (!st)
        return -1;
    store_bind_text(st, 1, id);
    json_t *groups = json_array();
    size_t seen = 0;
    bool complete = true;
    int rc;
    while ((rc = store_step(st, e)) == STORE_ROW) {
        if (seen++ == REGISTRY_REFERRERS_MAX_SCAN) {
            complete = false;
            break;
        }
        const struct model_kind *k = model_kind(r->model, store_col_text(st, 0));
        if (!k || k->is_relation)
            continue;
        const char *owner = store_col_text(st, 1), *data = store_col_text(st, 2);
        if (owner && strcmp(owner, id) == 0 && only_once(data, id))
            continue; /* its owner, named nowhere else: no need to parse it */
        json_t *rec = json_loads(data, 0, NULL);
        if (rec && registry_may_read(r, a, rec)) {
            registry_redact(r, a, rec);
            add_referrer(groups, k, rec, id, max ? max : REGISTRY_REFERRERS_MAX);
        }
        json_decref(rec);
    }
    store_reset(st);
    if (rc == STORE_ERROR) {
        json_decref(groups);
        return -1;
    }
    *out = json_pack("{s:o, s:b}", "groups", groups, "complete", complete);
    return 0;
}
