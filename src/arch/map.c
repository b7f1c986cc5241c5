/* map: a collection's map (model key "map"; issue 15: the capability map),
 * its tiles measured by one of a table of measures. Five queries whatever
 * the size: the collection, its grouping relations, the leaves they reach,
 * the relations from systems into those leaves, the systems. Each tile's
 * systems are those of its own leaves and of its shown descendants',
 * counted once. */
#include "arch/arch.h"

#include "docs/documents.h"
#include "store/store.h"

#include <stdlib.h>
#include <string.h>

const char ARCH_SQL_COLLECTION[] =
    "SELECT d.data FROM records r JOIN record_data d ON d.rid = r.rid "
    "WHERE r.collection = $1 AND r.retired = 0 ORDER BY r.sort_name, r.rid";
const char ARCH_SQL_RELATIONS[] =
    "SELECT d.data FROM records r JOIN record_data d ON d.rid = r.rid "
    "WHERE r.collection = $1 AND r.retired = 0 AND r.kind = $2 ORDER BY r.rid";
const char ARCH_SQL_IDS[] =
    "SELECT d.data FROM records r JOIN record_data d ON d.rid = r.rid "
    "WHERE r.id IN (SELECT value FROM json_each($1)) AND r.retired = 0 "
    "ORDER BY r.sort_name, r.rid";

static const char *text_of(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

int arch_load(struct registry *r, const struct actor *a, const char *sql, const char *b1,
              const char *b2, json_t *into, json_t *order, struct err *e)
{
    struct store_stmt *st = store_prepare(store_conn(registry_store(r)), sql, true, e);
    if (!st)
        return -1;
    if (b1)
        store_bind_text(st, 1, b1);
    if (b2)
        store_bind_text(st, 2, b2);
    int rc;
    while ((rc = store_step(st, e)) == STORE_ROW) {
        json_t *rec = json_loads(store_col_text(st, 0), 0, NULL);
        const char *id = text_of(rec, "id");
        bool ok = id && (!a || registry_may_read(r, a, rec));
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
    json_t *systems; /* id → stored record */
    json_t *scores;  /* id → completeness score, computed once */
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

const json_t *arch_map_system(const struct arch_map *m, const char *id)
{
    return json_object_get(m->systems, id);
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
    json_t *shares = json_object();
    for (size_t g = 0; g < map->n_stages; g++) {
        const struct model_map_stage *st = &map->stages[g];
        size_t in = 0;
        const char *id;
        json_t *v;
        json_object_foreach ((json_t *)systems, id, v) {
            const json_t *sys = arch_map_system(m, id);
            const struct model_kind *k =
                model_kind(registry_model(m->r), text_of(sys, "kind"));
            const char *sf = k && k->workflow ? k->workflow->stage_field : NULL;
            const char *stage = sf ? text_of(sys, sf) : NULL;
            for (size_t i = 0; stage && i < st->n_values; i++)
                if (strcmp(stage, st->values[i]) == 0) {
                    in++;
                    break;
                }
        }
        double share = 100.0 * (double)in / (double)n;
        json_object_set_new(shares, st->id, json_real(share));
        if (g == 0)
            *value = share;
    }
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
            if (docs_record_score(m->d, arch_map_system(m, id), &score, e) < 0)
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

const struct arch_measure arch_measures[] = {
    {"systems", ARCH_COUNT, measure_systems},
    {"stages", ARCH_PERCENT, measure_stages},
    {"completeness", ARCH_PERCENT, measure_completeness},
    {NULL, ARCH_COUNT, NULL},
};

const struct arch_measure *arch_measure(const char *id)
{
    for (const struct arch_measure *ms = arch_measures; ms->id; ms++)
        if (!id || strcmp(ms->id, id) == 0)
            return ms;
    return NULL;
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

/* The relations of `type` whose `end` is a key of `at` (records read),
 * as end id → [the other end's ids]; the other ends' ids also into
 * `others`, to be read (those the reader may not read are then left out). */
int arch_relations_by_end(struct registry *r, const char *type, const char *end, const json_t *at,
                          json_t *by, json_t *others, struct err *e)
{
    const struct model_kind *rel = model_kind(registry_model(r), type);
    json_t *rels = json_object();
    int rc = arch_load(r, NULL, ARCH_SQL_RELATIONS, rel->collection, type, rels, NULL, e);
    const char *id, *other_end = strcmp(end, "source") == 0 ? "target" : "source";
    json_t *x;
    json_object_foreach (rels, id, x) {
        const char *here = text_of(x, end), *there = text_of(x, other_end);
        if (rc < 0 || !here || !there || !json_object_get(at, here))
            continue;
        json_t *list = json_object_get(by, here);
        if (!list)
            json_object_set_new(by, here, list = json_array());
        json_array_append_new(list, json_pack("{s:s, s:O}", "id", there, "rel", x));
        json_object_set_new(others, there, json_true());
    }
    json_decref(rels);
    return rc;
}

int arch_load_ids(struct registry *r, const struct actor *a, const json_t *set, json_t *into,
                  json_t *order, struct err *e)
{
    if (json_object_size(set) == 0)
        return 0;
    char *ids = ids_text(set);
    int rc = arch_load(r, a, ARCH_SQL_IDS, ids, NULL, into, order, e);
    free(ids);
    return rc;
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
                   json_t **out, struct err *e)
{
    const struct model_map *map = c->map;
    const struct arch_measure *ms = arch_measure(measure);
    *out = NULL;
    if (!map) {
        err_not_found(e, "the collection has no map");
        return -1;
    }
    if (!ms) {
        err_bad_request(e, "measure", "unknown measure '%.60s'", measure);
        return -1;
    }
    if (filter && !map->filter) {
        err_bad_request(e, "filter", "the map cannot be narrowed");
        return -1;
    }
    json_t *tiles = json_object(), *order = json_array(), *groups = json_object();
    json_t *leaf_ids = json_object(), *leaves = json_object(), *auto_by = json_object();
    json_t *sys_ids = json_object(), *systems = json_object();
    int rc = arch_load(r, a, ARCH_SQL_COLLECTION, c->id, NULL, tiles, order, e);
    if (rc == 0)
        rc = arch_relations_by_end(r, map->groups, "source", tiles, groups, leaf_ids, e);
    if (rc == 0)
        rc = arch_load_ids(r, a, leaf_ids, leaves, NULL, e);
    if (rc == 0)
        rc = arch_relations_by_end(r, map->systems, "target", leaves, auto_by, sys_ids, e);
    if (rc == 0)
        rc = arch_load_ids(r, a, sys_ids, systems, NULL, e);
    json_t *tree = arch_tree(map, map->filter, tiles, order, filter);
    json_t *sets = systems_under(tree, groups, leaves, auto_by, systems);
    struct arch_map m = {.r = r, .d = d, .a = a, .decl = map, .systems = systems,
                         .scores = json_object()};
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
        rc = ms->fn(&m, id, set, item, &value, &has, e);
        if (has) {
            json_object_set_new(item, "value", json_real(value));
            max = value > max ? value : max;
        }
        json_array_append_new(items, item);
    }
    if (rc == 0)
        *out = json_pack("{s:s, s:s, s:s, s:s?, s:f, s:o}", "collection", c->id, "measure",
                         ms->id, "scale", ms->scale == ARCH_COUNT ? "count" : "percent",
                         "filter", filter, "max", max, "items", items);
    else
        json_decref(items);
    json_decref(tiles);
    json_decref(order);
    json_decref(groups);
    json_decref(leaf_ids);
    json_decref(leaves);
    json_decref(auto_by);
    json_decref(sys_ids);
    json_decref(systems);
    json_decref(tree);
    json_decref(sets);
    json_decref(m.scores);
    return rc;
}
