/* The home page: the search box, counts of informatization objects by
 * kind, life-cycle stage and status (links into the registry), and the
 * objects registered most recently. */
#include "web/internal.h"

#include "registry/listq.h"
#include "registry/registry.h"

#include <string.h>

#define RECENT 8

/* [{label, count, url}] of a facet, largest first as the registry gives it. */
static json_t *facet_links(struct page *pg, const struct list_query *q, const char *field,
                           struct err *e)
{
    json_t *f = NULL;
    if (registry_facets(pg->w->api->reg, pg->req->arena, q, field, &f, e) < 0)
        return NULL;
    json_t *out = json_array();
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(f, "values"), i, v)
    {
        const char *value = json_string_value(json_object_get(v, "value"));
        json_int_t count = json_integer_value(json_object_get(v, "count"));
        if (!value || count <= 0)
            continue;
        const json_t *label = json_object_get(v, "label");
        json_t *o = json_object();
        json_object_set_new(o, "label", json_string(label ? web_name(pg->lang, label) : value));
        json_object_set_new(o, "count", json_integer(count));
        json_object_set_new(o, "url",
                            json_string(strcmp(field, "kind") == 0
                                            ? page_url(pg, "/registry?kind=%s", value)
                                            : page_url(pg, "/registry?filter=%s:%s", field,
                                                       value)));
        json_array_append_new(out, o);
    }
    json_decref(f);
    return out;
}

static void h_home(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct page pg;
    page_begin(ctx, req, resp, &pg);
    pg.nav = "home";
    struct err e = ERR_INIT;
    struct list_query all;
    if (web_objects_query(&pg, NULL, 0, &all, &e) < 0) {
        page_error(&pg, e.status, NULL);
        return;
    }
    /* the facets and the recent registrations come from the collection's
     * workflow: its stage and status fields, its coded (registered) state */
    const struct model *m = pg.w->api->model;
    const struct model_workflow *wf = web_collection_workflow(m, all.coll);
    const char *fields[] = {"kind", wf ? wf->stage_field : NULL, wf ? wf->status_field : NULL};
    static const char *const keys[] = {"by_kind", "by_stage", "by_status"};
    for (size_t i = 0; i < 3; i++) {
        if (!fields[i])
            continue;
        json_t *links = facet_links(&pg, &all, fields[i], &e);
        if (!links) {
            page_error(&pg, e.status, NULL);
            return;
        }
        json_object_set_new(pg.data, keys[i], links);
    }
    const char *coded = NULL;
    for (size_t i = 0; wf && i < wf->n_states && !coded; i++)
        if (wf->states[i].coded)
            coded = arena_printf(req->arena, "%s:%s", wf->status_field, wf->states[i].id);
    struct listq_param recent_params[] = {
        {"sort", "-updated_at"}, {"limit", "8"}, {"filter", coded}};
    struct list_query recent;
    json_t *list = NULL;
    if (web_objects_query(&pg, recent_params, coded ? 3 : 2, &recent, &e) < 0 ||
        registry_list(pg.w->api->reg, req->arena, &recent, &list, &e) < 0) {
        page_error(&pg, e.status, NULL);
        return;
    }
    json_t *items = json_array();
    size_t i;
    json_t *rec;
    json_array_foreach(json_object_get(list, "items"), i, rec)
    {
        const char *id = json_string_value(json_object_get(rec, "id"));
        const struct model_kind *k = model_kind(m, json_string_value(json_object_get(rec, "kind")));
        json_t *o = json_object();
        json_object_set_new(o, "name", json_string(web_name(pg.lang, json_object_get(rec, "name"))));
        web_set_name_lang(o, pg.lang, json_object_get(rec, "name"));
        json_object_set_new(o, "kind", json_string(k ? web_label(pg.lang, k->label) : ""));
        if (k && k->workflow)
            json_object_set_new(o, "code",
                                json_deep_copy(json_object_get(rec, k->workflow->code_field)));
        const char *updated = json_string_value(json_object_get(rec, "updated_at"));
        if (updated)
            json_object_set_new(o, "updated", json_string(page_local_day(&pg, updated)));
        json_object_set_new(o, "url",
                            json_string(page_url(&pg, "/%s/%s", all.coll->id, id ? id : "")));
        json_array_append_new(items, o);
    }
    json_decref(list);
    json_object_set_new(pg.data, "recent", items);
    json_int_t total = 0;
    json_t *kinds = json_object_get(pg.data, "by_kind");
    json_array_foreach(kinds, i, rec) total += json_integer_value(json_object_get(rec, "count"));
    json_object_set_new(pg.data, "total", json_integer(total));
    /* the portal's other collections the visitor may read (a collection
     * whose kinds are all for signed-in readers is not offered to the
     * public), from the model */
    json_t *colls = json_array();
    for (size_t c = 0; c < model_n_collections(m); c++) {
        const struct model_collection *mc = model_collection_at(m, c);
        bool readable = false;
        for (size_t k = 0; mc->type == COLL_RECORDS && k < mc->n_kinds; k++) {
            const struct model_kind *kd = model_kind(m, mc->kinds[k]);
            readable |= kd && (pg.signed_in || !kd->read_signed_in);
        }
        if (readable && mc != all.coll)
            json_array_append_new(colls, json_pack("{s:s, s:s}", "label",
                                                   web_label(pg.lang, mc->label), "url",
                                                   page_url(&pg, "/%s", mc->id)));
    }
    json_object_set_new(pg.data, "has_collections", json_boolean(json_array_size(colls) > 0));
    json_object_set_new(pg.data, "collections", colls);
    page_render(&pg, 200, "home", page_tr(&pg, TR("Architectural portal of e-government")));
}

void web_home_routes(struct web *w, struct router *rt)
{
    web_route(rt, "GET", "", h_home, w);
}
