/* map: a collection's map (model key "map"; issue 15: the capability map),
 * its tiles measured by one of a table of measures or by one of the
 * model's measures that the map's kind declares (one walk a tile, as the
 * record's own measure reads). Five queries whatever the size: the
 * collection, its grouping relations, the leaves they reach, the relations
 * from systems into those leaves, the systems. Each tile's systems are
 * those of its own leaves and of its shown descendants', counted once.
 * When the filter index is built, the relations come from its graph in
 * memory and the systems' stages from its fields, so that only the
 * collection and the leaves' names are read from the store (a measure that
 * needs more reads the systems when it first asks); a map of more than
 * ARCH_MAP_LISTED_MAX tiles reads no leaf's name. The build works on plain
 * arrays in one arena (struct map_parts); JSON is made for the answer. */
#include "arch/arch.h"

#include "docs/documents.h"
#include "store/store.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/jtext.h"

#include <stdlib.h>
#include <string.h>

const char ARCH_WHERE_COLLECTION[] = "r.collection = $1 AND r.retired = 0 ORDER BY r.sort_name, r.rid";
static const char ARCH_WHERE_IDS[] = "r.id IN (SELECT value FROM json_each($1)) "
                                     "AND r.retired = 0 ORDER BY r.sort_name, r.rid";

static const char *text_of(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/* Adds `name` to the NULL-terminated list (of at most cap) once. */
static void add_field(const char **list, size_t cap, const char *name)
{
    size_t i = 0;
    for (; list[i]; i++)
        if (strcmp(list[i], name) == 0)
            return;
    if (i + 1 < cap)
        list[i] = name;
}

static char *steal(struct buf *b)
{
    size_t n;
    char *s = buf_steal(b, &n);
    if (!s)
        abort();
    return s;
}

/* The fields of a record's compact JSON besides id, kind and name: owner,
 * each workflow's status and stage fields (what the rights and the stage
 * measure read) and the fields the maps and matrices of the model name.
 * At national scale parsing whole records is most of a map's time. */
enum { COMPACT_CAP = 64 };
static size_t compact_fields(const struct model *m, const char **fields)
{
    memset(fields, 0, COMPACT_CAP * sizeof *fields);
    fields[0] = "owner";
    for (size_t i = 0; i < model_n_workflows(m); i++) {
        const struct model_workflow *w = model_workflow_at(m, i);
        add_field(fields, COMPACT_CAP, w->status_field);
        if (w->stage_field)
            add_field(fields, COMPACT_CAP, w->stage_field);
    }
    for (size_t i = 0; i < model_n_collections(m); i++) {
        const struct model_collection *c = model_collection_at(m, i);
        if (c->map)
            add_field(fields, COMPACT_CAP, c->map->parent);
        if (c->map && c->map->filter)
            add_field(fields, COMPACT_CAP, c->map->filter);
        for (size_t j = 0; j < c->n_matrices; j++) {
            if (c->matrices[j].column)
                add_field(fields, COMPACT_CAP, c->matrices[j].column);
            if (c->matrices[j].filter)
                add_field(fields, COMPACT_CAP, c->matrices[j].filter);
        }
    }
    size_t n = 0;
    while (fields[n])
        n++;
    return n;
}

/* The languages of a name (model_validate_i18n allows no other). */
static const char *const NAME_LANGS[] = {"kk", "ru", "en"};
enum { N_LANGS = sizeof NAME_LANGS / sizeof *NAME_LANGS };

/* The SELECT up to its WHERE: the stored record (whole), else the id, the
 * kind and the stored text, whose few members the compact record takes
 * are found in it in one pass (row_compact), not by SQLite's JSON
 * functions, a call a field (most of the whole map's reading time). */
static char *compact_select(bool whole)
{
    struct buf b;
    buf_init(&b, 0);
    buf_puts(&b, whole ? "SELECT d.data" : "SELECT r.id, r.kind, d.data");
    buf_puts(&b, " FROM records r JOIN record_data d ON d.rid = r.rid WHERE ");
    return steal(&b);
}

/* A JSON value's text as a value: a string without escapes taken as it
 * is (its UTF-8 not checked again: the registry's stored text, which
 * jansson wrote, holds no other), anything else parsed; NULL for null (a
 * field the record lacks). */
static json_t *value_of(const char *text, size_t n)
{
    if (n >= 2 && text[0] == '"' && text[n - 1] == '"' && !memchr(text, '\\', n))
        return json_stringn_nocheck(text + 1, n - 2);
    json_t *v = json_loadb(text, n, JSON_DECODE_ANY, NULL);
    if (json_is_null(v)) {
        json_decref(v);
        return NULL;
    }
    return v;
}

/* A name's text in one language (what SQLite's ->> gave): a string's
 * characters, another value's JSON text; NULL for null. */
static json_t *lang_text(struct jspan v)
{
    struct jspan s;
    if (jtext_plain_string(v, &s)) /* stored text: valid UTF-8 (value_of) */
        return json_stringn_nocheck(s.p, s.n);
    json_t *j = json_loadb(v.p, v.n, JSON_DECODE_ANY, NULL), *out = NULL;
    if (json_is_string(j))
        out = json_incref(j);
    else if (j && !json_is_null(j))
        out = json_stringn(v.p, v.n);
    json_decref(j);
    return out;
}

/* The name of a compact record from its stored value: an object of its
 * languages' texts (kk, ru, en in that order), else the value; NULL when
 * none. */
static json_t *name_of(struct jspan v)
{
    struct jtext_iter it;
    struct jspan k, x, lang[N_LANGS] = {{NULL, 0}};
    if (!jtext_object(v, &it))
        return value_of(v.p, v.n);
    while (jtext_next_member(&it, &k, &x))
        for (size_t i = 0; i < N_LANGS; i++)
            if (!lang[i].p && k.n == 2 && memcmp(k.p, NAME_LANGS[i], 2) == 0)
                lang[i] = x;
    json_t *name = NULL;
    for (size_t i = 0; i < N_LANGS; i++) {
        json_t *t = lang[i].p ? lang_text(lang[i]) : NULL;
        if (t && !name)
            name = json_object();
        if (t)
            json_object_set_new(name, NAME_LANGS[i], t);
    }
    return name;
}

/* The compact record's members found in the stored text (each field's
 * first value, null as absent); false when the text is not a well-formed
 * object. */
static bool row_compact(json_t *rec, const char *data, size_t n, const char *const *fields)
{
    struct jtext_iter it;
    struct jspan k, v, name = {NULL, 0}, found[COMPACT_CAP] = {{NULL, 0}};
    if (!jtext_object((struct jspan){data, n}, &it))
        return false;
    while (jtext_next_member(&it, &k, &v)) {
        if (k.n == 4 && memcmp(k.p, "name", 4) == 0 && !name.p)
            name = v;
        for (size_t i = 0; fields[i]; i++)
            if (!found[i].p && strlen(fields[i]) == k.n && memcmp(k.p, fields[i], k.n) == 0)
                found[i] = v;
    }
    if (!jtext_object_whole(&it)) /* stopped short: malformed */
        return false;
    json_t *nm = name.p ? name_of(name) : NULL;
    if (nm)
        json_object_set_new(rec, "name", nm);
    for (size_t i = 0; fields[i]; i++) {
        json_t *x = found[i].p ? value_of(found[i].p, found[i].n) : NULL;
        if (x)
            json_object_set_new(rec, fields[i], x);
    }
    return true;
}

/* The row's record: stored whole, or compact from its columns (*kind: the
 * last kind met, shared by the records of that kind that follow). */
static json_t *row_record(struct store_stmt *st, const char *const *fields, bool whole,
                          json_t **kind)
{
    if (whole) {
        json_t *rec = json_loads(store_col_text(st, 0), 0, NULL), *v;
        const char *k;
        void *tmp;
        /* a field stored as null counts as absent, as in the compact one */
        json_object_foreach_safe (rec, tmp, k, v)
            if (json_is_null(v))
                json_object_del(rec, k);
        return rec;
    }
    if (store_col_null(st, 0) || store_col_null(st, 1))
        return NULL;
    const char *k = store_col_text(st, 1);
    if (!*kind || strcmp(json_string_value(*kind), k) != 0) {
        json_decref(*kind);
        *kind = json_string(k);
    }
    json_t *rec = json_object();
    json_object_set_new_nocheck(rec, "id", json_string(store_col_text(st, 0)));
    json_object_set_nocheck(rec, "kind", *kind);
    const char *data = store_col_null(st, 2) ? "" : store_col_text(st, 2);
    if (row_compact(rec, data, store_col_bytes(st, 2), fields))
        return rec;
    /* not the JSON the registry writes (as SQLite's JSON functions
     * refused it): the row is left out */
    json_decref(rec);
    return NULL;
}

static int load_where(struct registry *r, const struct actor *a, bool whole, const char *where,
                      const char *b1, json_t *into, json_t *order, struct err *e)
{
    const char *fields[COMPACT_CAP];
    compact_fields(registry_model(r), fields);
    char *head = compact_select(whole);
    size_t n = strlen(head) + strlen(where) + 1;
    char *sql = malloc(n);
    if (!sql)
        abort();
    snprintf(sql, n, "%s%s", head, where);
    free(head);
    struct store_stmt *st = store_prepare(store_conn(registry_store(r)), sql, true, e);
    free(sql);
    if (!st)
        return -1;
    if (b1)
        store_bind_text(st, 1, b1);
    int rc;
    json_t *kind = NULL;
    while ((rc = store_step(st, e)) == STORE_ROW) {
        json_t *rec = row_record(st, fields, whole, &kind);
        const char *id = text_of(rec, "id");
        bool ok = id && registry_may_read(r, a, rec);
        if (ok && order) /* the record's own id value */
            json_array_append(order, json_object_get(rec, "id"));
        if (ok)
            json_object_set_new(into, id, rec);
        else
            json_decref(rec);
    }
    store_reset(st);
    json_decref(kind);
    return rc == STORE_ERROR ? -1 : 0;
}

int arch_load(struct registry *r, const struct actor *a, const char *where, const char *b1,
              json_t *into, json_t *order, struct err *e)
{
    return load_where(r, a, false, where, b1, into, order, e);
}

int arch_load_filtered(struct registry *r, const struct actor *a, const char *collection,
                       const char *field, const char *value, json_t *into, json_t *order,
                       struct err *e)
{
    /* the filter index's entries are "<collection>:<field>" */
    char key[160];
    snprintf(key, sizeof key, "%s:%s", collection, field);
    json_t *pair = json_pack("[s, s]", key, value);
    char *b = json_dumps(pair, JSON_COMPACT);
    json_decref(pair);
    int rc = load_where(r, a, false,
                        "r.rid IN (SELECT rid FROM attrs WHERE field = json_extract($1, '$[0]') "
                        "AND value = json_extract($1, '$[1]')) AND r.retired = 0 "
                        "ORDER BY r.sort_name, r.rid",
                        b, into, order, e);
    free(b);
    return rc;
}

bool arch_field_indexed(struct registry *r, const struct model_collection *c, const char *field)
{
    for (size_t i = 0; i < c->n_kinds; i++) {
        const struct model_field *f = model_field(model_kind(registry_model(r), c->kinds[i]),
                                                  field);
        if (!f || !f->filterable || f->type == FT_LIST)
            return false;
    }
    return c->n_kinds > 0;
}

/* The records of a map's collection that may be shown when it is narrowed
 * to `value` of its filter field (filterable): those that hold it and
 * those without the field (its attrs row "", or none), which take their
 * nearest ancestor's (a chain
 * that meets another value is cut there, as arch_tree would hide it). */
static int load_narrowed(struct registry *r, const struct actor *a,
                         const struct model_collection *c, const char *value, json_t *into,
                         json_t *order, struct err *e)
{
    char key[160];
    snprintf(key, sizeof key, "%s:%s", c->id, c->map->filter);
    json_t *args = json_pack("[s, s, s]", c->id, key, value);
    char *b = json_dumps(args, JSON_COMPACT);
    json_decref(args);
    int rc = load_where(r, a, false,
                        "r.collection = json_extract($1, '$[0]') AND r.retired = 0 AND "
                        "(r.rid IN (SELECT rid FROM attrs WHERE field = json_extract($1, '$[1]') "
                        "AND value IN (json_extract($1, '$[2]'), '')) OR NOT EXISTS (SELECT 1 "
                        "FROM attrs x WHERE x.rid = r.rid AND x.field = json_extract($1, '$[1]'))) "
                        "ORDER BY r.sort_name, r.rid",
                        b, into, order, e);
    free(b);
    return rc;
}

/* A record met by the map's relations: its id, kind (NULL when unknown),
 * row id (0 when unknown: read from the store) and node in the graph in
 * memory (registry_link's other_node, 0 when unknown). */
struct map_node {
    const char *id, *kind;
    uint32_t rid, node;
};

/* Ids to their index: open addressing over strings that outlive it. */
struct id_index {
    const char **key;
    uint32_t *val;
    size_t mask;
};

/* Room for n ids. */
static void id_index_init(struct arena *ar, struct id_index *h, size_t n)
{
    size_t cap = 16;
    while (cap < 2 * n + 1)
        cap <<= 1;
    h->key = arena_calloc(ar, cap, sizeof *h->key);
    h->val = arena_calloc(ar, cap, sizeof *h->val);
    h->mask = cap - 1;
}

/* The slot of id: where it is, or the free one where it would go. */
static size_t id_slot(const struct id_index *h, const char *id)
{
    uint64_t x = 14695981039346656037u; /* FNV-1a */
    for (const unsigned char *s = (const unsigned char *)id; *s; s++)
        x = (x ^ *s) * 1099511628211u;
    size_t i = (size_t)x & h->mask;
    /* the same string, mostly: an end copied once for all its links */
    while (h->key[i] && h->key[i] != id && strcmp(h->key[i], id) != 0)
        i = (i + 1) & h->mask;
    return i;
}

/* id's index, or -1. */
static long id_get(const struct id_index *h, const char *id)
{
    size_t i = id_slot(h, id);
    return h->key[i] ? (long)h->val[i] : -1;
}

/* Records met through relations, each once, by index. */
struct node_set {
    struct id_index ix;
    struct map_node *v;
    size_t n;
};

static void node_set_init(struct arena *ar, struct node_set *s, size_t cap)
{
    id_index_init(ar, &s->ix, cap);
    s->v = arena_calloc(ar, cap + 1, sizeof *s->v);
    s->n = 0;
}

/* The index of record id, added (of that kind and row id) when new; the
 * set has room for it (node_set_init's cap). */
static uint32_t node_put(struct node_set *s, const struct registry_link *l)
{
    size_t i = id_slot(&s->ix, l->other);
    if (!s->ix.key[i]) {
        s->ix.key[i] = l->other;
        s->ix.val[i] = (uint32_t)s->n;
        s->v[s->n++] = (struct map_node){l->other, l->other_kind, l->other_rid, l->other_node};
    }
    return s->ix.val[i];
}

/* For each of n heads, its items (item[first[h]] up to item[first[h + 1]]). */
struct lists {
    uint32_t *first, *item;
};

/* The lists of n_heads heads from n pairs (head[i], item[i]), in the
 * pairs' order. */
static void lists_build(struct arena *ar, struct lists *l, size_t n_heads, const uint32_t *head,
                        const uint32_t *item, size_t n)
{
    l->first = arena_calloc(ar, n_heads + 1, sizeof *l->first);
    l->item = arena_calloc(ar, n + 1, sizeof *l->item);
    uint32_t *at = arena_calloc(ar, n_heads + 1, sizeof *at);
    for (size_t i = 0; i < n; i++)
        l->first[head[i] + 1]++;
    for (size_t h = 0; h < n_heads; h++)
        at[h + 1] = l->first[h + 1] += l->first[h];
    for (size_t i = 0; i < n; i++)
        l->item[at[head[i]]++] = item[i];
}

/* A map's records as arrays: their ids in order, records, parents. */
struct tree_recs {
    size_t n;
    const char **id;
    const json_t **rec;
    long *parent; /* the parent's index, -1 when none is among them */
    bool *shown, *seen;
    struct lists children;
};

/* The value of the map's filter field for record i, or its nearest
 * ancestor's (a chain cut after as many steps as there are records,
 * against loops). */
static const char *filter_value(const struct tree_recs *t, const char *field, long i)
{
    for (size_t n = t->n; i >= 0 && n; n--) {
        const char *v = text_of(t->rec[i], field);
        if (v)
            return v;
        i = t->parent[i];
    }
    return NULL;
}

/* A map's tree in arrays: each shown record's index in `recs`' order, its
 * depth and its parent's place in the tree (-1: none), in tree order. */
struct tree_order {
    size_t n;
    uint32_t *rec;
    int *depth;
    long *parent;
};

static void tree_visit(struct tree_recs *t, size_t i, long parent, int depth,
                       struct tree_order *o)
{
    if (t->seen[i])
        return;
    t->seen[i] = true;
    size_t at = o->n++;
    o->rec[at] = (uint32_t)i;
    o->depth[at] = depth;
    o->parent[at] = parent;
    for (uint32_t j = t->children.first[i]; j < t->children.first[i + 1]; j++)
        tree_visit(t, t->children.item[j], (long)at, depth + 1, o);
}

/* arch_tree's work, into arrays in `out_ar`; *ids: the records' ids in
 * `order` (borrowed from it). */
static void tree_build(struct arena *out_ar, const struct model_map *map, const char *field,
                       const json_t *recs, const json_t *order, const char *filter,
                       const char ***ids, struct tree_order *o)
{
    struct arena *ar = arena_new();
    struct tree_recs t = {.n = json_array_size(order)};
    struct id_index ix;
    id_index_init(ar, &ix, t.n);
    t.id = arena_calloc(out_ar, t.n + 1, sizeof *t.id);
    t.rec = arena_calloc(ar, t.n + 1, sizeof *t.rec);
    t.parent = arena_calloc(ar, t.n + 1, sizeof *t.parent);
    t.shown = arena_calloc(ar, t.n + 1, sizeof *t.shown);
    t.seen = arena_calloc(ar, t.n + 1, sizeof *t.seen);
    for (size_t i = 0; i < t.n; i++) {
        t.id[i] = json_string_value(json_array_get(order, i));
        t.rec[i] = json_object_get(recs, t.id[i]);
        size_t k = id_slot(&ix, t.id[i]);
        if (!ix.key[k]) {
            ix.key[k] = t.id[i];
            ix.val[k] = (uint32_t)i;
        }
    }
    for (size_t i = 0; i < t.n; i++) {
        const char *p = text_of(t.rec[i], map->parent);
        t.parent[i] = p ? id_get(&ix, p) : -1;
    }
    uint32_t *head = arena_calloc(ar, t.n + 1, sizeof *head);
    uint32_t *item = arena_calloc(ar, t.n + 1, sizeof *item);
    size_t n_links = 0;
    for (size_t i = 0; i < t.n; i++) {
        const char *fv = filter && field ? filter_value(&t, field, (long)i) : NULL;
        t.shown[i] = !filter || (fv && strcmp(fv, filter) == 0);
    }
    for (size_t i = 0; i < t.n; i++) {
        long p = t.parent[i];
        if (!t.shown[i] || p < 0 || !t.shown[p] || p == (long)i)
            continue;
        head[n_links] = (uint32_t)p;
        item[n_links++] = (uint32_t)i;
    }
    lists_build(ar, &t.children, t.n, head, item, n_links);
    o->n = 0;
    o->rec = arena_calloc(out_ar, t.n + 1, sizeof *o->rec);
    o->depth = arena_calloc(out_ar, t.n + 1, sizeof *o->depth);
    o->parent = arena_calloc(out_ar, t.n + 1, sizeof *o->parent);
    /* roots first (parent not shown), then what a loop of parents hides */
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < t.n; i++) {
            long p = t.parent[i];
            bool root = p < 0 || !t.shown[p] || p == (long)i;
            if (t.shown[i] && (root || pass == 1))
                tree_visit(&t, i, -1, 0, o);
        }
    arena_free(ar);
    *ids = t.id;
}

json_t *arch_tree(const struct model_map *map, const char *field, const json_t *recs,
                  const json_t *order, const char *filter)
{
    struct arena *ar = arena_new();
    const char **ids;
    struct tree_order o;
    tree_build(ar, map, field, recs, order, filter, &ids, &o);
    json_t *tree = json_array();
    for (size_t k = 0; k < o.n; k++)
        json_array_append_new(tree, json_pack("{s:s, s:i, s:s?}", "id", ids[o.rec[k]], "depth",
                                              o.depth[k], "parent",
                                              o.parent[k] >= 0 ? ids[o.rec[o.parent[k]]] : NULL));
    arena_free(ar);
    return tree;
}

/* ---- the map and its measures ---------------------------------------------------- */

struct arch_map {
    struct registry *r;
    struct docs *d;
    const struct actor *a;
    const struct model_map *decl;
    const struct map_node *sys; /* the distinct systems under the tiles */
    size_t n_sys;
    json_t *compact;   /* id → compact JSON, read when a measure first asks */
    json_t *whole;     /* id → stored record, read when a measure first asks */
    uint64_t *stages;  /* system → its stage groups as bits (stage_bits) */
    uint8_t *staged;   /* system → stages[] known */
    int *scores;       /* system → completeness score, SCORE_UNKNOWN first */
    const struct arch_measure *ms; /* the measure asked for */
    struct registry_at *at;        /* as of an instant, or NULL: now */
};

#define SCORE_UNKNOWN (-2)

const struct actor *arch_map_actor(const struct arch_map *m)
{
    return m->a;
}

struct registry *arch_map_registry(const struct arch_map *m)
{
    return m->r;
}

struct docs *arch_map_docs(const struct arch_map *m)
{
    return m->d;
}

const char *arch_map_system_id(const struct arch_map *m, uint32_t sys)
{
    return sys < m->n_sys ? m->sys[sys].id : NULL;
}

/* The systems' ids as an object's keys (what arch_load_ids reads). */
static json_t *system_set(const struct arch_map *m)
{
    json_t *set = json_object();
    for (size_t i = 0; i < m->n_sys; i++)
        json_object_set_new(set, m->sys[i].id, json_true());
    return set;
}

const json_t *arch_map_system(struct arch_map *m, uint32_t sys)
{
    if (sys >= m->n_sys)
        return NULL;
    if (m->at) { /* as it was then */
        struct err e = ERR_INIT;
        return registry_at_record(m->at, m->sys[sys].id, &e);
    }
    if (!m->compact) {
        struct err e = ERR_INIT;
        json_t *set = system_set(m);
        m->compact = json_object();
        if (arch_load_ids(m->r, m->a, set, false, m->compact, NULL, &e) < 0)
            json_object_clear(m->compact);
        json_decref(set);
    }
    return json_object_get(m->compact, m->sys[sys].id);
}

const json_t *arch_map_system_whole(struct arch_map *m, uint32_t sys, struct err *e)
{
    if (sys >= m->n_sys)
        return NULL;
    if (!m->whole) {
        json_t *set = system_set(m);
        m->whole = json_object();
        int rc = arch_load_ids(m->r, m->a, set, true, m->whole, NULL, e);
        json_decref(set);
        if (rc < 0)
            return NULL;
    }
    return json_object_get(m->whole, m->sys[sys].id);
}

const struct model_map *arch_map_decl(const struct arch_map *m)
{
    return m->decl;
}

/* How many distinct systems automate what the tile groups. */
static int measure_systems(struct arch_map *m, const char *tile_id, const uint32_t *systems,
                           size_t n, json_t *tile, double *value, bool *has, struct err *e)
{
    (void)m, (void)tile_id, (void)systems, (void)tile, (void)e;
    *value = (double)n;
    *has = true;
    return 0;
}

/* Is the stage of system rid (of kind k) one of the group's values: 1, 0,
 * or -1 when the filter index does not hold the stage field. */
static int stage_in_memory(struct arch_map *m, const struct model_kind *k, const char *sf,
                           uint32_t rid, const struct model_map_stage *st)
{
    for (size_t i = 0; i < st->n_values; i++) {
        int has = registry_field_has(m->r, k->collection, sf, st->values[i], rid);
        if (has != 0)
            return has;
    }
    return 0;
}

/* Is system sys's stage one of group g's values: from the filter index
 * when it holds the stage field, else from the system's record. */
static bool stage_in_group(struct arch_map *m, uint32_t sys, size_t g)
{
    const struct model_map_stage *st = &m->decl->stages[g];
    const struct map_node *s = &m->sys[sys];
    const char *kind = s->kind;
    if (!kind) /* read from the store: its compact record says it */
        kind = text_of(arch_map_system(m, sys), "kind");
    const struct model_kind *k = kind ? model_kind(registry_model(m->r), kind) : NULL;
    const char *sf = k && k->workflow ? k->workflow->stage_field : NULL;
    /* as of an instant: the index holds the stage then only of a system
     * not written since */
    bool now = !m->at || registry_at_unchanged(m->at, s->id);
    int in = !sf ? 0 : s->rid > 0 && now ? stage_in_memory(m, k, sf, s->rid, st) : -1;
    if (in < 0) {
        const char *stage = text_of(arch_map_system(m, sys), sf);
        for (size_t i = 0; stage && i < st->n_values && in <= 0; i++)
            in = strcmp(stage, st->values[i]) == 0;
    }
    return in > 0;
}

/* The first 63 groups' answers for system sys as bits (bit g: group g),
 * found once a map. */
static uint64_t stage_bits(struct arch_map *m, uint32_t sys)
{
    if (m->staged[sys])
        return m->stages[sys];
    uint64_t bits = 0;
    for (size_t g = 0; g < m->decl->n_stages && g < 63; g++)
        bits |= (uint64_t)stage_in_group(m, sys, g) << g;
    m->staged[sys] = 1;
    return m->stages[sys] = bits;
}

/* The share of its systems in each stage group of the map (the tile's
 * `stages`: {<group>: percent}); the value is the first group's. */
static int measure_stages(struct arch_map *m, const char *tile_id, const uint32_t *systems,
                          size_t n, json_t *tile, double *value, bool *has, struct err *e)
{
    (void)tile_id, (void)e;
    const struct model_map *map = m->decl;
    *has = n > 0;
    if (!n)
        return 0;
    size_t *in = calloc(map->n_stages + 1, sizeof *in);
    if (!in)
        abort();
    for (size_t i = 0; i < n; i++) {
        uint64_t bits = stage_bits(m, systems[i]);
        for (size_t g = 0; g < map->n_stages; g++)
            in[g] += g < 63 ? (size_t)(bits >> g & 1u) : stage_in_group(m, systems[i], g);
    }
    json_t *shares = json_object();
    for (size_t g = 0; g < map->n_stages; g++) {
        double share = 100.0 * (double)in[g] / (double)n;
        json_object_set_new(shares, map->stages[g].id, json_real(share));
        if (g == 0)
            *value = share;
    }
    free(in);
    json_object_set_new(tile, "stages", shares);
    return 0;
}

/* The mean completeness score (the documentation's, REQ REG-12) of its
 * systems of a kind with documents. */
static int measure_completeness(struct arch_map *m, const char *tile_id, const uint32_t *systems,
                                size_t n, json_t *tile, double *value, bool *has, struct err *e)
{
    (void)tile_id, (void)tile;
    double sum = 0;
    size_t k = 0;
    *has = false;
    if (!m->d)
        return 0;
    for (size_t i = 0; i < n; i++) {
        int *known = &m->scores[systems[i]];
        if (*known == SCORE_UNKNOWN) {
            int score = -1;
            const json_t *rec = arch_map_system_whole(m, systems[i], e);
            if (!rec && e->status)
                return -1;
            if (rec && docs_record_score(m->d, rec, &score, e) < 0)
                return -1;
            *known = score;
        }
        if (*known >= 0) {
            sum += (double)*known;
            k++;
        }
    }
    *has = k > 0;
    *value = k ? sum / (double)k : 0;
    return 0;
}

/* A measure of the model's (section "measures") as the tile's own kind
 * declares it, over the tile's record (registry_measure): the share of
 * its items done, in per cent, with the tile's `items` and `done`. */
static int measure_of_model(struct arch_map *m, const char *tile_id, const uint32_t *systems,
                            size_t n, json_t *tile, double *value, bool *has, struct err *e)
{
    (void)systems, (void)n;
    long items = 0, done = 0;
    if (registry_measure(m->r, m->a, m->ms->model->id, tile_id, &items, &done, e) < 0)
        return -1;
    json_object_set_new(tile, "items", json_integer(items));
    json_object_set_new(tile, "done", json_integer(done));
    *has = items > 0;
    *value = items ? 100.0 * (double)done / (double)items : 0;
    return 0;
}

static const struct arch_measure arch_measures[] = {
    {"systems", ARCH_COUNT, measure_systems, NULL},
    {"stages", ARCH_PERCENT, measure_stages, NULL},
    {"completeness", ARCH_PERCENT, measure_completeness, NULL},
};
#define N_TABLE (sizeof arch_measures / sizeof arch_measures[0])

bool arch_measure_nth(const struct model *model, const struct model_map *map, size_t i,
                      struct arch_measure *out)
{
    if (i < N_TABLE) {
        *out = arch_measures[i];
        return true;
    }
    const struct model_kind *k = model_kind(model, map->kind);
    for (size_t j = 0; k && j < k->n_measures; j++)
        if (i == N_TABLE + j) {
            *out = (struct arch_measure){k->measures[j].measure->id, ARCH_PERCENT, measure_of_model,
                                         k->measures[j].measure};
            return true;
        }
    return false;
}

bool arch_measure_as_of(const struct arch_measure *ms)
{
    return ms->fn == measure_systems || ms->fn == measure_stages;
}

bool arch_measure(const struct model *model, const struct model_map *map, const char *id,
                  struct arch_measure *out)
{
    for (size_t i = 0; arch_measure_nth(model, map, i, out); i++)
        if (!id || strcmp(out->id, id) == 0)
            return true;
    return false;
}

/* The ids (keys of an object) as a JSON array's text (malloc'd). */
static char *ids_text(const json_t *set)
{
    json_t *a = json_array();
    const char *id;
    json_t *v;
    json_object_foreach ((json_t *)set, id, v)
        json_array_append_new(a, json_string(id));
    char *s = json_dumps(a, JSON_COMPACT);
    json_decref(a);
    return s;
}

int arch_relations_by_end(struct registry *r, const char *type, const char *end, const char *cell,
                          const json_t *at, json_t *by, json_t *others, struct err *e)
{
    if (json_object_size(at) == 0)
        return 0;
    /* through the relations index (the ends' entries of attrs): the work
     * follows the records asked about, not every relation of the type */
    struct store_stmt *st = store_prepare(
        store_conn(registry_store(r)),
        "SELECT a.value, b.value, json_extract(d.data, $4) FROM attrs a "
        "JOIN records r ON r.rid = a.rid AND r.retired = 0 AND r.kind = $2 "
        "JOIN attrs b ON b.rid = r.rid AND b.field = $3 "
        "JOIN record_data d ON d.rid = r.rid "
        "WHERE a.field = $1 AND a.value IN (SELECT value FROM json_each($5)) ORDER BY r.rid",
        true, e);
    if (!st)
        return -1;
    bool out = strcmp(end, "source") == 0;
    char cell_path[80];
    snprintf(cell_path, sizeof cell_path, "$.%s", cell ? cell : "_");
    char *ids = ids_text(at);
    store_bind_text(st, 1, out ? "source" : "target");
    store_bind_text(st, 2, type);
    store_bind_text(st, 3, out ? "target" : "source");
    store_bind_text(st, 4, cell_path);
    store_bind_text(st, 5, ids);
    int rc;
    while ((rc = store_step(st, e)) == STORE_ROW) {
        const char *here = store_col_text(st, 0), *there = store_col_text(st, 1);
        if (!here || !there || !json_object_get(at, here))
            continue;
        json_t *list = json_object_get(by, here);
        if (!list)
            json_object_set_new(by, here, list = json_array());
        json_t *en = json_pack("{s:s}", "id", there);
        if (cell)
            json_object_set_new(en, "cell",
                                json_string(store_col_null(st, 2) ? "" : store_col_text(st, 2)));
        json_array_append_new(list, en);
        json_object_set_new(others, there, json_true());
    }
    store_reset(st);
    free(ids);
    return rc == STORE_ERROR ? -1 : 0;
}

int arch_load_ids(struct registry *r, const struct actor *a, const json_t *set, bool whole,
                  json_t *into, json_t *order, struct err *e)
{
    if (json_object_size(set) == 0)
        return 0;
    char *ids = ids_text(set);
    int rc = load_where(r, a, whole, ARCH_WHERE_IDS, ids, into, order, e);
    free(ids);
    return rc;
}

/* ---- the map's build: plain arrays in one arena ---------------------------------- */

/* What a map is built from: the tiles shown (in tree order), the leaves
 * they group and the systems automating those, as indexes. */
struct map_parts {
    struct arena *ar;
    size_t n;             /* tiles shown */
    const char **tile;    /* their ids, in tree order */
    long *parent;         /* each one's parent's index, -1 for a root */
    struct id_index tiles;
    struct node_set leaves, systems;
    struct lists groups;    /* tile → its leaves, a leaf as often as grouped */
    struct lists automated; /* leaf → the systems automating it */
    json_t *held;      /* what the store path's strings live in */
    json_t *leaf_recs; /* leaf id → {name, …} when read (listed), else NULL */
    json_t *sys_recs;  /* id → compact record, when the store path read them */
};

/* The tiles shown, in tree order (o: tree_build's over ids). */
static void parts_tiles(struct map_parts *p, const char *const *ids, const struct tree_order *o)
{
    p->n = o->n;
    p->tile = arena_calloc(p->ar, p->n + 1, sizeof *p->tile);
    p->parent = o->parent; /* a parent comes before its children in tree order */
    id_index_init(p->ar, &p->tiles, p->n);
    for (size_t t = 0; t < p->n; t++) {
        p->tile[t] = ids[o->rec[t]];
        size_t i = id_slot(&p->tiles, p->tile[t]);
        p->tiles.key[i] = p->tile[t];
        p->tiles.val[i] = (uint32_t)t;
    }
}

/* The head's id (a tile's, or a leaf's). */
static const char *head_id(const struct map_parts *p, bool grouping, size_t h)
{
    return grouping ? p->tile[h] : p->leaves.v[h].id;
}

/* The n relations met: a tile's leaves (grouping) or a leaf's systems.
 * They come head by head in the heads' order, each named by the id it was
 * asked with: the same string as the head's, else looked up. */
static void parts_links(struct map_parts *p, const struct registry_link *l, size_t n,
                        bool grouping)
{
    uint32_t *head = arena_calloc(p->ar, n + 1, sizeof *head);
    uint32_t *item = arena_calloc(p->ar, n + 1, sizeof *item);
    struct node_set *to = grouping ? &p->leaves : &p->systems;
    size_t k = 0, n_heads = grouping ? p->n : p->leaves.n, at = 0;
    node_set_init(p->ar, to, n);
    for (size_t i = 0; i < n; i++) {
        long from;
        if (at < n_heads && head_id(p, grouping, at) == l[i].from)
            from = (long)at;
        else if (at + 1 < n_heads && head_id(p, grouping, at + 1) == l[i].from)
            from = (long)++at;
        else if ((from = id_get(grouping ? &p->tiles : &p->leaves.ix, l[i].from)) >= 0)
            at = (size_t)from;
        if (from < 0)
            continue;
        head[k] = (uint32_t)from;
        item[k++] = node_put(to, &l[i]);
    }
    lists_build(p->ar, grouping ? &p->groups : &p->automated, n_heads, head, item, k);
}

/* Where a map's relations come from: the graph in memory now, or the
 * reader's view of an instant (at). */
struct link_source {
    struct registry *r;
    const struct actor *a;
    struct registry_at *at; /* NULL: now */
};

/* nodes: the records' nodes in the graph as its first step met them (NULL:
 * looked up by their ids). */
static long links_of(const struct link_source *s, struct arena *ar, const char *type, bool out,
                     const uint32_t *nodes, const char *const *ids, size_t n,
                     struct registry_link **l, struct err *e)
{
    return s->at  ? registry_at_links(s->at, ar, type, out, ids, n, l, e)
           : nodes ? registry_links_of(s->r, s->a, ar, type, out, nodes, ids, n, l)
                   : registry_links(s->r, s->a, ar, type, out, ids, n, l);
}

/* The leaves' and systems' parts from the source's links: 1 when the
 * graph in memory is not built (now), -1 on a store error (as of then). */
static int parts_of_links(const struct link_source *s, const struct model_map *map,
                          struct map_parts *p, struct err *e)
{
    struct registry_link *l;
    long k = links_of(s, p->ar, map->groups, true, NULL, p->tile, p->n, &l, e);
    if (k < 0)
        return s->at ? -1 : 1;
    parts_links(p, l, (size_t)k, true);
    const char **ids = arena_calloc(p->ar, p->leaves.n + 1, sizeof *ids);
    uint32_t *nodes = arena_calloc(p->ar, p->leaves.n + 1, sizeof *nodes);
    for (size_t i = 0; i < p->leaves.n; i++) {
        ids[i] = p->leaves.v[i].id;
        nodes[i] = p->leaves.v[i].node;
    }
    k = links_of(s, p->ar, map->systems, false, nodes, ids, p->leaves.n, &l, e);
    if (k < 0 && s->at)
        return -1;
    parts_links(p, l, k > 0 ? (size_t)k : 0, false);
    return 0;
}

/* The relations arch_relations_by_end found (by: end → [{id}]) whose other
 * end was read (recs: id → compact record), as links (0 row ids). */
static size_t links_read(struct arena *ar, const json_t *by, const json_t *recs,
                         struct registry_link **out)
{
    size_t n = 0, i;
    const char *from;
    json_t *list, *x;
    json_object_foreach ((json_t *)by, from, list)
        n += json_array_size(list);
    struct registry_link *v = arena_calloc(ar, n + 1, sizeof *v);
    n = 0;
    json_object_foreach ((json_t *)by, from, list)
        json_array_foreach (list, i, x) {
            const json_t *rec = json_object_get(recs, text_of(x, "id"));
            if (rec)
                v[n++] = (struct registry_link){from, text_of(rec, "id"), text_of(rec, "kind"), 0, 0};
        }
    *out = v;
    return n;
}

/* From the store (no graph in memory: the CLI, unit tests): the leaves and
 * systems read as compact records, those the reader may not read left out. */
static int parts_of_store(struct registry *r, const struct actor *a, const struct model_map *map,
                          struct map_parts *p, struct err *e)
{
    json_t *shown = json_object(), *groups = json_object(), *leaf_ids = json_object();
    json_t *leaves = json_object(), *auto_by = json_object(), *sys_ids = json_object();
    json_t *systems = json_object();
    p->held = json_pack("[o, o, o, o, o]", shown, groups, leaf_ids, auto_by, sys_ids);
    p->leaf_recs = leaves;
    p->sys_recs = systems;
    for (size_t t = 0; t < p->n; t++)
        json_object_set_new(shown, p->tile[t], json_true());
    struct registry_link *l;
    if (arch_relations_by_end(r, map->groups, "source", NULL, shown, groups, leaf_ids, e) < 0 ||
        arch_load_ids(r, a, leaf_ids, false, leaves, NULL, e) < 0)
        return -1;
    size_t n = links_read(p->ar, groups, leaves, &l);
    parts_links(p, l, n, true);
    if (arch_relations_by_end(r, map->systems, "target", NULL, leaves, auto_by, sys_ids, e) < 0 ||
        arch_load_ids(r, a, sys_ids, false, systems, NULL, e) < 0)
        return -1;
    n = links_read(p->ar, auto_by, systems, &l);
    parts_links(p, l, n, false);
    return 0;
}

/* As they were at the view's instant (REQ ARC-12): the relations live
 * then, their far ends there then, the leaves' names then when listed. */
static int parts_of_at(struct registry_at *v, const struct model_map *map, struct map_parts *p,
                       bool listed, struct err *e)
{
    struct link_source s = {NULL, NULL, v};
    if (parts_of_links(&s, map, p, e) < 0)
        return -1;
    if (!listed)
        return 0;
    p->leaf_recs = json_object();
    for (size_t i = 0; i < p->leaves.n; i++) {
        const char *id = p->leaves.v[i].id;
        const json_t *then = registry_at_record(v, id, e);
        json_object_set_new(p->leaf_recs, id,
                            json_pack("{s:O?}", "name", json_object_get(then, "name")));
    }
    return 0;
}

/* The tiles', leaves' and systems' parts, and the leaves' names when the
 * map lists them. */
static int parts_read(struct registry *r, const struct actor *a, const struct model_map *map,
                      struct map_parts *p, bool listed, struct err *e)
{
    struct link_source s = {r, a, NULL};
    int rc = parts_of_links(&s, map, p, e);
    if (rc > 0)
        return parts_of_store(r, a, map, p, e);
    if (!listed)
        return 0;
    p->leaf_recs = json_object();
    for (size_t i = 0; i < p->leaves.n; i++)
        json_object_set_new(p->leaf_recs, p->leaves.v[i].id,
                            json_pack("{s:I}", "rid", (json_int_t)p->leaves.v[i].rid));
    return registry_names(r, p->leaf_recs, e);
}

/* The target's marks on a map's parts (arch_gap_effects): each tile's
 * own effect (NULL: kept) and which tiles, leaves and systems drop out. */
struct target {
    const char **tile_effect;
    uint8_t *tile_gone, *leaf_gone, *sys_gone;
};

/* The effect's own text (MODEL_GAP_EFFECTS': it outlives the answer). */
static const char *effect_text(const char *effect)
{
    for (size_t i = 0; effect && MODEL_GAP_EFFECTS[i]; i++)
        if (strcmp(MODEL_GAP_EFFECTS[i], effect) == 0)
            return MODEL_GAP_EFFECTS[i];
    return NULL;
}

/* The marks of the effects (id -> effect) on the parts met. */
static void target_marks(struct map_parts *p, const json_t *effects, struct target *g)
{
    g->tile_effect = arena_calloc(p->ar, p->n + 1, sizeof *g->tile_effect);
    g->tile_gone = arena_calloc(p->ar, p->n + 1, 1);
    g->leaf_gone = arena_calloc(p->ar, p->leaves.n + 1, 1);
    g->sys_gone = arena_calloc(p->ar, p->systems.n + 1, 1);
    const char *id;
    json_t *v;
    json_object_foreach ((json_t *)effects, id, v) {
        const char *effect = effect_text(json_string_value(v));
        bool drops = effect && (strcmp(effect, "remove") == 0 || strcmp(effect, "replace") == 0);
        long i;
        if ((i = id_get(&p->tiles, id)) >= 0) {
            g->tile_effect[i] = effect;
            g->tile_gone[i] = drops;
        }
        if ((i = id_get(&p->leaves.ix, id)) >= 0)
            g->leaf_gone[i] = drops;
        if ((i = id_get(&p->systems.ix, id)) >= 0)
            g->sys_gone[i] = drops;
    }
}

/* A tile's distinct systems. */
struct sys_set {
    uint32_t *v;
    size_t n, cap;
};

static void set_add(struct sys_set *s, uint32_t x)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 8;
        s->v = realloc(s->v, s->cap * sizeof *s->v);
        if (!s->v)
            abort();
    }
    s->v[s->n++] = x;
}

/* The systems under each tile: its own leaves' and its children's (the
 * tiles in reverse tree order meet every child before its parent, whose
 * set then holds its children's, some more than once), each once
 * (mark[x]: the last tile x was kept in); in the target (g not NULL)
 * without what drops out (a tile dropped has none and gives its parent
 * none). n sets (malloc'd, each with its own array). */
static struct sys_set *systems_under(const struct map_parts *p, const struct target *g)
{
    struct sys_set *sets = calloc(p->n + 1, sizeof *sets);
    uint32_t *mark = malloc((p->systems.n + 1) * sizeof *mark);
    if (!sets || !mark)
        abort();
    for (size_t x = 0; x < p->systems.n; x++)
        mark[x] = UINT32_MAX;
    for (size_t t = p->n; t-- > 0;) {
        struct sys_set *s = &sets[t];
        size_t k = 0;
        for (size_t i = 0; i < s->n; i++)
            if (mark[s->v[i]] != (uint32_t)t) {
                mark[s->v[i]] = (uint32_t)t;
                s->v[k++] = s->v[i];
            }
        s->n = k;
        if (g && g->tile_gone[t]) {
            s->n = 0;
            continue;
        }
        for (uint32_t j = p->groups.first[t]; j < p->groups.first[t + 1]; j++) {
            uint32_t leaf = p->groups.item[j];
            if (g && g->leaf_gone[leaf])
                continue;
            for (uint32_t a = p->automated.first[leaf]; a < p->automated.first[leaf + 1]; a++) {
                uint32_t x = p->automated.item[a];
                if (g && g->sys_gone[x])
                    continue;
                if (mark[x] != (uint32_t)t) {
                    mark[x] = (uint32_t)t;
                    set_add(s, x);
                }
            }
        }
        for (size_t i = 0; p->parent[t] >= 0 && i < s->n; i++)
            set_add(&sets[p->parent[t]], s->v[i]);
    }
    free(mark);
    return sets;
}

/* How many leaves the tile groups (in the target when g is not NULL). */
static size_t leaf_count(const struct map_parts *p, size_t t, const struct target *g)
{
    size_t n = p->groups.first[t + 1] - p->groups.first[t];
    for (uint32_t j = p->groups.first[t]; g && j < p->groups.first[t + 1]; j++)
        n -= g->leaf_gone[p->groups.item[j]];
    return n;
}

/* The tile's leaves (in the target when g is not NULL): [{id, kind,
 * name}]. */
static json_t *leaves_of(const struct map_parts *p, size_t t, const struct target *g)
{
    json_t *out = json_array();
    for (uint32_t j = p->groups.first[t]; j < p->groups.first[t + 1]; j++) {
        if (g && g->leaf_gone[p->groups.item[j]])
            continue;
        const struct map_node *l = &p->leaves.v[p->groups.item[j]];
        const json_t *rec = json_object_get(p->leaf_recs, l->id);
        json_array_append_new(out, json_pack("{s:s, s:s?, s:O?}", "id", l->id, "kind",
                                             l->kind ? l->kind : text_of(rec, "kind"), "name",
                                             json_object_get(rec, "name")));
    }
    return out;
}

bool arch_view_parse(const char *s, enum arch_view *out)
{
    static const char *const names[] = {"as_is", "target", "difference"};
    *out = ARCH_AS_IS;
    for (size_t i = 0; s && i < sizeof names / sizeof *names; i++)
        if (strcmp(s, names[i]) == 0) {
            *out = (enum arch_view)i;
            return true;
        }
    return !s;
}

/* Can the map be asked for in this view: 0, or -1 with e set (the target
 * is of now, and over the systems under a tile). */
static int view_allowed(enum arch_view view, const struct arch_measure *ms,
                        const struct registry_at *at, struct err *e)
{
    if (view == ARCH_AS_IS)
        return 0;
    if (at) {
        err_bad_request(e, "view", "the target and the difference are shown as of now only");
        return -1;
    }
    if (ms->model) {
        err_bad_request(e, "view", "the measure '%.60s' is shown for the as-is only", ms->id);
        return -1;
    }
    return 0;
}

/* Tile t of the parts as the view shows it, its value measured over `now`
 * (and over the as-is's `was` in the difference). */
static int tile_of(struct arch_map *m, const struct map_parts *p, const struct target *g,
                   enum arch_view view, size_t t, const struct sys_set *now,
                   const struct sys_set *was, bool listed, struct arch_map_tile *x, struct err *e)
{
    const struct target *in = view == ARCH_TARGET ? g : NULL;
    x->leaf_count = leaf_count(p, t, in);
    x->systems = now->n;
    x->leaves = listed ? leaves_of(p, t, in) : NULL;
    /* the count of systems adds nothing of its own */
    x->figures = m->ms->fn == measure_systems ? NULL : json_object();
    if (view == ARCH_DIFFERENCE) {
        x->effect = g->tile_effect[t] ? g->tile_effect[t] : "keep";
        json_t *then = x->figures ? json_object() : NULL;
        int rc = m->ms->fn(m, p->tile[t], was->v, was->n, then, &x->before, &x->had, e);
        json_decref(then);
        if (rc < 0 || g->tile_gone[t]) /* removed: no value in the target */
            return rc;
    }
    return m->ms->fn(m, p->tile[t], now->v, now->n, x->figures, &x->value, &x->has, e);
}

int arch_map_view_build(struct registry *r, struct docs *d, const struct actor *a,
                        const struct model_collection *c, const char *measure, const char *filter,
                        enum arch_view view, struct registry_at *at, struct arch_map_view **out,
                        struct err *e)
{
    const struct model_map *map = c->map;
    struct arch_measure ms;
    *out = NULL;
    if (!map) {
        err_not_found(e, "the collection has no map");
        return -1;
    }
    if (!arch_measure(registry_model(r), map, measure, &ms)) {
        err_bad_request(e, "measure", "unknown measure '%.60s'", measure);
        return -1;
    }
    if (filter && !map->filter) {
        err_bad_request(e, "filter", "the map cannot be narrowed");
        return -1;
    }
    /* as of an instant: the measures over the systems as they were; the
     * documents' completeness and the model's measures are today's only */
    if (at && !arch_measure_as_of(&ms)) {
        err_bad_request(e, "at", "the measure '%.60s' is shown as it is now only", ms.id);
        return -1;
    }
    if (view_allowed(view, &ms, at, e) < 0)
        return -1;
    json_t *recs = json_object(), *order = json_array(), *effects = NULL;
    int rc = at ? registry_at_collection(at, c->id, recs, order, e)
             : filter && arch_field_indexed(r, c, map->filter)
                 ? load_narrowed(r, a, c, filter, recs, order, e)
                 : arch_load(r, a, ARCH_WHERE_COLLECTION, c->id, recs, order, e);
    /* the tiles shown first: only their leaves and systems are read */
    struct arch_map_view *v = calloc(1, sizeof *v);
    if (!v)
        abort();
    v->ar = arena_new();
    v->held = json_pack("[o, o]", recs, order);
    const char **ids;
    struct tree_order o;
    tree_build(v->ar, map, map->filter, recs, order, filter, &ids, &o);
    struct map_parts p = {.ar = arena_new()};
    parts_tiles(&p, ids, &o);
    bool listed = p.n <= ARCH_MAP_LISTED_MAX;
    if (rc == 0)
        rc = at ? parts_of_at(at, map, &p, listed, e) : parts_read(r, a, map, &p, listed, e);
    /* the target: the gap report's effects on what the map met */
    struct target g = {0};
    if (rc == 0 && view != ARCH_AS_IS && (rc = arch_gap_effects(r, a, &effects, e)) == 0)
        target_marks(&p, effects, &g);
    json_decref(effects);
    struct sys_set *sets = rc == 0 ? systems_under(&p, NULL) : NULL;
    struct sys_set *after = rc == 0 && view != ARCH_AS_IS ? systems_under(&p, &g) : NULL;
    struct arch_map m = {.r = r,
                         .d = d,
                         .a = a,
                         .decl = map,
                         .sys = p.systems.v,
                         .n_sys = p.systems.n,
                         .compact = json_incref(p.sys_recs),
                         .ms = &ms,
                         .at = at};
    m.stages = arena_calloc(p.ar, m.n_sys + 1, sizeof *m.stages);
    m.staged = arena_calloc(p.ar, m.n_sys + 1, sizeof *m.staged);
    m.scores = arena_calloc(p.ar, m.n_sys + 1, sizeof *m.scores);
    for (size_t i = 0; i < m.n_sys; i++)
        m.scores[i] = SCORE_UNKNOWN;
    v->collection = c->id;
    v->measure = ms.id;
    v->view = view;
    v->scale = ms.scale;
    v->filter = filter ? arena_strdup(v->ar, filter) : NULL;
    v->at = at ? arena_strdup(v->ar, registry_at_instant(at)) : NULL;
    v->listed = listed;
    v->tiles = arena_calloc(v->ar, p.n + 1, sizeof *v->tiles);
    /* each tile's place among those shown (the target's leave out what
     * drops out; a tile whose parent does is shown at depth 0) */
    long *place = arena_calloc(p.ar, p.n + 1, sizeof *place);
    for (size_t t = 0; rc == 0 && t < p.n; t++) {
        if (view == ARCH_TARGET && g.tile_gone[t]) {
            place[t] = -1;
            continue;
        }
        place[t] = (long)v->n;
        struct arch_map_tile *x = &v->tiles[v->n++];
        long parent = p.parent[t] >= 0 ? place[p.parent[t]] : -1;
        *x = (struct arch_map_tile){.id = p.tile[t],
                                    .name = json_object_get(json_object_get(recs, p.tile[t]),
                                                            "name"),
                                    .parent = parent,
                                    .depth = view != ARCH_TARGET ? o.depth[t]
                                             : parent >= 0       ? v->tiles[parent].depth + 1
                                                                 : 0};
        rc = tile_of(&m, &p, &g, view, t, after ? &after[t] : &sets[t], &sets[t], listed, x, e);
        if (x->has)
            v->max = x->value > v->max ? x->value : v->max;
    }
    for (size_t t = 0; sets && t < p.n; t++)
        free(sets[t].v);
    for (size_t t = 0; after && t < p.n; t++)
        free(after[t].v);
    free(sets);
    free(after);
    json_decref(p.held);
    json_decref(p.leaf_recs);
    json_decref(p.sys_recs);
    json_decref(m.whole);
    json_decref(m.compact);
    arena_free(p.ar);
    if (rc < 0) {
        arch_map_view_free(v);
        return -1;
    }
    *out = v;
    return 0;
}

void arch_map_view_free(struct arch_map_view *v)
{
    if (!v)
        return;
    for (size_t t = 0; t < v->n; t++) {
        json_decref(v->tiles[t].leaves);
        json_decref(v->tiles[t].figures);
    }
    json_decref(v->held);
    arena_free(v->ar);
    free(v);
}

int arch_map_build(struct registry *r, struct docs *d, const struct actor *a,
                   const struct model_collection *c, const char *measure, const char *filter,
                   struct registry_at *at, json_t **out, struct err *e)
{
    return arch_map_build_view(r, d, a, c, measure, filter, NULL, at, out, e);
}

int arch_map_build_view(struct registry *r, struct docs *d, const struct actor *a,
                        const struct model_collection *c, const char *measure, const char *filter,
                        const char *view_name, struct registry_at *at, json_t **out,
                        struct err *e)
{
    struct arch_map_view *v;
    enum arch_view view;
    *out = NULL;
    if (!arch_view_parse(view_name, &view)) {
        err_bad_request(e, "view", "'view' is as_is, target or difference");
        return -1;
    }
    if (arch_map_view_build(r, d, a, c, measure, filter, view, at, &v, e) < 0)
        return -1;
    json_t *items = json_array();
    for (size_t t = 0; t < v->n; t++) {
        const struct arch_map_tile *x = &v->tiles[t];
        json_t *item = json_pack("{s:s, s:O?, s:s?, s:i, s:I, s:I}", "id", x->id, "name", x->name,
                                 "parent", x->parent >= 0 ? v->tiles[x->parent].id : NULL,
                                 "depth", x->depth, "leaf_count", (json_int_t)x->leaf_count,
                                 "systems", (json_int_t)x->systems);
        if (x->leaves)
            json_object_set(item, "leaves", x->leaves);
        if (x->figures)
            json_object_update(item, x->figures);
        if (x->has)
            json_object_set_new(item, "value", json_real(x->value));
        if (x->effect)
            json_object_set_new(item, "effect", json_string(x->effect));
        if (x->had)
            json_object_set_new(item, "before", json_real(x->before));
        json_array_append_new(items, item);
    }
    *out = json_pack("{s:s, s:s, s:s, s:s?, s:f, s:b, s:o}", "collection", v->collection,
                     "measure", v->measure, "scale", v->scale == ARCH_COUNT ? "count" : "percent",
                     "filter", v->filter, "max", v->max, "leaves_listed", v->listed, "items",
                     items);
    if (v->at)
        json_object_set_new(*out, "at", json_string(v->at));
    if (view != ARCH_AS_IS)
        json_object_set_new(*out, "view", json_string(view_name));
    arch_map_view_free(v);
    return 0;
}
