/* The view page (/{lang}/{collection}/{id}/view/{name}, issue 15): a
 * record's view as its kind declares it in the model (registry_view): the
 * record's own fields the view names, each section's records linked to
 * their cards, and each diagram drawn by Graphviz beside a table of the
 * same relations (its text alternative). The domain page is the domain's
 * view. With ?at=<RFC 3339>, the view as it was then (REQ ARC-12), saying
 * so, with the way back to now. Names no kind, collection or field: the
 * model says them all. */
#include "web/card.h"
#include "util/graph.h"
#include "web/internal.h"

#include "registry/registry.h"
#include "util/text.h"

#include <inttypes.h>
#include <string.h>

/* The texts of one value of field f (a list gives one per item). */
static void value_texts(struct page *pg, const struct model_field *f, const json_t *v, json_t *out)
{
    if (json_is_array(v)) {
        size_t i;
        const json_t *x;
        json_array_foreach (v, i, x)
            value_texts(pg, f->item ? f->item : f, x, out);
        return;
    }
    const char *s = NULL;
    if (f->type == FT_I18N)
        s = web_name(pg->lang, v);
    else if (f->type == FT_ENUM && json_is_string(v))
        s = page_enum_label(pg, f->enumeration, json_string_value(v));
    else if (json_is_string(v))
        s = json_string_value(v);
    else if (json_is_integer(v))
        s = arena_printf(pg->req->arena, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    else if (json_is_boolean(v))
        s = page_tr(pg, json_is_true(v) ? TR("Yes") : TR("No"));
    if (s && *s)
        json_array_append_new(out, json_string(s));
}

/* The record's fields the view names, those with a value. */
static json_t *view_fields(struct page *pg, const struct model_kind *k, const struct model_view *v,
                           const json_t *rec)
{
    json_t *out = json_array();
    for (size_t i = 0; i < v->n_fields; i++) {
        const struct model_field *f = model_field(k, v->fields[i]);
        json_t *texts = json_array();
        if (f)
            value_texts(pg, f, json_object_get(rec, f->name), texts);
        if (json_array_size(texts))
            json_array_append_new(out, json_pack("{s:s, s:o}", "label",
                                                 web_label(pg->lang, f->label), "values", texts));
        else
            json_decref(texts);
    }
    return out;
}

json_t *page_met_record(struct page *pg, const json_t *it)
{
    const struct model *m = pg->w->api->model;
    const char *id = json_string_value(json_object_get(it, "id"));
    const struct model_kind *k = model_kind(m, json_string_value(json_object_get(it, "kind")));
    const char *name = web_name(pg->lang, json_object_get(it, "name"));
    json_t *o = json_pack("{s:s, s:s}", "name", *name ? name : id, "kind",
                          k ? web_label(pg->lang, k->label) : "");
    web_set_name_lang(o, pg->lang, json_object_get(it, "name"));
    if (k)
        json_object_set_new(o, "href", json_string(page_url(pg, "/%s/%s", k->collection, id)));
    return o;
}

/* A record of a section as the page shows it (page_met_record), also kept
 * in names (id -> it) for the diagrams. */
static json_t *item_of(struct page *pg, const json_t *it, json_t *names)
{
    json_t *o = page_met_record(pg, it);
    json_object_set(names, json_string_value(json_object_get(it, "id")), o);
    return o;
}

static json_t *view_sections(struct page *pg, const struct model_view *v, const json_t *view,
                             json_t *names)
{
    json_t *out = json_array();
    size_t i;
    json_t *s;
    json_array_foreach (json_object_get(view, "sections"), i, s) {
        json_t *items = json_array();
        size_t j;
        json_t *it;
        json_array_foreach (json_object_get(s, "items"), j, it)
            json_array_append_new(items, item_of(pg, it, names));
        json_array_append_new(
            out, json_pack("{s:s, s:s, s:o, s:b, s:b}", "id",
                           arena_printf(pg->req->arena, "section-%s", v->sections[i].name), "label",
                           web_label(pg->lang, v->sections[i].label), "items", items, "has_items",
                           json_array_size(items) > 0, "truncated",
                           json_is_true(json_object_get(s, "truncated"))));
    }
    return out;
}

/* The label of an edge: its relation type's, or its ref field's in the
 * source's kind. */
static const char *edge_label(struct page *pg, const json_t *edge)
{
    const struct model *m = pg->w->api->model;
    const char *type = json_string_value(json_object_get(edge, "type"));
    const struct model_kind *rk = type ? model_kind(m, type) : NULL;
    if (rk)
        return web_label(pg->lang, rk->label);
    const char *field = json_string_value(json_object_get(edge, "field"));
    for (size_t i = 0; field && i < model_n_kinds(m); i++) {
        const struct model_field *f = model_field(model_kind_at(m, i), field);
        if (f)
            return web_label(pg->lang, f->label);
    }
    return field ? field : "";
}

/* The attributes of a relation edge as "label: value" texts. */
static json_t *edge_details(struct page *pg, const json_t *edge)
{
    json_t *out = json_array();
    const char *type = json_string_value(json_object_get(edge, "type"));
    const struct model_kind *rk = type ? model_kind(pg->w->api->model, type) : NULL;
    for (size_t i = 0; rk && i < rk->n_fields; i++) {
        const struct model_field *f = &rk->fields[i];
        json_t *texts = json_array();
        if (strcmp(f->name, "source") != 0 && strcmp(f->name, "target") != 0)
            value_texts(pg, f, json_object_get(edge, f->name), texts);
        size_t j;
        json_t *t;
        json_array_foreach (texts, j, t)
            json_array_append_new(out, json_string(arena_printf(
                                           pg->req->arena, "%s: %s", web_label(pg->lang, f->label),
                                           json_string_value(t))));
        json_decref(texts);
    }
    return out;
}

/* The index of node id in the picture, added when new; SIZE_MAX when the
 * picture is full. */
static size_t node_at(const char *id, const json_t *item, const char **ids,
                      struct graph_node *nodes, size_t *n)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp(ids[i], id) == 0)
            return i;
    if (*n == GRAPH_MAX_NODES)
        return SIZE_MAX;
    ids[*n] = id;
    nodes[*n] = (struct graph_node){json_string_value(json_object_get(item, "name")),
                                    json_string_value(json_object_get(item, "href")), false};
    return (*n)++;
}

/* One diagram rendered (template card/diagram) onto out: its picture when
 * it has edges and they join at most GRAPH_MAX_NODES records, and always
 * the table of its edges. */
static void render_diagram(struct page *pg, const struct model_view_diagram *d, const json_t *dg,
                           const json_t *names, size_t at, struct buf *out)
{
    json_t *rows = json_array();
    struct graph_node *nodes = arena_calloc(pg->req->arena, GRAPH_MAX_NODES, sizeof *nodes);
    const char **ids = arena_calloc(pg->req->arena, GRAPH_MAX_NODES, sizeof *ids);
    json_t *edges = json_object_get(dg, "edges");
    struct graph_edge *ge =
        arena_calloc(pg->req->arena, json_array_size(edges) + 1, sizeof *ge);
    size_t n_nodes = 0, n_edges = 0;
    bool full = false;
    size_t i;
    json_t *e;
    json_array_foreach (edges, i, e) {
        const char *s = json_string_value(json_object_get(e, "source"));
        const char *t = json_string_value(json_object_get(e, "target"));
        json_t *src = json_object_get(names, s ? s : ""), *dst = json_object_get(names, t ? t : "");
        if (!src || !dst)
            continue;
        const char *label = edge_label(pg, e);
        json_array_append_new(rows, json_pack("{s:O, s:s, s:O, s:o}", "source", src, "type", label,
                                              "target", dst, "details", edge_details(pg, e)));
        size_t a = node_at(s, src, ids, nodes, &n_nodes);
        size_t b = a == SIZE_MAX ? SIZE_MAX : node_at(t, dst, ids, nodes, &n_nodes);
        full = full || b == SIZE_MAX;
        if (b != SIZE_MAX)
            ge[n_edges++] = (struct graph_edge){a, b, label};
    }
    struct buf svg;
    buf_init(&svg, 4u << 20);
    struct err err = ERR_INIT;
    if (full || !n_edges || graph_svg(nodes, n_nodes, ge, n_edges, &svg, &err) < 0)
        buf_reset(&svg);
    json_t *data = json_pack("{s:s, s:s, s:o, s:b, s:b, s:b, s:i}", "id",
                             arena_printf(pg->req->arena, "diagram-%zu", at), "label",
                             web_label(pg->lang, d->label), "rows", rows, "has_rows",
                             json_array_size(rows) > 0, "has_graph", svg.len > 0, "too_many", full,
                             "max_nodes", GRAPH_MAX_NODES);
    struct tpl_raw raw = {"graph", svg.p ? svg.p : "", svg.len};
    if (tpl_render(pg->w->tpl, "card/diagram", pg->lang, data, &raw, 1, out, &err) < 0)
        buf_reset(out);
    json_decref(data);
    buf_free(&svg);
}

static void h_view(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct page pg;
    page_begin(ctx, req, resp, &pg);
    const char *coll = card_path_collection(&pg);
    const char *id = http_req_param(req, "id"), *name = http_req_param(req, "name");
    struct registry_view_query q = {0};
    if (!page_at_param(&pg, &q.at_set, &q.at_ms))
        return;
    json_t *view = NULL;
    struct err e = ERR_INIT;
    if (!coll || !id || !text_id_valid(id) || !name ||
        registry_view(pg.w->api->reg, &pg.actor, coll, id, name, &q, &view, &e) < 0) {
        page_error(&pg, q.at_set && e.status == 410 ? 410 : 404, NULL);
        return;
    }
    const struct model *m = pg.w->api->model;
    json_t *rec = json_object_get(view, "record");
    const struct model_kind *k = model_kind(m, json_string_value(json_object_get(rec, "kind")));
    const struct model_view *v = model_view(k, name);
    const char *rname = web_name(pg.lang, json_object_get(rec, "name"));
    rname = arena_strdup(req->arena, *rname ? rname : id);
    pg.nav = "architecture";
    json_object_set_new(pg.data, "name", json_string(rname));
    web_set_name_lang(pg.data, pg.lang, json_object_get(rec, "name"));
    json_object_set_new(pg.data, "view", json_string(web_label(pg.lang, v->label)));
    json_object_set_new(pg.data, "kind", json_string(web_label(pg.lang, k->label)));
    json_object_set_new(pg.data, "card_url", json_string(page_url(&pg, "/%s/%s", coll, id)));
    const char *when = json_string_value(json_object_get(view, "at"));
    json_object_set_new(pg.data, "trace_url",
                        json_string(when ? page_url(&pg, "/%s/%s/trace?at=%s", coll, id, when)
                                         : page_url(&pg, "/%s/%s/trace", coll, id)));
    if (when) { /* as it was then, with the way back to now */
        json_object_set_new(pg.data, "as_of", json_string(page_local_time(&pg, when)));
        json_object_set_new(pg.data, "now_url",
                            json_string(page_url(&pg, "/%s/%s/view/%s", coll, id, v->name)));
    }
    json_t *maps = json_array(); /* a domain's page leads to its capability map */
    web_capmap_record_links(&pg, k, id, maps);
    json_object_set_new(pg.data, "maps", maps);
    json_object_set_new(pg.data, "fields", view_fields(&pg, k, v, rec));
    json_t *names = json_object();
    json_t *sections = view_sections(&pg, v, view, names);
    json_object_set_new(pg.data, "sections", sections);
    json_object_set_new(pg.data, "max_records", json_integer(REGISTRY_VIEW_MAX_RECORDS));
    struct buf diagrams;
    buf_init(&diagrams, WEB_MAX_PAGE);
    json_t *toc = json_array(); /* the diagrams, in the list of sections */
    size_t i;
    json_t *dg;
    json_array_foreach (json_object_get(view, "diagrams"), i, dg) {
        render_diagram(&pg, &v->diagrams[i], dg, names, i, &diagrams);
        json_array_append_new(toc, json_pack("{s:s, s:s}", "id",
                                             arena_printf(req->arena, "diagram-%zu", i), "label",
                                             web_label(pg.lang, v->diagrams[i].label)));
    }
    json_object_set_new(pg.data, "diagram_links", toc);
    json_decref(names);
    json_decref(view);
    struct tpl_raw raw = {"diagrams", diagrams.p ? diagrams.p : "", diagrams.len};
    const char *title = arena_printf(req->arena, "%s: %s", web_label(pg.lang, v->label), rname);
    page_render_raw(&pg, 200, "card/view", title, &raw, 1);
    buf_free(&diagrams);
}

/* The views of kind k as links from its card: [{label, url}]. */
json_t *card_view_links(struct page *pg, const struct model_kind *k, const char *coll,
                        const char *id)
{
    json_t *out = json_array();
    for (size_t i = 0; i < k->n_views; i++)
        json_array_append_new(out, json_pack("{s:s, s:s}", "label",
                                             web_label(pg->lang, k->views[i].label), "url",
                                             page_url(pg, "/%s/%s/view/%s", coll, id,
                                                      k->views[i].name)));
    return out;
}

void card_view_routes(struct web *w, struct router *rt, const char *collection)
{
    char suffix[160];
    snprintf(suffix, sizeof suffix, "/%s/{id}/view/{name}", collection);
    web_route(rt, "GET", suffix, h_view, w);
}
