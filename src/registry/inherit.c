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

/* ---- one value of the fixed sub-fields per key ("key", "fixed") -------- */

/* The inheriting kind whose key rule applies to records of kind k: k
 * itself, or one whose via field may name a record of k (a subject is the
 * base of types). NULL: none. */
static const struct model_kind *keyed_by(const struct model *m, const struct model_kind *k)
{
    if (k->inherit_key)
        return k;
    for (size_t i = 0; i < model_n_kinds(m); i++) {
        const struct model_kind *ik = model_kind_at(m, i);
        const struct model_field *vf = ik->inherit_key ? model_field(ik, ik->inherit_via) : NULL;
        for (size_t t = 0; vf && t < vf->n_ref_kinds; t++)
            if (strcmp(vf->ref_kinds[t], k->id) == 0)
                return ik;
    }
    return NULL;
}

/* The first fixed sub-field whose value differs between items a and b of
 * the same key (absent counts as a value), or NULL. */
static const char *fixed_differs(const struct model_kind *ik, const json_t *a, const json_t *b)
{
    for (size_t i = 0; i < ik->n_inherit_fixed; i++) {
        const json_t *x = json_object_get(a, ik->inherit_fixed[i]);
        const json_t *y = json_object_get(b, ik->inherit_fixed[i]);
        if ((x || y) && !(x && y && json_equal(x, y)))
            return ik->inherit_fixed[i];
    }
    return NULL;
}

/* The item of items whose key is `name`, or NULL. */
static const json_t *item_named(const json_t *items, const char *key, const char *name)
{
    size_t i;
    const json_t *it;
    json_array_foreach (items, i, it) {
        const char *n = json_string_value(json_object_get(it, key));
        if (n && strcmp(n, name) == 0)
            return it;
    }
    return NULL;
}

/* Checks the own items of `fields` (the record being written) against
 * `other`'s (a record above or below it, `where` its id; NULL: against
 * themselves); fails naming the first own item's fixed sub-field at fault. */
static int fixed_against(const struct model_kind *ik, const json_t *fields, const json_t *other,
                         const char *where, struct err *e)
{
    for (size_t f = 0; f < ik->n_inherit_fields; f++) {
        const char *field = ik->inherit_fields[f];
        const json_t *own = json_object_get(fields, field), *it;
        size_t i;
        json_array_foreach (own, i, it) {
            const char *name = json_string_value(json_object_get(it, ik->inherit_key));
            const json_t *twin = NULL;
            for (size_t j = 0; name && !other && !twin && j < i; j++) {
                const json_t *o = json_array_get(own, j);
                const char *n = json_string_value(json_object_get(o, ik->inherit_key));
                twin = n && strcmp(n, name) == 0 ? o : NULL;
            }
            if (name && other)
                twin = item_named(json_object_get(other, field), ik->inherit_key, name);
            const char *sub = twin ? fixed_differs(ik, it, twin) : NULL;
            if (!sub)
                continue;
            char path[160];
            snprintf(path, sizeof path, "%s[%zu].%s", field, i, sub);
            if (!other)
                err_set(e, 422, "inherited-item-conflict", path,
                        "'%.100s' is declared twice in the record with different '%s'", name, sub);
            else if (where[0] == '>')
                err_set(e, 422, "inherited-item-conflict", path,
                        "'%.100s' is inherited from '%.60s' with another '%s'", name, where + 1,
                        sub);
            else
                err_set(e, 422, "inherited-item-conflict", path,
                        "'%.100s' is declared in '%.60s', below this record, with another '%s'",
                        name, where, sub);
            return -1;
        }
    }
    return 0;
}

/* Loads the stored, live record `id` (NULL when absent or retired). */
static json_t *load_live(struct store_conn *c, const char *id, char *kind, size_t n, struct err *e,
                         int *rc)
{
    struct rec_row row;
    int found = rec_load(c, NULL, id, &row, e);
    *rc = found < 0 ? -1 : 0;
    if (found <= 0)
        return NULL;
    json_t *rec = row.retired ? NULL : json_loads(row.data, 0, NULL);
    snprintf(kind, n, "%s", row.kind);
    rec_row_free(&row);
    return rec;
}

/* Against the bases above: the chain the new via value starts. */
static int fixed_above(const struct registry *r, struct store_conn *c, const struct model_kind *ik,
                       const struct model_kind *k, const json_t *fields, struct err *e)
{
    if (k != ik)
        return 0;
    char base[130] = ">", kind[64];
    base_of(fields, ik->inherit_via, base + 1, sizeof base - 1);
    for (int depth = 0; base[1] && depth < MODEL_INHERIT_MAX_DEPTH; depth++) {
        int rc;
        json_t *b = load_live(c, base + 1, kind, sizeof kind, e, &rc);
        if (!b)
            return rc;
        rc = fixed_against(ik, fields, b, base, e);
        if (rc == 0)
            next_base(r->model, kind, b, ik->inherit_via, base + 1, sizeof base - 1);
        json_decref(b);
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* The most records below one that a write compares its items with. */
#define FIXED_BELOW_MAX 10000

/* The records met below the written one: each with the index of the one
 * it was found under. */
struct below {
    char **ids;
    size_t *parent;
    size_t n;
};

/* Appends the live records of kind ik that refer to b->ids[at] (the caller
 * keeps those whose via field names it). */
static int below_of(struct store_conn *c, const struct model_kind *ik, struct below *b, size_t at,
                    struct err *e)
{
    struct store_stmt *st =
        store_prepare(c,
                      "SELECT DISTINCT r.id FROM attrs a JOIN records r ON r.rid = a.rid "
                      "WHERE a.field = '_ref' AND a.value = $1 AND r.retired = 0 AND r.kind = $2",
                      true, e);
    if (!st)
        return -1;
    store_bind_text(st, 1, b->ids[at]);
    store_bind_text(st, 2, ik->id);
    int rc;
    while ((rc = store_step(st, e)) == STORE_ROW && b->n < FIXED_BELOW_MAX) {
        b->ids = xrealloc(b->ids, (b->n + 1) * sizeof *b->ids);
        b->parent = xrealloc(b->parent, (b->n + 1) * sizeof *b->parent);
        b->ids[b->n] = xstrdup(store_col_text(st, 0));
        b->parent[b->n++] = at;
    }
    store_reset(st);
    return rc == STORE_ERROR ? -1 : 0;
}

/* Against the records below id, at any depth (breadth first). */
static int fixed_below(struct store_conn *c, const struct model_kind *ik, const char *id,
                       const json_t *fields, struct err *e)
{
    if (!id[0])
        return 0;
    struct below b = {xmalloc(sizeof *b.ids), xmalloc(sizeof *b.parent), 1};
    b.ids[0] = xstrdup(id);
    b.parent[0] = 0;
    char kind[64];
    int out = below_of(c, ik, &b, 0, e);
    for (size_t i = 1; out == 0 && i < b.n; i++) {
        json_t *t = load_live(c, b.ids[i], kind, sizeof kind, e, &out);
        const char *via = t ? json_string_value(json_object_get(t, ik->inherit_via)) : NULL;
        if (out == 0 && via && strcmp(via, b.ids[b.parent[i]]) == 0 && strcmp(b.ids[i], id) != 0) {
            out = fixed_against(ik, fields, t, b.ids[i], e);
            if (out == 0)
                out = below_of(c, ik, &b, i, e);
        }
        json_decref(t);
    }
    for (size_t i = 0; i < b.n; i++)
        free(b.ids[i]);
    free(b.ids);
    free(b.parent);
    return out;
}

int reg_inherit_fixed_check(const struct registry *r, struct store_conn *c,
                            const struct model_kind *k, const char *id, const json_t *fields,
                            struct err *e)
{
    const struct model_kind *ik = keyed_by(r->model, k);
    if (!ik)
        return 0;
    if (fixed_against(ik, fields, NULL, NULL, e) < 0 || fixed_above(r, c, ik, k, fields, e) < 0)
        return -1;
    return fixed_below(c, ik, id, fields, e);
}

int reg_memo_load(struct store_conn *c, json_t *memo, const char *id, json_t **out, struct err *e)
{
    *out = NULL;
    json_t *known = memo ? json_object_get(memo, id) : NULL;
    if (known) {
        *out = json_is_null(known) ? NULL : json_incref(known);
        return *out != NULL;
    }
    struct rec_row row;
    int found = rec_load(c, NULL, id, &row, e);
    if (found < 0)
        return -1;
    if (found > 0 && !row.retired)
        *out = json_loads(row.data, 0, NULL);
    if (found > 0)
        rec_row_free(&row);
    if (memo)
        json_object_set_new(memo, id, *out ? json_incref(*out) : json_null());
    return *out != NULL;
}

int reg_inherited_memo(struct registry *r, const struct actor *a, const json_t *rec, json_t *memo,
                       json_t **out, struct err *e)
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
        json_t *b;
        if (reg_memo_load(c, memo, base, &b, e) < 0) {
            json_decref(inh);
            return -1;
        }
        /* a base absent or retired, or one the reader may not read, does
         * not exist for them, nor anything above it */
        if (!b || !registry_may_read(r, a, b)) {
            json_decref(b);
            break;
        }
        for (size_t i = 0; i < k->n_inherit_fields; i++) {
            json_t *items = json_object_get(b, k->inherit_fields[i]);
            if (json_array_size(items) > 0)
                json_array_append_new(json_object_get(inh, k->inherit_fields[i]),
                                      json_pack("{s:s, s:O}", "from", base, "items", items));
        }
        next_base(r->model, json_string_value(json_object_get(b, "kind")), b, via, base,
                  sizeof base);
        json_decref(b);
    }
done:
    *out = inh;
    return 0;
}

int registry_inherited(struct registry *r, const struct actor *a, const json_t *rec, json_t **out,
                       struct err *e)
{
    return reg_inherited_memo(r, a, rec, NULL, out, e);
}

/* registry_part_text for a record parsed at most once (*rec: NULL until
 * then), the other records read through memo. */
static int part_text(struct registry *r, const struct actor *a, const char *what,
                     registry_part_fn fn, size_t dump_flags, const char *id, const char *json,
                     json_t **rec, json_t *memo, char **out, struct err *e)
{
    *out = NULL;
    char key[320];
    /* what the reader may read: system, signed in (kinds only the
     * signed-in read), roles and organisation */
    snprintf(key, sizeof key, "%s\x1f%s\x1f%d\x1f%d\x1f%u\x1f%s", what, id, a->system,
             a->user[0] != 0, (unsigned)a->roles, a->org);
    uint64_t gen = cache_generation(); /* any write starts a new one */
    char *hit = NULL;
    if (cache_get(key, &hit)) {
        if (*hit)
            *out = hit;
        else
            free(hit);
        return 0;
    }
    if (!*rec && !(*rec = json_loads(json, 0, NULL))) {
        err_set(e, 500, "internal", "", "stored record is not JSON");
        return -1;
    }
    json_t *part = NULL;
    if (fn(r, a, *rec, memo, &part, e) < 0)
        return -1;
    char *text = part ? json_dumps(part, dump_flags) : NULL;
    json_decref(part);
    cache_put(key, text ? text : "", gen);
    *out = text;
    return 0;
}

int registry_part_text(struct registry *r, const struct actor *a, const char *what,
                       registry_part_fn fn, size_t dump_flags, const char *id, const char *json,
                       char **out, struct err *e)
{
    json_t *rec = NULL;
    int rc = part_text(r, a, what, fn, dump_flags, id, json, &rec, NULL, out, e);
    json_decref(rec);
    return rc;
}

int registry_computed_text(struct registry *r, const struct actor *a, const char *id,
                           const char *json, char **inherited, char **measures, struct err *e)
{
    json_t *rec = NULL, *memo = json_object();
    *measures = NULL;
    int rc = part_text(r, a, "inherited", reg_inherited_memo, JSON_COMPACT, id, json, &rec, memo,
                       inherited, e);
    if (rc == 0)
        rc = part_text(r, a, "measures", reg_measures_memo, JSON_COMPACT | JSON_REAL_PRECISION(6),
                       id, json, &rec, memo, measures, e);
    if (rc < 0) {
        free(*inherited);
        *inherited = NULL;
    }
    json_decref(rec);
    json_decref(memo);
    return rc;
}

int registry_inherited_text(struct registry *r, const struct actor *a, const char *id,
                            const char *json, char **out, struct err *e)
{
    return registry_part_text(r, a, "inherited", reg_inherited_memo, JSON_COMPACT, id, json, out,
                              e);
}
