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
 * needs more reads the systems when it first asks). */
#include "arch/arch.h"

#include "docs/documents.h"
#include "store/store.h"
#include "util/arena.h"
#include "util/buf.h"

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

/* The SELECT of a record's compact JSON, up to its WHERE: the envelope
 * (id, kind, owner, name), each workflow's status and stage fields (what
 * the rights and the stage measure read) and the fields the maps and
 * matrices of the model name; with `whole`, the stored record. At national
 * scale parsing whole records is most of a map's time. (malloc'd) */
static char *compact_select(const struct model *m, bool whole)
{
    struct buf b;
    buf_init(&b, 0);
    if (whole) {
        buf_puts(&b, "SELECT d.data FROM records r JOIN record_data d ON d.rid = r.rid WHERE ");
        return steal(&b);
    }
    enum { CAP = 64 };
    const char *fields[CAP] = {NULL};
    for (size_t i = 0; i < model_n_workflows(m); i++) {
        const struct model_workflow *w = model_workflow_at(m, i);
        add_field(fields, CAP, w->status_field);
        if (w->stage_field)
            add_field(fields, CAP, w->stage_field);
    }
    for (size_t i = 0; i < model_n_collections(m); i++) {
        const struct model_collection *c = model_collection_at(m, i);
        if (c->map)
            add_field(fields, CAP, c->map->parent);
        if (c->map && c->map->filter)
            add_field(fields, CAP, c->map->filter);
        for (size_t j = 0; j < c->n_matrices; j++) {
            if (c->matrices[j].column)
                add_field(fields, CAP, c->matrices[j].column);
            if (c->matrices[j].filter)
                add_field(fields, CAP, c->matrices[j].filter);
        }
    }
    buf_puts(&b, "SELECT json_object('id', r.id, 'kind', r.kind, 'owner', d.data -> '$.owner', "
                 "'name', d.data -> '$.name'");
    for (size_t i = 0; fields[i]; i++)
        if (strcmp(fields[i], "owner") != 0)
            buf_printf(&b, ", '%s', d.data -> '$.%s'", fields[i], fields[i]);
    buf_puts(&b, ") FROM records r JOIN record_data d ON d.rid = r.rid WHERE ");
    return steal(&b);
}

static int load_where(struct registry *r, const struct actor *a, bool whole, const char *where,
                      const char *b1, json_t *into, json_t *order, struct err *e)
{
    char *head = compact_select(registry_model(r), whole);
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
    while ((rc = store_step(st, e)) == STORE_ROW) {
        json_t *rec = json_loads(store_col_text(st, 0), 0, NULL);
        const char *id = text_of(rec, "id"), *k;
        json_t *v;
        void *tmp;
        /* a field the record lacks comes as null: drop it, as stored */
        json_object_foreach_safe (rec, tmp, k, v)
            if (json_is_null(v))
                json_object_del(rec, k);
        bool ok = id && registry_may_read(r, a, rec);
        if (ok && order)
            json_array_append_new(order, json_string(id));
        if (ok)
            json_object_set_new(into, id, rec);
        else
            json_decref(rec);
    }
    store_reset(st);
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

/* The value of the map's filter field for rec, or its nearest ancestor's
 * (a chain cut after as many steps as there are records, against loops). */
static const char *filter_value(const struct model_map *map, const char *field,
                                const json_t *recs, const json_t *rec)
{
    for (size_t n = json_object_size(recs); rec && n; n--) {
        const char *v = text_of(rec, field);
        if (v)
            return v;
        rec = json_object_get(recs, text_of(rec, map->parent));
    }
    return NULL;
}

static void tree_visit(const struct model_map *map, const json_t *children, const char *id,
                       const char *parent, int depth, json_t *seen, json_t *tree)
{
    if (json_object_get(seen, id))
        return;
    json_object_set_new(seen, id, json_true());
    json_array_append_new(tree, json_pack("{s:s, s:i, s:s?}", "id", id, "depth", depth, "parent",
                                          parent));
    size_t i;
    json_t *c;
    json_array_foreach (json_object_get(children, id), i, c)
        tree_visit(map, children, json_string_value(c), id, depth + 1, seen, tree);
}

json_t *arch_tree(const struct model_map *map, const char *field, const json_t *recs,
                  const json_t *order, const char *filter)
{
    json_t *shown = json_object(), *children = json_object(), *tree = json_array();
    json_t *seen = json_object(), *v;
    size_t i;
    json_array_foreach (order, i, v) {
        const json_t *rec = json_object_get(recs, json_string_value(v));
        const char *fv = filter && field ? filter_value(map, field, recs, rec) : NULL;
        if (!filter || (fv && strcmp(fv, filter) == 0))
            json_object_set_new(shown, json_string_value(v), json_true());
    }
    json_array_foreach (order, i, v) {
        const char *id = json_string_value(v);
        const char *p = text_of(json_object_get(recs, id), map->parent);
        if (!json_object_get(shown, id) || !p || !json_object_get(shown, p) || strcmp(p, id) == 0)
            continue;
        json_t *list = json_object_get(children, p);
        if (!list)
            json_object_set_new(children, p, list = json_array());
        json_array_append(list, v);
    }
    /* roots first (parent not shown), then what a loop of parents hides */
    for (int pass = 0; pass < 2; pass++)
        json_array_foreach (order, i, v) {
            const char *id = json_string_value(v);
            const char *p = text_of(json_object_get(recs, id), map->parent);
            bool root = !p || !json_object_get(shown, p) || strcmp(p, id) == 0;
            if (json_object_get(shown, id) && (root || pass == 1))
                tree_visit(map, children, id, NULL, 0, seen, tree);
        }
    json_decref(shown);
    json_decref(children);
    json_decref(seen);
    return tree;
}

/* ---- the map and its measures ---------------------------------------------------- */

struct arch_map {
    struct registry *r;
    struct docs *d;
    const struct actor *a;
    const struct model_map *decl;
    json_t *systems; /* id → the record's compact JSON (arch_load), or its
                        {kind, rid} from the graph in memory */
    json_t *compact; /* id → compact JSON, read when a measure first asks */
    json_t *whole;   /* id → stored record, read when a measure first asks */
    json_t *stages;  /* id → its stage groups as bits (stage_bits) */
    json_t *scores;  /* id → completeness score, computed once */
    const struct arch_measure *ms; /* the measure asked for */
    struct registry_at *at;        /* as of an instant, or NULL: now */
};

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

const json_t *arch_map_system(struct arch_map *m, const char *id)
{
    if (m->at) { /* as it was then */
        struct err e = ERR_INIT;
        return json_object_get(m->systems, id) ? registry_at_record(m->at, id, &e) : NULL;
    }
    const json_t *sys = json_object_get(m->systems, id);
    if (!sys || !json_object_get(sys, "rid"))
        return sys;
    if (!m->compact) {
        struct err e = ERR_INIT;
        m->compact = json_object();
        if (arch_load_ids(m->r, m->a, m->systems, false, m->compact, NULL, &e) < 0)
            json_object_clear(m->compact);
    }
    return json_object_get(m->compact, id);
}

const json_t *arch_map_system_whole(struct arch_map *m, const char *id, struct err *e)
{
    if (!m->whole) {
        m->whole = json_object();
        if (arch_load_ids(m->r, m->a, m->systems, true, m->whole, NULL, e) < 0)
            return NULL;
    }
    return json_object_get(m->whole, id);
}

const struct model_map *arch_map_decl(const struct arch_map *m)
{
    return m->decl;
}

/* How many distinct systems automate what the tile groups. */
static int measure_systems(struct arch_map *m, const char *tile_id, const json_t *systems,
                           json_t *tile, double *value, bool *has, struct err *e)
{
    (void)m, (void)tile_id, (void)tile, (void)e;
    *value = (double)json_object_size(systems);
    *has = true;
    return 0;
}

/* Is the stage of system rid (of kind k) one of the group's values: 1, 0,
 * or -1 when the filter index does not hold the stage field. */
static int stage_in_memory(struct arch_map *m, const struct model_kind *k, const char *sf,
                           json_int_t rid, const struct model_map_stage *st)
{
    for (size_t i = 0; i < st->n_values; i++) {
        int has = registry_field_has(m->r, k->collection, sf, st->values[i], (uint32_t)rid);
        if (has != 0)
            return has;
    }
    return 0;
}

/* Is system id's stage one of group g's values: from the filter index
 * when it holds the stage field, else from the system's record. */
static bool stage_in_group(struct arch_map *m, const char *id, size_t g)
{
    const struct model_map_stage *st = &m->decl->stages[g];
    const json_t *sys = json_object_get(m->systems, id);
    const struct model_kind *k = model_kind(registry_model(m->r), text_of(sys, "kind"));
    const char *sf = k && k->workflow ? k->workflow->stage_field : NULL;
    json_int_t rid = json_integer_value(json_object_get(sys, "rid"));
    int in = !sf ? 0 : rid > 0 && rid <= UINT32_MAX ? stage_in_memory(m, k, sf, rid, st) : -1;
    if (in < 0) {
        const char *stage = text_of(arch_map_system(m, id), sf);
        for (size_t i = 0; stage && i < st->n_values && in <= 0; i++)
            in = strcmp(stage, st->values[i]) == 0;
    }
    return in > 0;
}

/* The first 63 groups' answers for system id as bits (bit g: group g),
 * found once a map (m->stages). */
static uint64_t stage_bits(struct arch_map *m, const char *id)
{
    json_t *known = json_object_get(m->stages, id);
    if (known)
        return (uint64_t)json_integer_value(known);
    uint64_t bits = 0;
    for (size_t g = 0; g < m->decl->n_stages && g < 63; g++)
        bits |= (uint64_t)stage_in_group(m, id, g) << g;
    json_object_set_new(m->stages, id, json_integer((json_int_t)bits));
    return bits;
}

/* The share of its systems in each stage group of the map (the tile's
 * `stages`: {<group>: percent}); the value is the first group's. */
static int measure_stages(struct arch_map *m, const char *tile_id, const json_t *systems,
                          json_t *tile, double *value, bool *has, struct err *e)
{
    (void)tile_id, (void)e;
    const struct model_map *map = m->decl;
    size_t n = json_object_size(systems);
    *has = n > 0;
    if (!n)
        return 0;
    size_t *in = calloc(map->n_stages + 1, sizeof *in);
    if (!in)
        abort();
    const char *id;
    json_t *v;
    json_object_foreach ((json_t *)systems, id, v) {
        uint64_t bits = stage_bits(m, id);
        for (size_t g = 0; g < map->n_stages; g++)
            in[g] += g < 63 ? (size_t)(bits >> g & 1u) : stage_in_group(m, id, g);
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
static int measure_completeness(struct arch_map *m, const char *tile_id, const json_t *systems,
                                json_t *tile, double *value, bool *has, struct err *e)
{
    (void)tile_id, (void)tile;
    double sum = 0;
    size_t n = 0;
    const char *id;
    json_t *v;
    *has = false;
    if (!m->d)
        return 0;
    json_object_foreach ((json_t *)systems, id, v) {
        json_t *known = json_object_get(m->scores, id);
        if (!known) {
            int score = -1;
            const json_t *rec = arch_map_system_whole(m, id, e);
            if (!rec && e->status)
                return -1;
            if (rec && docs_record_score(m->d, rec, &score, e) < 0)
                return -1;
            json_object_set_new(m->scores, id, known = json_integer(score));
        }
        if (json_integer_value(known) >= 0) {
            sum += (double)json_integer_value(known);
            n++;
        }
    }
    *has = n > 0;
    *value = n ? sum / (double)n : 0;
    return 0;
}

/* A measure of the model's (section "measures") as the tile's own kind
 * declares it, over the tile's record (registry_measure): the share of
 * its items done, in per cent, with the tile's `items` and `done`. */
static int measure_of_model(struct arch_map *m, const char *tile_id, const json_t *systems,
                            json_t *tile, double *value, bool *has, struct err *e)
{
    (void)systems;
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

/* The relations of `type` out of (out) or into the records that are keys
 * of `at`, as arch_relations_by_end gives them (no cell), from the
 * relations graph in memory: the other ends are readable (a relation is
 * read when both of its ends are), and `others` gets each as {id, kind,
 * rid}. 0, or -1 when the graph is not built (nothing is added). */
static int links_by_end(struct registry *r, const struct actor *a, const char *type, bool out,
                        const json_t *at, json_t *by, json_t *others)
{
    struct arena *ar = arena_new();
    const char **ids = arena_calloc(ar, json_object_size(at) + 1, sizeof *ids);
    size_t n = 0;
    const char *id;
    json_t *v;
    json_object_foreach ((json_t *)at, id, v)
        ids[n++] = id;
    struct registry_link *links;
    long k = registry_links(r, a, ar, type, out, ids, n, &links);
    for (long i = 0; i < k; i++) {
        const struct registry_link *l = &links[i];
        json_t *list = json_object_get(by, l->from);
        if (!list)
            json_object_set_new(by, l->from, list = json_array());
        json_array_append_new(list, json_pack("{s:s}", "id", l->other));
        if (!json_object_get(others, l->other))
            json_object_set_new(others, l->other,
                                json_pack("{s:s, s:s?, s:I}", "id", l->other, "kind",
                                          l->other_kind, "rid", (json_int_t)l->other_rid));
    }
    arena_free(ar);
    return k < 0 ? -1 : 0;
}

/* The leaves grouped under the tiles shown and the systems that automate
 * them, readable by a: from the graph in memory when it is built (the
 * systems then as {id, kind, rid}), else from the store (compact
 * records). */
static int load_leaves_systems(struct registry *r, const struct actor *a,
                               const struct model_map *map, const json_t *shown, json_t *groups,
                               json_t *leaves, json_t *auto_by, json_t *systems, struct err *e)
{
    if (links_by_end(r, a, map->groups, true, shown, groups, leaves) == 0) {
        if (registry_names(r, leaves, e) < 0)
            return -1;
        return links_by_end(r, a, map->systems, false, leaves, auto_by, systems);
    }
    json_t *leaf_ids = json_object(), *sys_ids = json_object();
    int rc = arch_relations_by_end(r, map->groups, "source", NULL, shown, groups, leaf_ids, e);
    if (rc == 0)
        rc = arch_load_ids(r, a, leaf_ids, false, leaves, NULL, e);
    if (rc == 0)
        rc = arch_relations_by_end(r, map->systems, "target", NULL, leaves, auto_by, sys_ids, e);
    if (rc == 0)
        rc = arch_load_ids(r, a, sys_ids, false, systems, NULL, e);
    json_decref(leaf_ids);
    json_decref(sys_ids);
    return rc;
}

/* The relations of `type` out of (out) or into the records that are keys
 * of `at_ids` as they were at the view's instant: by[end] gets {id} of each
 * other end, others[id] its {id, kind[, name]} (the name as it was then). */
static int links_at(struct registry_at *v, const char *type, bool out, const json_t *at_ids,
                    json_t *by, json_t *others, bool names, struct err *e)
{
    struct arena *ar = arena_new();
    const char **ids = arena_calloc(ar, json_object_size(at_ids) + 1, sizeof *ids);
    size_t n = 0;
    const char *id;
    json_t *x;
    json_object_foreach ((json_t *)at_ids, id, x)
        ids[n++] = id;
    struct registry_link *links;
    long k = registry_at_links(v, ar, type, out, ids, n, &links, e);
    for (long i = 0; i < k; i++) {
        const struct registry_link *l = &links[i];
        json_t *list = json_object_get(by, l->from);
        if (!list)
            json_object_set_new(by, l->from, list = json_array());
        json_array_append_new(list, json_pack("{s:s}", "id", l->other));
        if (json_object_get(others, l->other))
            continue;
        json_t *o = json_pack("{s:s, s:s?}", "id", l->other, "kind", l->other_kind);
        const json_t *then = names ? registry_at_record(v, l->other, e) : NULL;
        if (then && json_object_get(then, "name"))
            json_object_set(o, "name", json_object_get(then, "name"));
        json_object_set_new(others, l->other, o);
    }
    arena_free(ar);
    return k < 0 ? -1 : 0;
}

/* load_leaves_systems as of the view's instant: the systems as {id, kind}
 * (their records then through arch_map_system). */
static int load_leaves_systems_at(struct registry_at *v, const struct model_map *map,
                                  const json_t *shown, json_t *groups, json_t *leaves,
                                  json_t *auto_by, json_t *systems, struct err *e)
{
    if (links_at(v, map->groups, true, shown, groups, leaves, true, e) < 0)
        return -1;
    return links_at(v, map->systems, false, leaves, auto_by, systems, false, e);
}

/* The systems under each tile: its own leaves' and its descendants' (the
 * tree in reverse order meets every child before its parent). */
static json_t *systems_under(const json_t *tree, const json_t *groups, const json_t *leaves,
                             const json_t *auto_by, const json_t *systems)
{
    json_t *sets = json_object();
    for (size_t i = json_array_size(tree); i-- > 0;) {
        const json_t *t = json_array_get(tree, i);
        const char *id = text_of(t, "id"), *parent = text_of(t, "parent");
        json_t *set = json_object_get(sets, id), *g, *s;
        if (!set)
            json_object_set_new(sets, id, set = json_object());
        size_t j, k;
        json_array_foreach (json_object_get(groups, id), j, g) {
            if (!json_object_get(leaves, text_of(g, "id")))
                continue;
            json_array_foreach (json_object_get(auto_by, text_of(g, "id")), k, s)
                if (json_object_get(systems, text_of(s, "id")))
                    json_object_set_new(set, text_of(s, "id"), json_true());
        }
        if (parent) {
            json_t *ps = json_object_get(sets, parent);
            if (!ps)
                json_object_set_new(sets, parent, ps = json_object());
            json_object_update(ps, set);
        }
    }
    return sets;
}

/* The tile's leaves the reader may read: [{id, kind, name}]. */
static json_t *leaves_of(const json_t *groups, const json_t *leaves, const char *id)
{
    json_t *out = json_array(), *g;
    size_t i;
    json_array_foreach (json_object_get(groups, id), i, g) {
        const json_t *leaf = json_object_get(leaves, text_of(g, "id"));
        if (leaf)
            json_array_append_new(out, json_pack("{s:s, s:s, s:O?}", "id", text_of(leaf, "id"),
                                                 "kind", text_of(leaf, "kind"), "name",
                                                 json_object_get(leaf, "name")));
    }
    return out;
}

int arch_map_build(struct registry *r, struct docs *d, const struct actor *a,
                   const struct model_collection *c, const char *measure, const char *filter,
                   struct registry_at *at, json_t **out, struct err *e)
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
    json_t *tiles = json_object(), *order = json_array(), *groups = json_object();
    json_t *leaves = json_object(), *auto_by = json_object(), *systems = json_object();
    int rc = at ? registry_at_collection(at, c->id, tiles, order, e)
             : filter && arch_field_indexed(r, c, map->filter)
                 ? load_narrowed(r, a, c, filter, tiles, order, e)
                 : arch_load(r, a, ARCH_WHERE_COLLECTION, c->id, tiles, order, e);
    /* the tiles shown first: only their leaves and systems are read */
    json_t *tree = arch_tree(map, map->filter, tiles, order, filter), *shown = json_object(), *x;
    size_t k;
    json_array_foreach (tree, k, x)
        json_object_set_new(shown, text_of(x, "id"), json_true());
    if (rc == 0)
        rc = at ? load_leaves_systems_at(at, map, shown, groups, leaves, auto_by, systems, e)
                : load_leaves_systems(r, a, map, shown, groups, leaves, auto_by, systems, e);
    json_decref(shown);
    json_t *sets = systems_under(tree, groups, leaves, auto_by, systems);
    struct arch_map m = {.r = r,
                         .d = d,
                         .a = a,
                         .decl = map,
                         .systems = systems,
                         .scores = json_object(),
                         .stages = json_object(),
                         .ms = &ms,
                         .at = at};
    json_t *items = json_array(), *t;
    double max = 0;
    size_t i;
    json_array_foreach (tree, i, t) {
        if (rc < 0)
            break;
        const char *id = text_of(t, "id");
        const json_t *rec = json_object_get(tiles, id), *set = json_object_get(sets, id);
        json_t *item = json_pack("{s:s, s:O?, s:O, s:O, s:o, s:I}", "id", id, "name",
                                 json_object_get(rec, "name"), "parent",
                                 json_object_get(t, "parent") ? json_object_get(t, "parent")
                                                              : json_null(),
                                 "depth", json_object_get(t, "depth"), "leaves",
                                 leaves_of(groups, leaves, id), "systems",
                                 (json_int_t)json_object_size(set));
        double value = 0;
        bool has = false;
        rc = ms.fn(&m, id, set, item, &value, &has, e);
        if (has) {
            json_object_set_new(item, "value", json_real(value));
            max = value > max ? value : max;
        }
        json_array_append_new(items, item);
    }
    if (rc == 0)
        *out = json_pack("{s:s, s:s, s:s, s:s?, s:f, s:o}", "collection", c->id, "measure", ms.id,
                         "scale", ms.scale == ARCH_COUNT ? "count" : "percent", "filter", filter,
                         "max", max, "items", items);
    else
        json_decref(items);
    if (rc == 0 && at)
        json_object_set_new(*out, "at", json_string(registry_at_instant(at)));
    json_decref(tiles);
    json_decref(order);
    json_decref(groups);
    json_decref(leaves);
    json_decref(auto_by);
    json_decref(systems);
    json_decref(tree);
    json_decref(sets);
    json_decref(m.scores);
    json_decref(m.whole);
    json_decref(m.compact);
    json_decref(m.stages);
    return rc;
}
