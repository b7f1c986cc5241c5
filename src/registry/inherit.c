/* inherit: inherited attributes (REQ ARC-06). A record of a kind with
 * "inherits" takes, in its inherited list fields, the items of its base
 * (the record its via field names), of that base's base, and so on. They
 * are computed when the record is read, never copied into it, so a change
 * to a base shows at once in every record below it. Writes refuse a chain
 * that comes back to the record or is deeper than MODEL_INHERIT_MAX_DEPTH. */
#include "internal.h"

#include "cache.h"

#include <stdlib.h>

#include <string.h>

/* The base id that rec names through `via`, copied into out (empty when
 * none). */
static void base_of(const json_t *rec, const char *via, char *out, size_t n)
{
    const char *b = json_string_value(json_object_get(rec, via));
    snprintf(out, n, "%s", b ? b : "");
}

/* The next base above rec (a stored record of kind `kind`): the chain goes
 * on only through records whose kind inherits by the same field. */
static void next_base(const struct model *m, const char *kind, const json_t *rec, const char *via,
                      char *out, size_t n)
{
    const struct model_kind *k = model_kind(m, kind);
    if (k && k->inherit_via && strcmp(k->inherit_via, via) == 0)
        base_of(rec, via, out, n);
    else
        out[0] = 0;
}

int reg_inherit_check(const struct registry *r, struct store_conn *c, const struct model_kind *k,
                      const char *id, const json_t *fields, struct err *e)
{
    if (!k->inherit_via)
        return 0;
    char base[128];
    base_of(fields, k->inherit_via, base, sizeof base);
    const char *via = k->inherit_via;
    for (int depth = 1; base[0]; depth++) {
        if (strcmp(base, id) == 0) {
            err_set(e, 422, "inheritance-cycle", via,
                    "'%s' would make the record a base of itself: the chain of bases comes back "
                    "to it",
                    via);
            return -1;
        }
        if (depth > MODEL_INHERIT_MAX_DEPTH) {
            err_set(e, 422, "inheritance-too-deep", via,
                    "'%s' would make a chain of more than %d bases", via, MODEL_INHERIT_MAX_DEPTH);
            return -1;
        }
        struct rec_row row;
        int found = rec_load(c, NULL, base, &row, e);
        if (found < 0)
            return -1;
        if (found == 0)
            return 0;
        json_t *rec = json_loads(row.data, 0, NULL);
        next_base(r->model, row.kind, rec, via, base, sizeof base);
        rec_row_free(&row);
        json_decref(rec);
    }
    return 0;
}

int registry_inherited(struct registry *r, const struct actor *a, const json_t *rec, json_t **out,
                       struct err *e)
{
    *out = NULL;
    const struct model_kind *k =
        model_kind(r->model, json_string_value(json_object_get(rec, "kind")));
    if (!k || !k->inherit_via)
        return 0;
    struct store_conn *c = store_conn(r->store);
    const char *via = k->inherit_via;
    json_t *inh = json_object();
    for (size_t i = 0; i < k->n_inherit_fields; i++)
        json_object_set_new(inh, k->inherit_fields[i], json_array());
    char seen[MODEL_INHERIT_MAX_DEPTH + 1][128];
    snprintf(seen[0], sizeof seen[0], "%s", json_string_value(json_object_get(rec, "id")));
    char base[128];
    base_of(rec, via, base, sizeof base);
    for (int depth = 1; base[0] && depth <= MODEL_INHERIT_MAX_DEPTH; depth++) {
        for (int j = 0; j < depth; j++)
            if (strcmp(seen[j], base) == 0)
                goto done; /* a cycle the writes should have refused */
        snprintf(seen[depth], sizeof seen[depth], "%s", base);
        struct rec_row row;
        int found = rec_load(c, NULL, base, &row, e);
        if (found < 0) {
            json_decref(inh);
            return -1;
        }
        if (found == 0)
            break;
        json_t *b = row.retired ? NULL : json_loads(row.data, 0, NULL);
        /* a base the reader may not read does not exist for them, nor
         * anything above it */
        if (!b || !registry_may_read(r, a, b)) {
            json_decref(b);
            rec_row_free(&row);
            break;
        }
        for (size_t i = 0; i < k->n_inherit_fields; i++) {
            json_t *items = json_object_get(b, k->inherit_fields[i]);
            if (json_array_size(items) > 0)
                json_array_append_new(json_object_get(inh, k->inherit_fields[i]),
                                      json_pack("{s:s, s:O}", "from", base, "items", items));
        }
        next_base(r->model, row.kind, b, via, base, sizeof base);
        rec_row_free(&row);
        json_decref(b);
    }
done:
    *out = inh;
    return 0;
}

int registry_inherited_text(struct registry *r, const struct actor *a, const char *id,
                            const char *json, char **out, struct err *e)
{
    *out = NULL;
    /* what the reader may read of the bases depends on these alone; any
     * write starts a new cache generation */
    char key[320];
    snprintf(key, sizeof key, "inherited\x1f%s\x1f%d\x1f%u\x1f%s", id, a->system,
             (unsigned)a->roles, a->org);
    uint64_t gen = cache_generation();
    char *hit = NULL;
    if (cache_get(key, &hit)) {
        if (*hit)
            *out = hit;
        else
            free(hit);
        return 0;
    }
    json_t *rec = json_loads(json, 0, NULL), *inh = NULL;
    if (!rec) {
        err_set(e, 500, "internal", "", "stored record is not JSON");
        return -1;
    }
    int rc = registry_inherited(r, a, rec, &inh, e);
    json_decref(rec);
    if (rc < 0)
        return -1;
    char *text = inh ? json_dumps(inh, JSON_COMPACT) : NULL;
    json_decref(inh);
    cache_put(key, text ? text : "", gen);
    *out = text;
    return 0;
}
