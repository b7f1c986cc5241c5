/* maps: a collection's "map" and "matrices" (issue 15: the capability map
 * and the matrices of the functional model), checked against the kinds and
 * relation types they name, so that the engine that draws them names none.
 *
 *   "map": {"parent": "<self ref field>", "groups": "<relation type>",
 *           "systems": "<relation type into the leaves>", "filter"?: "<ref
 *           field>", "stages": [{"id", "label", "values": [<stage>…]}…]}
 *   "matrices": [{"id", "label", "relation": "<type>", "direction":
 *           "out"|"in", "column"?: "owner"|"<ref field>", "cell"?: "<enum
 *           attribute>", "filter"?: "<ref field>", "subtree"?: bool}…] */
#include "model/loader.h"

#include <string.h>

static const char *const MAP_KEYS[] = {"parent", "groups", "systems", "filter", "stages", NULL};
static const char *const STAGE_KEYS[] = {"id", "label", "values", NULL};
static const char *const MATRIX_KEYS[] = {"id",     "label",  "relation", "direction", "column",
                                          "cell",   "filter", "subtree",  NULL};

/* The relation type `name`, or NULL after failing the load. */
static const struct model_kind *relation_type(struct loader *ld, const char *name,
                                              const char *path)
{
    const struct model_kind *rel = model_kind(ld->m, name);
    if (!rel || !rel->is_relation) {
        ld_fail(ld, path, "'%s' is not a relation type", name);
        return NULL;
    }
    return rel;
}

/* Does the relation's `end` ("source" or "target") allow kind? */
static bool end_allows(const struct model_kind *rel, const char *end, const char *kind)
{
    const struct model_field *f = model_field(rel, end);
    for (size_t i = 0; f && i < f->n_ref_kinds; i++)
        if (strcmp(f->ref_kinds[i], kind) == 0)
            return true;
    return false;
}

/* `name` is a single ref field of every kind of the collection. */
static int check_ref_field(struct loader *ld, const struct model_collection *c, const char *name,
                           const char *path)
{
    for (size_t i = 0; i < c->n_kinds; i++) {
        const struct model_field *f = model_field(model_kind(ld->m, c->kinds[i]), name);
        if (!f || f->type != FT_REF)
            return ld_fail(ld, path, "'%s' is not a ref field of kind '%s'", name, c->kinds[i]);
    }
    return 0;
}

/* Every value of a stage group is a value of the stage field of each kind
 * the systems come from that has one (and some kind has one). */
static int check_stage_values(struct loader *ld, const struct model_kind *systems,
                              const struct model_map_stage *st, const char *path)
{
    const struct model_field *src = model_field(systems, "source");
    bool some = false;
    for (size_t k = 0; k < src->n_ref_kinds; k++) {
        const struct model_kind *sk = model_kind(ld->m, src->ref_kinds[k]);
        const char *sf = sk && sk->workflow ? sk->workflow->stage_field : NULL;
        const struct model_field *f = sf ? model_field(sk, sf) : NULL;
        if (!f || f->type != FT_ENUM)
            continue;
        some = true;
        for (size_t v = 0; v < st->n_values; v++)
            if (!ld_enum_has(f->enumeration, st->values[v]))
                return ld_fail(ld, ld_idx(ld, path, v), "'%s' is not a stage of kind '%s'",
                               st->values[v], sk->id);
    }
    return some ? 0
                : ld_fail(ld, path, "no kind that relation type '%s' comes from has a "
                                    "workflow with a stage field", systems->id);
}

static int parse_stages(struct loader *ld, const json_t *v, const char *path,
                        const struct model_kind *systems, struct model_map *map)
{
    json_t *a, *x;
    size_t i;
    if (ld_member(ld, v, "stages", path, JSON_ARRAY, true, &a))
        return -1;
    const char *sp = ld_sub(ld, path, "stages");
    if (json_array_size(a) == 0)
        return ld_fail(ld, sp, "must be a non-empty array of stage groups");
    struct model_map_stage *st = arena_calloc(ld->m->arena, json_array_size(a), sizeof *st);
    json_array_foreach (a, i, x) {
        const char *p = ld_idx(ld, sp, i), *id;
        if (ld_want_object(ld, x, p) || ld_check_keys(ld, x, p, STAGE_KEYS) ||
            ld_string(ld, x, "id", p, true, &id) || ld_name(ld, id, ld_sub(ld, p, "id")) ||
            ld_label(ld, x, "label", p, &st[i].label) ||
            ld_strings(ld, json_object_get(x, "values"), ld_sub(ld, p, "values"), true,
                       &st[i].values, &st[i].n_values) ||
            check_stage_values(ld, systems, &st[i], ld_sub(ld, p, "values")))
            return -1;
        for (size_t j = 0; j < i; j++)
            if (strcmp(st[j].id, id) == 0)
                return ld_fail(ld, ld_sub(ld, p, "id"), "stage group '%s' listed twice", id);
        st[i].id = ld_keep(ld, id);
    }
    map->stages = st;
    map->n_stages = json_array_size(a);
    return 0;
}

static int parse_map(struct loader *ld, const json_t *v, const char *path,
                     struct model_collection *c)
{
    const char *parent, *groups, *systems, *filter;
    if (ld_want_object(ld, v, path) || ld_check_keys(ld, v, path, MAP_KEYS) ||
        ld_string(ld, v, "parent", path, true, &parent) ||
        ld_string(ld, v, "groups", path, true, &groups) ||
        ld_string(ld, v, "systems", path, true, &systems) ||
        ld_string(ld, v, "filter", path, false, &filter))
        return -1;
    if (c->n_kinds != 1)
        return ld_fail(ld, path, "a map is drawn for a collection of one kind");
    const struct model_kind *k = model_kind(ld->m, c->kinds[0]);
    const struct model_field *pf = model_field(k, parent);
    if (!pf || pf->type != FT_REF || pf->n_ref_kinds != 1 || strcmp(pf->ref_kinds[0], k->id) != 0)
        return ld_fail(ld, ld_sub(ld, path, "parent"),
                       "'%s' is not a ref field of kind '%s' to its own kind only", parent, k->id);
    const struct model_kind *g = relation_type(ld, groups, ld_sub(ld, path, "groups"));
    const struct model_kind *s = g ? relation_type(ld, systems, ld_sub(ld, path, "systems")) : NULL;
    if (!s)
        return -1;
    if (!end_allows(g, "source", k->id))
        return ld_fail(ld, ld_sub(ld, path, "groups"), "relation type '%s' does not start at kind '%s'",
                       groups, k->id);
    const struct model_field *leaves = model_field(g, "target");
    for (size_t i = 0; i < leaves->n_ref_kinds; i++)
        if (!end_allows(s, "target", leaves->ref_kinds[i]))
            return ld_fail(ld, ld_sub(ld, path, "systems"),
                           "relation type '%s' does not lead into kind '%s', which '%s' groups",
                           systems, leaves->ref_kinds[i], groups);
    if (filter && check_ref_field(ld, c, filter, ld_sub(ld, path, "filter")))
        return -1;
    struct model_map *map = arena_calloc(ld->m->arena, 1, sizeof *map);
    if (parse_stages(ld, v, path, s, map))
        return -1;
    map->kind = k->id;
    map->parent = pf->name;
    map->groups = g->id;
    map->systems = s->id;
    map->filter = filter ? ld_keep(ld, filter) : NULL;
    c->map = map;
    return 0;
}

/* The column: "owner" when every far kind is owned, else a ref field of
 * every far kind. */
static int check_column(struct loader *ld, const struct model_field *far, const char *column,
                        const char *path)
{
    for (size_t i = 0; i < far->n_ref_kinds; i++) {
        const struct model_kind *fk = model_kind(ld->m, far->ref_kinds[i]);
        const struct model_field *f = model_field(fk, column);
        bool ok = strcmp(column, "owner") == 0 ? fk->owned : f && f->type == FT_REF;
        if (!ok)
            return ld_fail(ld, path, "'%s' is not 'owner' of an owned kind or a ref field of kind '%s'",
                           column, fk->id);
    }
    return 0;
}

static const char *const NETWORK_KEYS[] = {"id", "label", "relation", "by", NULL};

/* A network: the records of the collection linked by relations of one
 * type between them (both ends of its kinds), `by` an enum attribute of
 * the relation that labels and sorts the links. */
static int parse_network(struct loader *ld, const json_t *v, const char *path,
                         const struct model_collection *c, const struct model_network *done,
                         size_t n_done, struct model_network *nw)
{
    const char *id, *relation, *by;
    if (ld_want_object(ld, v, path) || ld_check_keys(ld, v, path, NETWORK_KEYS) ||
        ld_string(ld, v, "id", path, true, &id) || ld_name(ld, id, ld_sub(ld, path, "id")) ||
        ld_label(ld, v, "label", path, &nw->label) ||
        ld_string(ld, v, "relation", path, true, &relation) ||
        ld_string(ld, v, "by", path, false, &by))
        return -1;
    for (size_t i = 0; i < n_done; i++)
        if (strcmp(done[i].id, id) == 0)
            return ld_fail(ld, ld_sub(ld, path, "id"), "network '%s' listed twice", id);
    const struct model_kind *rel = relation_type(ld, relation, ld_sub(ld, path, "relation"));
    if (!rel)
        return -1;
    for (size_t i = 0; i < c->n_kinds; i++)
        if (!end_allows(rel, "source", c->kinds[i]) || !end_allows(rel, "target", c->kinds[i]))
            return ld_fail(ld, ld_sub(ld, path, "relation"),
                           "relation type '%s' does not link kind '%s' to itself", relation,
                           c->kinds[i]);
    const struct model_field *bf = by ? model_field(rel, by) : NULL;
    if (by && (!bf || bf->type != FT_ENUM))
        return ld_fail(ld, ld_sub(ld, path, "by"), "'%s' is not an enum attribute of '%s'", by,
                       relation);
    nw->id = ld_keep(ld, id);
    nw->relation = rel->id;
    nw->by = bf;
    return 0;
}

static int parse_matrix(struct loader *ld, const json_t *v, const char *path,
                        const struct model_collection *c, const struct model_matrix *done,
                        size_t n_done, struct model_matrix *mx)
{
    const char *id, *relation, *dir, *column, *cell, *filter;
    if (ld_want_object(ld, v, path) || ld_check_keys(ld, v, path, MATRIX_KEYS) ||
        ld_string(ld, v, "id", path, true, &id) || ld_name(ld, id, ld_sub(ld, path, "id")) ||
        ld_label(ld, v, "label", path, &mx->label) ||
        ld_string(ld, v, "relation", path, true, &relation) ||
        ld_string(ld, v, "direction", path, true, &dir) ||
        ld_string(ld, v, "column", path, false, &column) ||
        ld_string(ld, v, "cell", path, false, &cell) ||
        ld_string(ld, v, "filter", path, false, &filter) ||
        ld_bool(ld, v, "subtree", path, &mx->subtree))
        return -1;
    for (size_t i = 0; i < n_done; i++)
        if (strcmp(done[i].id, id) == 0)
            return ld_fail(ld, ld_sub(ld, path, "id"), "matrix '%s' listed twice", id);
    const struct model_kind *rel = relation_type(ld, relation, ld_sub(ld, path, "relation"));
    if (!rel)
        return -1;
    if (strcmp(dir, "out") != 0 && strcmp(dir, "in") != 0)
        return ld_fail(ld, ld_sub(ld, path, "direction"), "must be 'out' or 'in'");
    mx->out = strcmp(dir, "out") == 0;
    for (size_t i = 0; i < c->n_kinds; i++)
        if (!end_allows(rel, mx->out ? "source" : "target", c->kinds[i]))
            return ld_fail(ld, ld_sub(ld, path, "relation"),
                           "relation type '%s' does not %s kind '%s'", relation,
                           mx->out ? "start at" : "lead into", c->kinds[i]);
    const struct model_field *far = model_field(rel, mx->out ? "target" : "source");
    if (column && check_column(ld, far, column, ld_sub(ld, path, "column")))
        return -1;
    const struct model_field *cf = cell ? model_field(rel, cell) : NULL;
    if (cell && (!cf || cf->type != FT_ENUM))
        return ld_fail(ld, ld_sub(ld, path, "cell"), "'%s' is not an enum attribute of '%s'", cell,
                       relation);
    if (filter && check_ref_field(ld, c, filter, ld_sub(ld, path, "filter")))
        return -1;
    if (mx->subtree && !c->map)
        return ld_fail(ld, ld_sub(ld, path, "subtree"), "the collection has no map");
    if (mx->subtree && cell)
        return ld_fail(ld, ld_sub(ld, path, "cell"), "a subtree matrix counts: it shows no cell");
    mx->id = ld_keep(ld, id);
    mx->relation = rel->id;
    mx->column = column ? ld_keep(ld, column) : NULL;
    mx->cell = cf ? cf->name : NULL;
    mx->filter = filter ? ld_keep(ld, filter) : NULL;
    return 0;
}

int parse_maps(struct loader *ld)
{
    json_t *in = json_object_get(ld->root, "collections");
    for (size_t i = 0; i < ld->m->n_colls; i++) {
        struct model_collection *c = &ld->m->colls[i];
        const json_t *v = json_object_get(in, c->id);
        const char *path = ld_sub(ld, "collections", c->id);
        json_t *map = json_object_get(v, "map"), *mxs, *x;
        if ((map || json_object_get(v, "matrices")) && c->type != COLL_RECORDS)
            return ld_fail(ld, path, "only a records collection has a map or matrices");
        if (map && parse_map(ld, map, ld_sub(ld, path, "map"), c))
            return -1;
        if (ld_member(ld, v, "matrices", path, JSON_ARRAY, false, &mxs))
            return -1;
        size_t n = json_array_size(mxs), j;
        struct model_matrix *out = n ? arena_calloc(ld->m->arena, n, sizeof *out) : NULL;
        json_array_foreach (mxs, j, x)
            if (parse_matrix(ld, x, ld_idx(ld, ld_sub(ld, path, "matrices"), j), c, out, j,
                             &out[j]))
                return -1;
        c->matrices = out;
        c->n_matrices = n;
        json_t *nws;
        if (ld_member(ld, v, "networks", path, JSON_ARRAY, false, &nws))
            return -1;
        if (nws && c->type != COLL_RECORDS)
            return ld_fail(ld, path, "only a records collection has networks");
        n = json_array_size(nws);
        struct model_network *nw = n ? arena_calloc(ld->m->arena, n, sizeof *nw) : NULL;
        json_array_foreach (nws, j, x)
            if (parse_network(ld, x, ld_idx(ld, ld_sub(ld, path, "networks"), j), c, nw, j, &nw[j]))
                return -1;
        c->networks = nw;
        c->n_networks = n;
    }
    return 0;
}
