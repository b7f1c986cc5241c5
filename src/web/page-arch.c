/* The architecture page (/{lang}/architecture, issue 15): where the
 * layout's menu entry "Architecture" leads. It lists the collections the
 * model marks for the menu ("menu": true) that the visitor may read — for
 * the public those whose kinds are not all read only when signed in, such
 * as the e-services catalogue — each with its label and its list's link.
 * The model says which; no collection is named here. */
#include "web/internal.h"

static void h_arch(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct page pg;
    page_begin(ctx, req, resp, &pg);
    const struct model *m = pg.w->api->model;
    json_t *colls = json_array();
    for (size_t c = 0; c < model_n_collections(m); c++) {
        const struct model_collection *mc = model_collection_at(m, c);
        bool readable = false;
        for (size_t k = 0; mc->menu && mc->type == COLL_RECORDS && k < mc->n_kinds; k++) {
            const struct model_kind *kd = model_kind(m, mc->kinds[k]);
            readable |= kd && (pg.signed_in || !kd->read_signed_in);
        }
        if (readable)
            json_array_append_new(colls, json_pack("{s:s, s:s}", "label",
                                                   web_label(pg.lang, mc->label), "url",
                                                   page_url(&pg, "/%s", mc->id)));
    }
    json_object_set_new(pg.data, "has_collections", json_boolean(json_array_size(colls) > 0));
    json_object_set_new(pg.data, "collections", colls);
    pg.nav = "architecture";
    page_render(&pg, 200, "architecture", page_tr(&pg, TR("Architecture of e-government")));
}

void web_arch_routes(struct web *w, struct router *rt)
{
    web_route(rt, "GET", "/architecture", h_arch, w);
}
