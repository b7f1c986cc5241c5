/* A collection's networks (model key "networks", issue 17: the ICT
 * projects' dependencies, REQ ARC-18): /{lang}/{collection}/network/{id}
 * lists the relations of the network's type between the collection's
 * records that the visitor may read (both ends), each with its ends'
 * bodies and its `by` attribute (intra-agency, sectoral, inter-agency),
 * counted by that attribute, narrowed by ?owner= (a body's records at
 * either end) and ?<by>=; it draws them with Graphviz when they join no
 * more records than a drawing holds. */
#include "web/internal.h"

#include "registry/listq.h"
#include "registry/registry.h"
#include "util/buf.h"
#include "util/text.h"
#include "util/graph.h"

#include <string.h>

/* The most relations the page reads (the relations list's pages of 500). */
#define NETWORK_MAX_RELATIONS 5000
#define NETWORK_PAGE "500"

struct net {
    struct page *pg;
    const struct model_collection *c;
    const struct model_network *nw;
    const char *owner, *by;
    json_t *ends; /* id -> the record (its name, owner, kind), or null when unreadable */
    json_t *rows; /* the relations kept */
    json_t *counts; /* by value -> count (before ?<by>= narrows) */
};

/* The record id as the visitor may read it (NULL: not). */
static const json_t *end_of(struct net *n, const char *id)
{
    json_t *known = json_object_get(n->ends, id);
    if (known)
        return json_is_null(known) ? NULL : known;
    json_t *rec = NULL;
    struct err e = ERR_INIT;
    if (registry_get_visible(n->pg->w->api->reg, &n->pg->actor, n->c->id, id, &rec, &e) < 0)
        rec = NULL;
    json_object_set_new(n->ends, id, rec ? rec : json_null());
    return rec;
}

static json_t *end_link(struct net *n, const json_t *rec)
{
    const char *id = json_string_value(json_object_get(rec, "id"));
    const char *name = web_name(n->pg->lang, json_object_get(rec, "name"));
    const char *owner = json_string_value(json_object_get(rec, "owner"));
    const json_t *org = owner ? json_object_get(n->ends, owner) : NULL;
    if (owner && !org) {
        json_t *o = NULL;
        struct err e = ERR_INIT;
        if (registry_get_visible(n->pg->w->api->reg, &n->pg->actor, NULL, owner, &o, &e) < 0)
            o = NULL;
        json_object_set_new(n->ends, owner, o ? o : json_null());
        org = o;
    }
    const char *org_name = json_is_object(org) ? web_name(n->pg->lang, json_object_get(org, "name")) : "";
    json_t *o = json_pack("{s:s, s:s, s:s, s:s?}", "id", id, "text", *name ? name : id, "href",
                          page_url(n->pg, "/%s/%s", n->c->id, id), "body",
                          *org_name ? org_name : owner);
    if (owner) /* the body's links only */
        json_object_set_new(o, "body_href", json_string(page_url(n->pg, "/%s/network/%s?owner=%s",
                                                                 n->c->id, n->nw->id, owner)));
    return o;
}

/* One relation: kept when the visitor reads both ends and they keep the
 * filters. */
static void take(struct net *n, const json_t *rel)
{
    const char *src = json_string_value(json_object_get(rel, "source"));
    const char *dst = json_string_value(json_object_get(rel, "target"));
    const json_t *a = src ? end_of(n, src) : NULL, *b = dst ? end_of(n, dst) : NULL;
    if (!a || !b)
        return;
    const char *oa = json_string_value(json_object_get(a, "owner"));
    const char *ob = json_string_value(json_object_get(b, "owner"));
    if (n->owner && !(oa && strcmp(oa, n->owner) == 0) && !(ob && strcmp(ob, n->owner) == 0))
        return;
    const char *v = n->nw->by ? json_string_value(json_object_get(rel, n->nw->by->name)) : NULL;
    if (v)
        json_object_set_new(n->counts, v,
                            json_integer(json_integer_value(json_object_get(n->counts, v)) + 1));
    if (n->by && (!v || strcmp(v, n->by) != 0))
        return;
    json_t *row = json_pack("{s:o, s:o}", "source", end_link(n, a), "target", end_link(n, b));
    if (v)
        json_object_set_new(row, "by", json_string(page_enum_label(n->pg, n->nw->by->enumeration, v)));
    json_array_append_new(n->rows, row);
}

/* Every relation of the network's type, a page of the list at a time. */
static int read_relations(struct net *n, bool *cut, struct err *e)
{
    const struct model *m = n->pg->w->api->model;
    const struct model_kind *rk = model_kind(m, n->nw->relation);
    const struct model_collection *rc = rk ? model_collection(m, rk->collection) : NULL;
    const char *cursor = NULL;
    size_t seen = 0;
    *cut = false;
    while (rc) {
        struct listq_param p[3] = {{"kind", n->nw->relation}, {"limit", NETWORK_PAGE}, {"cursor", cursor}};
        struct list_query q;
        json_t *list = NULL;
        if (web_list_query(n->pg, rc, p, cursor ? 3 : 2, &q, e) < 0 ||
            registry_list(n->pg->w->api->reg, n->pg->req->arena, &q, &list, e) < 0)
            return -1;
        size_t i;
        json_t *rel;
        json_array_foreach (json_object_get(list, "items"), i, rel) {
            take(n, rel);
            seen++;
        }
        const char *next = json_string_value(json_object_get(list, "next_cursor"));
        cursor = next ? arena_strdup(n->pg->req->arena, next) : NULL;
        json_decref(list);
        if (!cursor)
            break;
        if (seen >= NETWORK_MAX_RELATIONS) {
            *cut = true;
            break;
        }
    }
    return 0;
}

/* The drawing of the rows when they join at most GRAPH_MAX_NODES records. */
static int draw(struct net *n, struct buf *svg, struct err *e)
{
    struct graph_node nodes[GRAPH_MAX_NODES];
    struct graph_edge edges[GRAPH_MAX_NODES * 4];
    json_t *at = json_object();
    size_t nn = 0, ne = 0, i;
    const json_t *row;
    int rc = 0;
    json_array_foreach (n->rows, i, row) {
        size_t ends[2];
        const char *which[2] = {"source", "target"};
        for (int k = 0; k < 2 && rc == 0; k++) {
            const json_t *l = json_object_get(row, which[k]);
            const char *id = json_string_value(json_object_get(l, "id"));
            json_t *pos = json_object_get(at, id);
            if (!pos) {
                if (nn == GRAPH_MAX_NODES) {
                    rc = 1;
                    break;
                }
                nodes[nn] = (struct graph_node){json_string_value(json_object_get(l, "text")),
                                                json_string_value(json_object_get(l, "href")), false};
                json_object_set_new(at, id, pos = json_integer((json_int_t)nn++));
            }
            ends[k] = (size_t)json_integer_value(pos);
        }
        if (rc || ne == sizeof edges / sizeof edges[0]) {
            rc = 1;
            break;
        }
        edges[ne++] = (struct graph_edge){ends[0], ends[1], json_string_value(json_object_get(row, "by"))};
    }
    if (rc == 0 && nn)
        rc = graph_svg(nodes, nn, edges, ne, svg, e);
    json_decref(at);
    return rc;
}

static void h_network(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct page pg;
    page_begin(ctx, req, resp, &pg);
    pg.nav = "dashboards";
    const struct model_collection *c = web_path_collection(&pg);
    const char *id = http_req_param(req, "network");
    const struct model_network *nw = NULL;
    for (size_t i = 0; c && id && i < c->n_networks; i++)
        if (strcmp(c->networks[i].id, id) == 0)
            nw = &c->networks[i];
    if (!nw) {
        page_error(&pg, 404, NULL);
        return;
    }
    struct net n = {&pg, c, nw, http_req_query(req, "owner"),
                    nw->by ? http_req_query(req, nw->by->name) : NULL, json_object(), json_array(),
                    json_object()};
    struct err e = ERR_INIT;
    bool cut = false;
    if ((n.owner && !text_id_valid(n.owner)) ||
        (n.by && !model_enum_label(nw->by->enumeration, n.by, INT64_MAX))) {
        page_error(&pg, 400, page_tr(&pg, TR("There is no such value to narrow the list by.")));
        goto out;
    }
    if (read_relations(&n, &cut, &e) < 0) {
        page_error(&pg, e.status, NULL);
        goto out;
    }
    struct buf svg;
    buf_init(&svg, 4u << 20);
    int drawn = json_array_size(n.rows) ? draw(&n, &svg, &e) : 1;
    if (drawn < 0) {
        buf_free(&svg);
        page_error(&pg, e.status, NULL);
        goto out;
    }
    json_t *d = pg.data, *values = json_array();
    const char *base = n.owner ? arena_printf(req->arena, "/%s/network/%s?owner=%s", c->id, nw->id, n.owner)
                               : arena_printf(req->arena, "/%s/network/%s", c->id, nw->id);
    for (size_t i = 0; nw->by && i < nw->by->enumeration->n_values; i++) {
        const char *v = nw->by->enumeration->values[i].id;
        json_array_append_new(values, json_pack("{s:s, s:I, s:s, s:b}", "text",
                                                page_enum_label(&pg, nw->by->enumeration, v), "count",
                                                json_integer_value(json_object_get(n.counts, v)),
                                                "href",
                                                page_url(&pg, "%s%s%s=%s", base, n.owner ? "&" : "?",
                                                         nw->by->name, v),
                                                "current", n.by && strcmp(n.by, v) == 0));
    }
    json_object_set_new(d, "title", json_string(web_label(pg.lang, nw->label)));
    json_object_set_new(d, "collection_label", json_string(web_label(pg.lang, c->label)));
    json_object_set_new(d, "collection_url", json_string(page_url(&pg, "/%s", c->id)));
    json_object_set_new(d, "relation_label",
                        json_string(web_label(pg.lang, model_kind(pg.w->api->model, nw->relation)->label)));
    json_object_set_new(d, "by_label", nw->by ? json_string(web_label(pg.lang, nw->by->label)) : json_null());
    json_object_set_new(d, "values", values);
    json_object_set_new(d, "has_by", json_boolean(nw->by != NULL));
    json_object_set_new(d, "rows", n.rows);
    n.rows = NULL;
    json_object_set_new(d, "has_rows", json_boolean(json_array_size(json_object_get(d, "rows")) > 0));
    json_object_set_new(d, "cut", json_boolean(cut));
    json_object_set_new(d, "too_many", json_boolean(drawn == 1 && json_array_size(json_object_get(d, "rows"))));
    if (n.owner || n.by)
        json_object_set_new(d, "all_url", json_string(page_url(&pg, "/%s/network/%s", c->id, nw->id)));
    if (n.owner) {
        const json_t *org = json_object_get(n.ends, n.owner);
        json_object_set_new(d, "owner_name", json_string(json_is_object(org)
                                                             ? web_name(pg.lang, json_object_get(org, "name"))
                                                             : n.owner));
    }
    struct tpl_raw raw[1] = {{"svg", drawn == 0 && svg.p ? svg.p : "", drawn == 0 ? svg.len : 0}};
    page_render_raw(&pg, 200, "network", web_label(pg.lang, nw->label), raw, 1);
    buf_free(&svg);
out:
    json_decref(n.ends);
    json_decref(n.rows);
    json_decref(n.counts);
}

void web_network_routes(struct web *w, struct router *rt)
{
    const struct model *m = w->api->model;
    char path[256];
    for (size_t i = 0; i < model_n_collections(m); i++) {
        const struct model_collection *c = model_collection_at(m, i);
        if (c->n_networks) {
            snprintf(path, sizeof path, "/%s/network/{network}", c->id);
            web_route(rt, "GET", path, h_network, w);
        }
    }
}
