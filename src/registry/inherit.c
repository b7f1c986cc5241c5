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

/* ---- the rows one read meets ------------------------------------------- */

struct rows_entry {
    struct rec_row row;
    bool readable; /* live and the reader may read it */
};

struct reg_rows {
    struct registry *r;
    const struct actor *a;
    json_t *index; /* id -> position in v */
    struct rows_entry **v;
    size_t n, cap;
};

struct reg_rows *reg_rows_new(struct registry *r, const struct actor *a)
{
    struct reg_rows *m = xcalloc(1, sizeof *m);
    m->r = r;
    m->a = a;
    m->index = json_object();
    return m;
}

void reg_rows_free(struct reg_rows *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n; i++) {
        rec_row_free(&m->v[i]->row);
        free(m->v[i]);
    }
    free(m->v);
    json_decref(m->index);
    free(m);
}

/* May the reader read the stored record text (live)? Judged on the text
 * when it surely may, else on the parsed record. */
static bool row_readable(struct registry *r, const struct actor *a, const struct rec_row *row)
{
    if (registry_text_surely_readable(r, a, row->collection, row->data, strlen(row->data)))
        return true;
    json_t *rec = json_loads(row->data, 0, NULL);
    bool may = rec && registry_may_read(r, a, rec);
    json_decref(rec);
    return may;
}

const struct rec_row *reg_rows_readable(struct reg_rows *m, const char *id, int *rc, struct err *e)
{
    *rc = 0;
    const json_t *at = json_object_get(m->index, id);
    if (at) {
        const struct rows_entry *x = m->v[json_integer_value(at)];
        return x->readable ? &x->row : NULL;
    }
    struct rows_entry *x = xcalloc(1, sizeof *x);
    int found = rec_load(store_conn(m->r->store), NULL, id, &x->row, e);
    if (found < 0) {
        free(x);
        *rc = -1;
        return NULL;
    }
    x->readable = found > 0 && !x->row.retired && row_readable(m->r, m->a, &x->row);
    if (m->n == m->cap) {
        m->cap = m->cap ? 2 * m->cap : 16;
        m->v = xrealloc(m->v, m->cap * sizeof *m->v);
    }
    m->v[m->n] = x;
    json_object_set_new(m->index, id, json_integer((json_int_t)m->n++));
    return x->readable ? &x->row : NULL;
}

int reg_text_string(struct jspan v, char *out, size_t n)
{
    struct jspan s;
    if (jtext_plain_string(v, &s)) {
        size_t k = s.n < n ? s.n : n - 1; /* cut as snprintf would */
        memcpy(out, s.p, k);
        out[k] = 0;
        return 1;
    }
    /* escapes (or not a string): jansson says what it is */
    json_t *j = v.p && v.p[0] == '"' ? json_loadb(v.p, v.n, JSON_DECODE_ANY, NULL) : NULL;
    const char *t = json_string_value(j);
    if (t)
        snprintf(out, n, "%s", t);
    json_decref(j);
    return t != NULL;
}

/* The string member `field` of a stored record's text into out (empty:
 * none). */
static void text_member_string(const char *text, const char *field, char *out, size_t n)
{
    struct jspan v;
    out[0] = 0;
    if (!jtext_member((struct jspan){text, strlen(text)}, field, &v) || !reg_text_string(v, out, n))
        out[0] = 0;
}

/* ---- inherited items, written from the bases' stored text ---------------- */

/* The bases the reader reads above record `id` whose via field names
 * `base`: nearest first, up to the first absent, retired or unreadable
 * one (nothing above it exists for them), or a cycle the writes should
 * have refused. */
static int chain_of(struct registry *r, struct reg_rows *rows, const char *via, const char *id,
                    const char *base0, const struct rec_row **chain, size_t *n, struct err *e)
{
    char seen[MODEL_INHERIT_MAX_DEPTH + 1][128], base[128];
    snprintf(seen[0], sizeof seen[0], "%s", id);
    snprintf(base, sizeof base, "%s", base0);
    *n = 0;
    for (int depth = 1; base[0] && depth <= MODEL_INHERIT_MAX_DEPTH; depth++) {
        for (int j = 0; j < depth; j++)
            if (strcmp(seen[j], base) == 0)
                return 0;
        snprintf(seen[depth], sizeof seen[depth], "%s", base);
        int rc;
        const struct rec_row *b = reg_rows_readable(rows, base, &rc, e);
        if (!b)
            return rc;
        chain[(*n)++] = b;
        const struct model_kind *bk = model_kind(r->model, b->kind);
        if (bk && bk->inherit_via && strcmp(bk->inherit_via, via) == 0)
            text_member_string(b->data, via, base, sizeof base);
        else
            base[0] = 0;
    }
    return 0;
}

/* {"<field>": [{"from": "<base>", "items": [...]}, …]} for a record of
 * kind k (id, its via field naming base0) into b: each base's items are
 * copied from its stored text as they are. */
static int inherited_into(struct registry *r, struct reg_rows *rows, const struct model_kind *k,
                          const char *id, const char *base0, struct buf *b, struct err *e)
{
    const struct rec_row *chain[MODEL_INHERIT_MAX_DEPTH];
    size_t n;
    if (chain_of(r, rows, k->inherit_via, id, base0, chain, &n, e) < 0)
        return -1;
    size_t room = 64 * (k->n_inherit_fields + 1); /* the answer is at most the bases' texts */
    for (size_t j = 0; j < n; j++)
        room += strlen(chain[j]->data) + 64;
    if (room < REG_PART_MAX)
        buf_reserve(b, room);
    buf_putc(b, '{');
    for (size_t i = 0; i < k->n_inherit_fields; i++) {
        if (i)
            buf_putc(b, ',');
        jtext_put_string(b, k->inherit_fields[i]);
        buf_puts(b, ":[");
        bool first = true;
        for (size_t j = 0; j < n; j++) {
            struct jspan items, one;
            struct jtext_iter it;
            if (!jtext_member((struct jspan){chain[j]->data, strlen(chain[j]->data)},
                              k->inherit_fields[i], &items) ||
                !jtext_array(items, &it) || !jtext_next(&it, &one))
                continue; /* no items (or none that are a list) */
            buf_puts(b, first ? "{\"from\":" : ",{\"from\":");
            jtext_put_string(b, chain[j]->id);
            buf_puts(b, ",\"items\":");
            buf_append(b, items.p, items.n);
            buf_putc(b, '}');
            first = false;
        }
        buf_putc(b, ']');
    }
    if (buf_putc(b, '}') < 0 || b->full) { /* an append failed: past the cap */
        err_set(e, 500, "internal", "", "inherited items too large");
        return -1;
    }
    return 0;
}

/* The inherited items of a record (id, kind, via value) as text (NULL when
 * its kind inherits nothing). */
static int inherited_text(struct registry *r, struct reg_rows *rows, const char *kind,
                          const char *id, const char *base, char **out, struct err *e)
{
    *out = NULL;
    const struct model_kind *k = model_kind(r->model, kind);
    if (!k || !k->inherit_via)
        return 0;
    struct buf b;
    buf_init(&b, REG_PART_MAX);
    int rc = inherited_into(r, rows, k, id, base, &b, e);
    if (rc == 0)
        *out = buf_steal(&b, NULL);
    buf_free(&b);
    return rc;
}

int reg_inherited_read(struct registry *r, const struct actor *a, struct reg_read *rd, char **out,
                       struct err *e)
{
    (void)a;
    char kind[64], base[128] = "";
    text_member_string(rd->text, "kind", kind, sizeof kind);
    const struct model_kind *k = model_kind(r->model, kind);
    if (k && k->inherit_via)
        text_member_string(rd->text, k->inherit_via, base, sizeof base);
    return inherited_text(r, rd->rows, kind, rd->id, base, out, e);
}

int registry_inherited(struct registry *r, const struct actor *a, const json_t *rec, json_t **out,
                       struct err *e)
{
    *out = NULL;
    const char *kind = json_string_value(json_object_get(rec, "kind"));
    const char *id = json_string_value(json_object_get(rec, "id"));
    const struct model_kind *k = kind ? model_kind(r->model, kind) : NULL;
    if (!k || !k->inherit_via)
        return 0;
    char base[128];
    base_of(rec, k->inherit_via, base, sizeof base);
    struct reg_rows *rows = reg_rows_new(r, a);
    char *text = NULL;
    int rc = inherited_text(r, rows, kind, id ? id : "", base, &text, e);
    reg_rows_free(rows);
    if (rc == 0 && !(*out = json_loads(text, 0, NULL))) {
        err_set(e, 500, "internal", "", "inherited items are not JSON");
        rc = -1;
    }
    free(text);
    return rc;
}

/* registry_part_text for one read (rd->rows shared by its parts). */
static int part_text(struct registry *r, const struct actor *a, const char *what,
                     registry_part_fn fn, struct reg_read *rd, char **out, struct err *e)
{
    *out = NULL;
    char key[320];
    /* what the reader may read: system, signed in (kinds only the
     * signed-in read), roles and organisation */
    snprintf(key, sizeof key, "%s\x1f%s\x1f%d\x1f%d\x1f%u\x1f%s", what, rd->id, a->system,
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
    char *text = NULL;
    if (fn(r, a, rd, &text, e) < 0)
        return -1;
    cache_put(key, text ? text : "", gen);
    *out = text;
    return 0;
}

int registry_part_text(struct registry *r, const struct actor *a, const char *what,
                       registry_part_fn fn, const char *id, const char *json, char **out,
                       struct err *e)
{
    struct reg_read rd = {id, json, reg_rows_new(r, a)};
    int rc = part_text(r, a, what, fn, &rd, out, e);
    reg_rows_free(rd.rows);
    return rc;
}

int registry_computed_text(struct registry *r, const struct actor *a, const char *id,
                           const char *json, char **inherited, char **measures, struct err *e)
{
    struct reg_read rd = {id, json, reg_rows_new(r, a)};
    *measures = NULL;
    int rc = part_text(r, a, "inherited", reg_inherited_read, &rd, inherited, e);
    if (rc == 0)
        rc = part_text(r, a, "measures", reg_measures_read, &rd, measures, e);
    if (rc < 0) {
        free(*inherited);
        *inherited = NULL;
    }
    reg_rows_free(rd.rows);
    return rc;
}

int registry_inherited_text(struct registry *r, const struct actor *a, const char *id,
                            const char *json, char **out, struct err *e)
{
    return registry_part_text(r, a, "inherited", reg_inherited_read, id, json, out, e);
}
