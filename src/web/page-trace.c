/* The trace page (/{lang}/{collection}/{id}/trace, issue 15 item 4): what
 * a record leads to (relations out of it, then out of those, …) and what
 * it comes from (relations into it, …), step by step, each record linked
 * to its card — the API's walk (registry_trace), as the visitor may read
 * it — and both walks drawn as one diagram when they hold at most
 * GRAPH_MAX_NODES records (the step lists are its text alternative); with
 * ?at=<RFC 3339>, as it was at that instant (REQ ARC-12). Plain HTML: no
 * script needed. */
#include "web/card.h"
#include "util/graph.h"
#include "web/internal.h"

#include "registry/registry.h"
#include "util/text.h"
#include "util/timeutil.h"

#include <string.h>

/* The records of a walk beyond its start, grouped by step:
 * [{depth, records:[{name, href?, kind}]}]. */
static json_t *steps_of(struct page *pg, const json_t *walk)
{
    json_t *steps = json_array(), *step = NULL;
    json_int_t at = 0;
    size_t i;
    json_t *n;
    json_array_foreach (json_object_get(walk, "nodes"), i, n) {
        json_int_t depth = json_integer_value(json_object_get(n, "depth"));
        if (depth == 0)
            continue;
        if (!step || depth != at) {
            step = json_pack("{s:I, s:[]}", "depth", depth, "records");
            json_array_append_new(steps, step);
            at = depth;
        }
        json_array_append_new(json_object_get(step, "records"), page_met_record(pg, n));
    }
    return steps;
}

/* The picture of the walks: every node and edge they hold, the start
 * (node 0) in focus; nothing when there are more than GRAPH_MAX_NODES
 * nodes (*too_many) or no edge. */
struct picture {
    struct graph_node nodes[GRAPH_MAX_NODES];
    const char *ids[GRAPH_MAX_NODES];
    struct graph_edge edges[GRAPH_MAX_NODES * 2];
    size_t n_nodes, n_edges;
    bool too_many;
};

static size_t picture_node(struct picture *p, const char *id)
{
    for (size_t i = 0; i < p->n_nodes; i++)
        if (strcmp(p->ids[i], id) == 0)
            return i;
    return SIZE_MAX;
}

static void picture_add(struct page *pg, struct picture *p, const json_t *walk)
{
    const struct model *m = pg->w->api->model;
    size_t i;
    json_t *n;
    json_array_foreach (json_object_get(walk, "nodes"), i, n) {
        const char *id = json_string_value(json_object_get(n, "id"));
        if (!id || picture_node(p, id) != SIZE_MAX)
            continue;
        if (p->n_nodes == GRAPH_MAX_NODES) {
            p->too_many = true;
            return;
        }
        const struct model_kind *k = model_kind(m, json_string_value(json_object_get(n, "kind")));
        const char *name = web_name(pg->lang, json_object_get(n, "name"));
        p->ids[p->n_nodes] = arena_strdup(pg->req->arena, id);
        p->nodes[p->n_nodes] = (struct graph_node){
            arena_strdup(pg->req->arena, *name ? name : id),
            k ? page_url(pg, "/%s/%s", k->collection, id) : NULL, p->n_nodes == 0};
        p->n_nodes++;
    }
    json_t *e;
    json_array_foreach (json_object_get(walk, "edges"), i, e) {
        size_t a = picture_node(p, json_string_value(json_object_get(e, "source")));
        size_t b = picture_node(p, json_string_value(json_object_get(e, "target")));
        const struct model_kind *rk =
            model_kind(m, json_string_value(json_object_get(e, "type")));
        if (a == SIZE_MAX || b == SIZE_MAX || !rk)
            continue;
        if (p->n_edges == sizeof p->edges / sizeof p->edges[0]) {
            p->too_many = true;
            return;
        }
        p->edges[p->n_edges++] = (struct graph_edge){a, b, web_label(pg->lang, rk->label)};
    }
}

/* One direction's walk (q: as of when) as {steps, has_steps, truncated},
 * or NULL with *status the answer's (404 or 410); its nodes and edges join
 * the picture. */
static json_t *walk_section(struct page *pg, const char *coll, const char *id,
                            struct registry_trace_query q, bool out, json_t **start, int *status,
                            struct picture *pic)
{
    q.out = out;
    q.in = !out;
    q.depth = REGISTRY_TRACE_MAX_DEPTH;
    json_t *walk = NULL;
    struct err e = ERR_INIT;
    if (registry_trace(pg->w->api->reg, &pg->actor, coll, id, &q, &walk, &e) < 0) {
        *status = e.status == 410 ? 410 : 404;
        return NULL;
    }
    json_t *steps = steps_of(pg, walk);
    picture_add(pg, pic, walk);
    json_t *o = json_pack(
        "{s:s, s:s, s:o, s:b, s:b}", "anchor", out ? "leads-to" : "comes-from", "heading",
        out ? page_tr(pg, TR("What it leads to")) : page_tr(pg, TR("What it comes from")), "steps",
        steps, "has_steps", json_array_size(steps) > 0, "truncated",
        json_is_true(json_object_get(walk, "truncated")));
    if (start && !*start)
        *start = json_incref(json_array_get(json_object_get(walk, "nodes"), 0));
    json_decref(walk);
    return o;
}

static void h_trace(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct page pg;
    page_begin(ctx, req, resp, &pg);
    const char *coll = card_path_collection(&pg);
    const char *id = http_req_param(req, "id");
    struct registry_trace_query q = {0};
    if (!page_at_param(&pg, &q.at_set, &q.at_ms))
        return;
    json_t *start = NULL;
    struct picture *pic = arena_calloc(req->arena, 1, sizeof *pic);
    int status = 404;
    json_t *out = coll && id && text_id_valid(id)
                      ? walk_section(&pg, coll, id, q, true, &start, &status, pic)
                      : NULL;
    json_t *in = out ? walk_section(&pg, coll, id, q, false, &start, &status, pic) : NULL;
    if (!out || !in) {
        json_decref(out);
        json_decref(start);
        page_error(&pg, status, NULL);
        return;
    }
    if (q.at_set) { /* as it was then, with the way back to now */
        char canon[32];
        time_format_rfc3339(q.at_ms, canon, sizeof canon);
        json_object_set_new(pg.data, "as_of", json_string(page_local_time(&pg, canon)));
        json_object_set_new(pg.data, "now_url",
                            json_string(page_url(&pg, "/%s/%s/trace", coll, id)));
    }
    pg.nav = "registry";
    const char *name = web_name(pg.lang, json_object_get(start, "name"));
    name = arena_strdup(req->arena, *name ? name : id);
    json_object_set_new(pg.data, "name", json_string(name));
    web_set_name_lang(pg.data, pg.lang, json_object_get(start, "name"));
    json_decref(start);
    json_object_set_new(pg.data, "card_url", json_string(page_url(&pg, "/%s/%s", coll, id)));
    json_object_set_new(pg.data, "out", out);
    json_object_set_new(pg.data, "in", in);
    json_object_set_new(pg.data, "max_depth", json_integer(REGISTRY_TRACE_MAX_DEPTH));
    json_object_set_new(pg.data, "max_nodes", json_integer(REGISTRY_TRACE_MAX_NODES));
    struct buf svg;
    buf_init(&svg, 4u << 20);
    struct err e = ERR_INIT;
    if (pic->too_many || !pic->n_edges ||
        graph_svg(pic->nodes, pic->n_nodes, pic->edges, pic->n_edges, &svg, &e) < 0)
        buf_reset(&svg);
    json_object_set_new(pg.data, "has_graph", json_boolean(svg.len > 0));
    json_object_set_new(pg.data, "too_many", json_boolean(pic->too_many));
    json_object_set_new(pg.data, "max_drawn", json_integer(GRAPH_MAX_NODES));
    struct tpl_raw raw = {"graph", svg.p ? svg.p : "", svg.len};
    page_render_raw(&pg, 200, "card/trace", page_tr(&pg, TR("Traceability")), &raw, 1);
    buf_free(&svg);
}

void card_trace_routes(struct web *w, struct router *rt, const char *collection)
{
    char suffix[160];
    snprintf(suffix, sizeof suffix, "/%s/{id}/trace", collection);
    web_route(rt, "GET", suffix, h_trace, w);
}
