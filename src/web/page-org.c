/* The organisation's part of its card (issue 14 item 5): for a record of
 * the kind that owns others, the state body's view — its objects with
 * their completeness and status, its open and overdue deadlines, the map
 * of its objects' relations, and a link to the registry filtered by it.
 * Only what the visitor may read: the objects are those the visitor may
 * see (the public: published ones), the deadlines only for those who may
 * read this organisation's, the map's far ends only when readable. */
#include "web/internal.h"

#include "account/account.h"
#include "docs/documents.h"
#include "registry/registry.h"
#include "util/graph.h"

#include <string.h>

#define ORG_LIST_MAX 200 /* objects listed on the card; the registry has them all */
#define ORG_MAP_MAX 40   /* objects whose relations are drawn */

static const char *state_text(const struct page *pg, const struct model_workflow *w, const char *id)
{
    const struct model_wf_state *s = w && id ? model_wf_state(w, id) : NULL;
    return s ? web_label(pg->lang, s->label) : id ? id : "";
}

/* One object of the organisation for the list. */
static json_t *org_object(struct page *pg, const json_t *c)
{
    const struct model *m = pg->w->api->model;
    const char *id = json_string_value(json_object_get(c, "record_id"));
    const struct model_kind *k = model_kind(m, json_string_value(json_object_get(c, "kind")));
    const struct model_workflow *w = k ? k->workflow : NULL;
    const char *name = web_name(pg->lang, json_object_get(c, "name"));
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:O, s:b}", "name", *name ? name : id, "url",
                          page_url(pg, "/%s/%s", k ? k->collection : "", id), "kind",
                          k ? web_label(pg->lang, k->label) : "", "status",
                          state_text(pg, w, json_string_value(json_object_get(c, "status"))),
                          "score", json_object_get(c, "score"), "complete",
                          json_is_true(json_object_get(c, "complete")));
    const struct model_field *sf = w && w->stage_field ? model_field(k, w->stage_field) : NULL;
    const char *stage = json_string_value(json_object_get(c, "stage"));
    if (sf && stage)
        json_object_set_new(o, "stage", json_string(page_enum_label(pg, sf->enumeration, stage)));
    const char *code = json_string_value(json_object_get(c, "accounting_code"));
    if (code)
        json_object_set_new(o, "code", json_string(code));
    return o;
}

/* The organisation's open deadlines, if the visitor may read them (else
 * nothing is said about them): {items, open, overdue}. */
static json_t *org_deadlines(struct page *pg, const char *org)
{
    json_t *list = NULL;
    struct err e = ERR_INIT;
    if (!pg->signed_in ||
        obligation_list(pg->w->api->acct, &pg->actor, org, NULL, "open", &list, &e) < 0)
        return NULL;
    const struct model *m = pg->w->api->model;
    json_t *items = json_array();
    int overdue = 0;
    size_t i;
    json_t *ob;
    json_array_foreach (json_object_get(list, "items"), i, ob) {
        const struct model_policy *p =
            model_policy(m, json_string_value(json_object_get(ob, "policy")));
        const char *subject = json_string_value(json_object_get(ob, "subject"));
        const char *slash = subject ? strchr(subject, '/') : NULL;
        const char *due = json_string_value(json_object_get(ob, "due_at"));
        bool late = json_is_true(json_object_get(ob, "overdue"));
        overdue += late;
        json_t *o =
            json_pack("{s:s, s:s, s:b}", "what", p ? web_label(pg->lang, p->label) : "", "due",
                      due ? arena_strndup(pg->req->arena, due, 10) : "", "overdue", late);
        /* what it is about, when the visitor may read that record */
        json_t *rec = NULL;
        struct err re = ERR_INIT;
        if (slash &&
            registry_get_visible(pg->w->api->reg, &pg->actor, NULL, slash + 1, &rec, &re) == 0) {
            const char *name = web_name(pg->lang, json_object_get(rec, "name"));
            const struct model_kind *k =
                model_kind(m, json_string_value(json_object_get(rec, "kind")));
            json_object_set_new(o, "about", json_string(*name ? name : slash + 1));
            if (k)
                json_object_set_new(o, "url",
                                    json_string(page_url(pg, "/%s/%s", k->collection, slash + 1)));
            json_decref(rec);
        }
        json_array_append_new(items, o);
    }
    json_t *out = json_pack("{s:o, s:I, s:i}", "items", items, "open",
                            (json_int_t)json_array_size(items), "overdue", overdue);
    json_decref(list);
    return out;
}

struct org_map {
    struct graph_node nodes[GRAPH_MAX_NODES];
    const char *ids[GRAPH_MAX_NODES];
    struct graph_edge edges[GRAPH_MAX_NODES * 2];
    size_t n_nodes, n_edges;
};

/* The node of record id (added when there is room): its index, or
 * n_nodes when there is none. */
static size_t map_node(struct org_map *mp, const char *id, const char *label, const char *url,
                       bool focus)
{
    for (size_t j = 0; j < mp->n_nodes; j++)
        if (strcmp(mp->ids[j], id) == 0)
            return j;
    if (mp->n_nodes == GRAPH_MAX_NODES)
        return mp->n_nodes;
    mp->ids[mp->n_nodes] = id;
    mp->nodes[mp->n_nodes] = (struct graph_node){label, url, focus};
    return mp->n_nodes++;
}

struct map_from {
    struct org_map *mp;
    size_t at; /* the object's node */
};

/* One relation of an object of the organisation into the map. */
static void map_relation(struct page *pg, void *ctx, const json_t *rel,
                         const struct model_kind *rk, bool out, const char *other,
                         const json_t *orec)
{
    struct map_from *f = ctx;
    struct org_map *mp = f->mp;
    (void)rel;
    const struct model_kind *ok =
        model_kind(pg->w->api->model, json_string_value(json_object_get(orec, "kind")));
    const char *name = web_name(pg->lang, json_object_get(orec, "name"));
    const char *oid = arena_strdup(pg->req->arena, other);
    size_t to = map_node(mp, oid, arena_strdup(pg->req->arena, *name ? name : other),
                         ok ? page_url(pg, "/%s/%s", ok->collection, other) : NULL, false);
    if (to == mp->n_nodes || mp->n_edges == sizeof mp->edges / sizeof mp->edges[0])
        return;
    /* each relation once, though both its ends may be the organisation's */
    size_t from = out ? f->at : to, dest = out ? to : f->at;
    bool seen = false;
    for (size_t j = 0; j < mp->n_edges && !seen; j++)
        seen = mp->edges[j].from == from && mp->edges[j].to == dest;
    if (!seen)
        mp->edges[mp->n_edges++] = (struct graph_edge){from, dest, web_label(pg->lang, rk->label)};
}

/* The relations of one object of the organisation into the map, with the
 * far ends the visitor may read. */
static void map_relations(struct page *pg, struct org_map *mp, size_t at, const char *coll,
                          const char *id)
{
    struct map_from f = {mp, at};
    page_relations_each(pg, coll, id, map_relation, &f);
}

void page_org_section(struct page *pg, const struct model_kind *k, const char *id, struct buf *svg)
{
    const struct model *m = pg->w->api->model;
    if (!model_kind_owns(m, k->id) || !pg->w->api->docs)
        return;
    json_t *c = NULL;
    struct err e = ERR_INIT;
    if (docs_org_completeness(pg->w->api->docs, &pg->actor, id, &c, &e) < 0)
        return;
    json_t *objects = json_array();
    struct org_map *mp = arena_calloc(pg->req->arena, 1, sizeof *mp);
    const json_t *items = json_object_get(c, "items");
    size_t i;
    json_t *one;
    json_array_foreach (items, i, one) {
        if (i == ORG_LIST_MAX)
            break;
        json_t *o = org_object(pg, one);
        json_array_append_new(objects, o);
        if (i < ORG_MAP_MAX) {
            const char *oid = json_string_value(json_object_get(one, "record_id"));
            const struct model_kind *ok =
                model_kind(m, json_string_value(json_object_get(one, "kind")));
            size_t at = map_node(
                mp, arena_strdup(pg->req->arena, oid),
                arena_strdup(pg->req->arena, json_string_value(json_object_get(o, "name"))),
                json_string_value(json_object_get(o, "url")), true);
            if (ok && at < mp->n_nodes)
                map_relations(pg, mp, at, ok->collection, oid);
        }
    }
    const json_t *sum = json_object_get(c, "summary");
    json_t *org = json_pack(
        "{s:o, s:O, s:O, s:O, s:b, s:s}", "objects", objects, "n_objects",
        json_object_get(sum, "objects"), "n_complete", json_object_get(sum, "complete"), "score",
        json_object_get(sum, "score"), "more", json_array_size(items) > ORG_LIST_MAX,
        "registry_url", page_url(pg, "/registry?owner=%s", id));
    json_object_set_new(org, "has_objects", json_boolean(json_array_size(items) > 0));
    json_t *dl = org_deadlines(pg, id);
    if (dl)
        json_object_set_new(org, "deadlines", dl);
    if (mp->n_edges > 0 && graph_svg(mp->nodes, mp->n_nodes, mp->edges, mp->n_edges, svg, &e) < 0)
        buf_reset(svg);
    json_object_set_new(org, "has_map", json_boolean(svg->len > 0));
    json_object_set_new(pg->data, "org", org);
    json_decref(c);
}
