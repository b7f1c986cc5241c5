/* The trace page (/{lang}/{collection}/{id}/trace, issue 15 item 4): what
 * a record leads to (relations out of it, then out of those, …) and what
 * it comes from (relations into it, …), step by step, each record linked
 * to its card — the API's walk (registry_trace), as the visitor may read
 * it; with ?at=<RFC 3339>, as it was at that instant (REQ ARC-12). Plain
 * HTML: no script needed. */
#include "web/card.h"
#include "web/internal.h"

#include "registry/registry.h"
#include "util/text.h"
#include "util/timeutil.h"

#include <string.h>

/* The records of a walk beyond its start, grouped by step:
 * [{depth, records:[{name, href?, kind}]}]. */
static json_t *steps_of(struct page *pg, const json_t *walk)
{
    const struct model *m = pg->w->api->model;
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
        const char *id = json_string_value(json_object_get(n, "id"));
        const struct model_kind *k = model_kind(m, json_string_value(json_object_get(n, "kind")));
        const char *name = web_name(pg->lang, json_object_get(n, "name"));
        json_t *rec = json_pack("{s:s, s:s}", "name", *name ? name : id, "kind",
                                k ? web_label(pg->lang, k->label) : "");
        web_set_name_lang(rec, pg->lang, json_object_get(n, "name"));
        if (k)
            json_object_set_new(rec, "href",
                                json_string(page_url(pg, "/%s/%s", k->collection, id)));
        json_array_append_new(json_object_get(step, "records"), rec);
    }
    return steps;
}

/* One direction's walk (q: as of when) as {steps, has_steps, truncated},
 * or NULL with *status the answer's (404 or 410). */
static json_t *walk_section(struct page *pg, const char *coll, const char *id,
                            struct registry_trace_query q, bool out, json_t **start, int *status)
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
    json_t *o =
        json_pack("{s:o, s:b, s:b}", "steps", steps, "has_steps", json_array_size(steps) > 0,
                  "truncated", json_is_true(json_object_get(walk, "truncated")));
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
    const char *at = http_req_query(req, "at");
    struct registry_trace_query q = {.at_set = at != NULL};
    if (at && time_parse_rfc3339(at, &q.at_ms) < 0) {
        page_error(&pg, 400, page_tr(&pg, TR("'at' must be an RFC 3339 date-time")));
        return;
    }
    json_t *start = NULL;
    int status = 404;
    json_t *out = coll && id && text_id_valid(id)
                      ? walk_section(&pg, coll, id, q, true, &start, &status)
                      : NULL;
    json_t *in = out ? walk_section(&pg, coll, id, q, false, &start, &status) : NULL;
    if (!out || !in) {
        json_decref(out);
        json_decref(start);
        page_error(&pg, status, NULL);
        return;
    }
    if (at) { /* as it was then, with the way back to now */
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
    page_render(&pg, 200, "card/trace", page_tr(&pg, TR("Traceability")));
}

void card_trace_routes(struct web *w, struct router *rt, const char *collection)
{
    char suffix[160];
    snprintf(suffix, sizeof suffix, "/%s/{id}/trace", collection);
    web_route(rt, "GET", suffix, h_trace, w);
}
